"""Who a manager may manage from the console: passwords, roles and API tokens, by crafted URL."""

from html.parser import HTMLParser

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import MANAGER_ROLE, DepartmentAgent, User
from omnichannel.models import Event
from tests.factories import PASSWORD, make_manager

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-91"
TOKENS = reverse("admin:authtoken_tokenproxy_changelist")
ADD_TOKEN = reverse("admin:authtoken_tokenproxy_add")
USERS = reverse("admin:accounts_user_changelist")


@pytest.fixture
def boss(db):
    return User.objects.create_superuser("boss", "boss@example.com", PASSWORD)


@pytest.fixture
def peer(department):
    """Another LiveChat Manager (of every department)."""
    return make_manager(username="pat", departments=[department])


def password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def set_password(client, user: User):
    return client.post(
        password_url(user),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true"},
    )


def has_new_password(user: User) -> bool:
    user.refresh_from_db()
    return user.check_password(NEW_PASSWORD)


class _Form(HTMLParser):
    """The values a browser would submit from a page's main form (no JavaScript)."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file"}:
            checkable = a.get("type") in {"checkbox", "radio"}
            if checkable and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value") or ("on" if checkable else ""))
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def change_form(client, user: User) -> dict[str, list[str]]:
    parser = _Form()
    parser.feed(client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode())
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


# --- passwords and accounts ---------------------------------------------------------------------


def test_manager_sets_an_agents_password(client, manager, agent):
    client.force_login(manager)

    response = set_password(client, agent)

    assert response.status_code == 302
    assert has_new_password(agent)


def test_manager_does_not_see_superusers_in_the_user_list(client, manager, boss):
    client.force_login(manager)

    page = client.get(USERS).content.decode()

    assert "boss@example.com" not in page


def test_manager_cannot_open_a_superusers_password_page_by_url(client, manager, boss):
    client.force_login(manager)

    response = client.get(password_url(boss))

    assert response.status_code == 404


def test_manager_cannot_set_a_superusers_password_by_post(client, manager, boss):
    client.force_login(manager)

    response = set_password(client, boss)

    assert response.status_code == 404
    assert not has_new_password(boss)


def test_manager_cannot_open_a_superusers_account_by_url(client, manager, boss):
    client.force_login(manager)

    response = client.get(reverse("admin:accounts_user_change", args=[boss.pk]))

    assert response.status_code == 302  # admin's "no such user" redirect
    assert response.url == reverse("admin:index")


def test_manager_cannot_set_a_fellow_managers_password(client, manager, peer):
    client.force_login(manager)

    response = set_password(client, peer)

    assert response.status_code == 403
    assert not has_new_password(peer)


def test_manager_cannot_set_their_own_password_without_the_current_one(client, manager):
    client.force_login(manager)

    response = set_password(client, manager)

    assert response.status_code == 403
    assert not has_new_password(manager)


def test_limited_manager_cannot_set_the_password_of_another_departments_agent(
    client, support_manager, outsider_agent
):
    client.force_login(support_manager)

    response = set_password(client, outsider_agent)

    assert response.status_code == 404
    assert not has_new_password(outsider_agent)


def test_superuser_sets_a_managers_password(client, boss, peer):
    client.force_login(boss)

    response = set_password(client, peer)

    assert response.status_code == 302
    assert has_new_password(peer)


def test_manager_cannot_change_a_fellow_managers_account(client, manager, peer):
    client.force_login(manager)
    data = change_form(client, peer)
    data["email"] = ["taken-over@example.com"]

    response = client.post(reverse("admin:accounts_user_change", args=[peer.pk]), data)

    assert response.status_code == 403
    peer.refresh_from_db()
    assert peer.email != "taken-over@example.com"


def test_manager_changes_an_agents_account(client, manager, agent):
    client.force_login(manager)
    data = change_form(client, agent)
    data["email"] = ["alex.new@example.com"]

    response = client.post(reverse("admin:accounts_user_change", args=[agent.pk]), data)

    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.email == "alex.new@example.com"


def test_manager_cannot_make_an_agent_a_manager(client, manager, agent):
    client.force_login(manager)
    data = change_form(client, agent)
    data["groups"] = [str(Group.objects.get(name=MANAGER_ROLE).pk)]
    data["is_staff"] = ["on"]

    response = client.post(reverse("admin:accounts_user_change", args=[agent.pk]), data)

    assert "Select a valid choice" in response.content.decode()
    agent.refresh_from_db()
    assert not agent.groups.filter(name=MANAGER_ROLE).exists()
    assert agent.is_staff is False


def test_limited_manager_cannot_add_an_agent_to_another_department(
    client, support_manager, agent, other_department
):
    client.force_login(support_manager)
    data = change_form(client, agent)
    extra = int(data["memberships-TOTAL_FORMS"][0]) - 1
    data[f"memberships-{extra}-department"] = [str(other_department.pk)]

    response = client.post(reverse("admin:accounts_user_change", args=[agent.pk]), data)

    assert "Select a valid choice" in response.content.decode()
    assert not DepartmentAgent.objects.filter(agent=agent, department=other_department).exists()


def test_manager_cannot_delete_a_fellow_manager_with_the_bulk_action(client, manager, peer):
    client.force_login(manager)

    response = client.post(
        USERS, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [peer.pk], "post": "yes"}
    )

    assert response.status_code == 403
    assert User.objects.filter(pk=peer.pk).exists()


def test_sign_out_action_leaves_a_fellow_manager_signed_in(client, manager, peer):
    from django.test import Client

    peer_browser = Client()
    peer_browser.force_login(peer)
    client.force_login(manager)

    page = client.post(
        USERS, {"action": "sign_out_everywhere", ACTION_CHECKBOX_NAME: [peer.pk]}, follow=True
    ).content.decode()

    assert "not yours to manage: pat" in page
    assert peer_browser.get(reverse("home")).status_code == 200


def test_deleting_a_user_does_not_show_their_token_key(client, manager, agent):
    key = Token.objects.create(user=agent).key
    client.force_login(manager)

    page = client.get(reverse("admin:accounts_user_delete", args=[agent.pk])).content.decode()

    assert key not in page
    assert f"{key[:4]}…" in page
    assert "&lt;a href" not in page  # the linked entries are still links


# --- API tokens ---------------------------------------------------------------------------------


def test_token_list_shows_only_the_start_of_each_key(client, manager, agent):
    key = Token.objects.create(user=agent).key
    client.force_login(manager)

    page = client.get(TOKENS).content.decode()

    assert key not in page
    assert f"{key[:4]}…" in page


def test_new_token_is_shown_once_when_created(client, manager, agent):
    client.force_login(manager)

    created = client.post(ADD_TOKEN, {"user": agent.pk}, follow=True).content.decode()
    again = client.get(TOKENS).content.decode()

    key = Token.objects.get(user=agent).key
    assert key in created
    assert key not in again


def test_creating_a_token_leaves_the_key_out_of_the_logs(client, manager, agent):
    client.force_login(manager)

    client.post(ADD_TOKEN, {"user": agent.pk})

    key = Token.objects.get(user=agent).key
    audit = Event.objects.get(name="supervisor.action", data__action="create_api_token")
    assert key not in str(audit.data)
    assert not LogEntry.objects.filter(object_repr__contains=key).exists()


def test_revoke_page_shows_only_the_start_of_the_key(client, manager, agent):
    key = Token.objects.create(user=agent).key
    client.force_login(manager)

    page = client.get(reverse("admin:authtoken_tokenproxy_delete", args=[agent.pk]))

    assert page.status_code == 200
    assert key not in page.content.decode()
    assert f"{key[:4]}…" in page.content.decode()


def test_manager_revokes_an_agents_token(client, manager, agent):
    Token.objects.create(user=agent)
    client.force_login(manager)

    client.post(reverse("admin:authtoken_tokenproxy_delete", args=[agent.pk]), {"post": "yes"})

    assert not Token.objects.filter(user=agent).exists()


def test_a_token_has_no_page_of_its_own(client, manager, agent):
    Token.objects.create(user=agent)
    client.force_login(manager)

    response = client.get(reverse("admin:authtoken_tokenproxy_change", args=[agent.pk]))

    assert response.status_code == 404


def test_manager_cannot_create_a_token_for_a_superuser(client, manager, boss):
    client.force_login(manager)

    response = client.post(ADD_TOKEN, {"user": boss.pk})

    assert "Select a valid choice" in response.content.decode()
    assert not Token.objects.filter(user=boss).exists()


def test_manager_cannot_create_a_token_for_themselves(client, manager):
    client.force_login(manager)

    response = client.post(ADD_TOKEN, {"user": manager.pk})

    assert "Select a valid choice" in response.content.decode()
    assert not Token.objects.filter(user=manager).exists()


def test_manager_cannot_create_a_token_for_a_fellow_manager(client, manager, peer):
    client.force_login(manager)

    response = client.post(ADD_TOKEN, {"user": peer.pk})

    assert "Select a valid choice" in response.content.decode()
    assert not Token.objects.filter(user=peer).exists()


def test_limited_manager_cannot_create_a_token_for_another_departments_agent(
    client, support_manager, outsider_agent
):
    client.force_login(support_manager)

    response = client.post(ADD_TOKEN, {"user": outsider_agent.pk})

    assert "Select a valid choice" in response.content.decode()
    assert not Token.objects.filter(user=outsider_agent).exists()


def test_manager_does_not_see_a_superusers_token(client, manager, boss):
    key = Token.objects.create(user=boss).key
    client.force_login(manager)

    page = client.get(TOKENS).content.decode()

    assert key[:4] not in page
    assert "boss" not in page


def test_manager_cannot_revoke_a_superusers_token_by_url(client, manager, boss):
    Token.objects.create(user=boss)
    client.force_login(manager)

    client.post(reverse("admin:authtoken_tokenproxy_delete", args=[boss.pk]), {"post": "yes"})

    assert Token.objects.filter(user=boss).exists()
