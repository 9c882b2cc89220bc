import pytest
from django.core.management import CommandError, call_command

from accounts.models import AGENT_ROLE, MANAGER_ROLE, Department, User

pytestmark = pytest.mark.django_db

STRONG = "a-strong-pass-phrase-42"


def test_department_add_creates_a_department_with_a_slug():
    call_command("department", "add", "After Sales", "--slug", "after-sales")

    assert Department.objects.get(slug="after-sales").name == "After Sales"


def test_department_add_twice_keeps_one_department():
    call_command("department", "add", "Support")
    call_command("department", "add", "Support")

    assert Department.objects.filter(slug="support").count() == 1


def test_agent_add_creates_an_agent_in_departments_with_queue_on(department, other_department):
    call_command(
        "agent",
        "add",
        "jo",
        "--department",
        "support",
        "--department",
        "sales",
        "--queue-on",
        "--password",
        STRONG,
    )

    jo = User.objects.get(username="jo")
    assert set(jo.departments.values_list("slug", flat=True)) == {"support", "sales"}
    assert jo.queue_enabled is True
    assert jo.groups.filter(name=AGENT_ROLE).exists()
    assert jo.check_password(STRONG)


def test_agent_add_with_manager_flag_gives_manager_role_and_admin_access(department):
    call_command(
        "agent", "add", "boss", "--department", "support", "--manager", "--password", STRONG
    )

    boss = User.objects.get(username="boss")
    assert boss.groups.filter(name=MANAGER_ROLE).exists()
    assert boss.is_staff


def test_agent_add_reads_password_from_environment(department, monkeypatch):
    monkeypatch.setenv("AGENT_PASSWORD", STRONG)

    call_command("agent", "add", "env-agent", "--department", "support")

    assert User.objects.get(username="env-agent").check_password(STRONG)


def test_agent_add_twice_is_idempotent(department):
    for _ in range(2):
        call_command("agent", "add", "jo", "--department", "support", "--password", STRONG)

    jo = User.objects.get(username="jo")
    assert jo.memberships.count() == 1
    assert jo.groups.count() == 1


def test_agent_add_with_unknown_department_fails_clearly_and_creates_nothing(department):
    with pytest.raises(CommandError, match="Unknown department: nowhere"):
        call_command("agent", "add", "jo", "--department", "nowhere", "--password", STRONG)

    assert not User.objects.filter(username="jo").exists()


def test_agent_add_with_weak_password_fails_clearly_and_creates_nothing(department):
    with pytest.raises(CommandError, match=r"too short|too common|entirely numeric"):
        call_command("agent", "add", "jo", "--department", "support", "--password", "1234")

    assert not User.objects.filter(username="jo").exists()


def test_agent_add_without_password_fails_clearly(department, monkeypatch):
    monkeypatch.delenv("AGENT_PASSWORD", raising=False)

    with pytest.raises(CommandError, match="AGENT_PASSWORD"):
        call_command("agent", "add", "jo", "--department", "support")


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    counts = (User.objects.count(), Department.objects.count())
    call_command("seed_demo")

    assert (User.objects.count(), Department.objects.count()) == counts
    assert counts == (4, 2)


def test_seed_demo_prints_user_names_and_passwords(capsys):
    call_command("seed_demo")

    out = capsys.readouterr().out
    assert "agent " in out and "newcomer" in out and "password" in out


def test_seed_demo_creates_one_agent_outside_every_department():
    call_command("seed_demo")

    agents = User.objects.filter(groups__name=AGENT_ROLE, is_superuser=False)
    assert agents.count() == 3
    assert agents.filter(memberships__isnull=True).count() == 1


def test_seed_demo_if_empty_leaves_existing_data_alone(agent):
    call_command("seed_demo", "--if-empty")

    assert User.objects.count() == 1


def test_roles_exist_with_their_permissions():
    from django.contrib.auth.models import Group

    agent_role = Group.objects.get(name=AGENT_ROLE)
    manager_role = Group.objects.get(name=MANAGER_ROLE)
    assert agent_role.permissions.filter(codename="serve_livechat").exists()
    assert manager_role.permissions.filter(codename="supervise_livechat").exists()
    assert not agent_role.permissions.filter(codename="supervise_livechat").exists()
