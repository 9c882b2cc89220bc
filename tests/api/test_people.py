"""Departments, agents and contacts over the API."""

import pytest

from accounts.models import User
from directory.models import Channel
from directory.services import get_or_create_contact
from rooms.services import receive_contact_message
from tests.factories import make_manager

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
PASSWORD = "a-Strong-pass-123"


# --- departments ----------------------------------------------------------------------------


def test_manager_creates_a_department_with_a_slug(api_as, supervisor):
    response = api_as(supervisor).post(f"{V1}/departments/", {"name": "Billing & Refunds"})

    assert response.status_code == 201
    assert response.json()["slug"] == "billing-refunds"


def test_second_department_with_the_same_name_is_a_conflict(api_as, supervisor, department):
    response = api_as(supervisor).post(f"{V1}/departments/", {"name": "support"})

    assert response.status_code == 409
    assert response.json()["code"] == "department_exists"


def test_manager_disables_a_department(api_as, supervisor, department):
    response = api_as(supervisor).patch(f"{V1}/departments/{department.pk}/", {"enabled": False})

    assert response.json()["enabled"] is False


def test_departments_filter_by_enabled(api_as, agent, department, other_department, supervisor):
    api_as(supervisor).patch(f"{V1}/departments/{other_department.pk}/", {"enabled": False})

    response = api_as(agent).get(f"{V1}/departments/?enabled=true")

    assert [d["slug"] for d in response.json()["results"]] == ["support"]


# --- agents ---------------------------------------------------------------------------------


def test_manager_creates_an_agent_who_can_sign_in(api_as, supervisor, department):
    response = api_as(supervisor).post(
        f"{V1}/agents/",
        {
            "username": "robin",
            "password": PASSWORD,
            "name": "Robin van Dijk",
            "email": "robin@example.com",
            "departments": [department.pk],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body["role"] == "agent"
    assert body["name"] == "Robin van Dijk"
    assert [d["slug"] for d in body["departments"]] == ["support"]
    assert User.objects.get(username="robin").check_password(PASSWORD)


def test_creating_an_existing_user_name_is_a_conflict_and_keeps_the_password(
    api_as, supervisor, agent, password
):
    response = api_as(supervisor).post(
        f"{V1}/agents/", {"username": agent.username, "password": "Another-pass-987"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "agent_exists"
    agent.refresh_from_db()
    assert agent.check_password(password)


def test_agent_switches_their_own_queue_off_and_goes_away(api_as, agent):
    response = api_as(agent).patch(
        f"{V1}/agents/{agent.pk}/", {"queue_enabled": False, "status": "away"}
    )

    assert response.status_code == 200
    assert response.json()["queue_enabled"] is False
    assert response.json()["status"] == "away"


def test_agent_cannot_make_themself_a_manager(api_as, agent):
    response = api_as(agent).patch(f"{V1}/agents/{agent.pk}/", {"role": "manager"})

    assert response.status_code == 403
    assert response.json()["code"] == "manager_required"
    assert response.json()["detail"]


def test_agent_cannot_switch_a_colleagues_queue(api_as, agent, other_agent):
    response = api_as(agent).patch(f"{V1}/agents/{other_agent.pk}/", {"queue_enabled": False})

    assert response.status_code == 403
    other_agent.refresh_from_db()
    assert other_agent.queue_enabled


def test_manager_moves_an_agent(api_as, supervisor, agent, other_department):
    response = api_as(supervisor).patch(
        f"{V1}/agents/{agent.pk}/", {"departments": [other_department.pk], "max_chats": 9}
    )

    body = response.json()
    assert [d["slug"] for d in body["departments"]] == ["sales"]
    assert body["max_chats"] == 9


def test_superuser_manager_promotes_an_agent(api_as, agent):
    boss = make_manager(username="boss", is_superuser=True)

    response = api_as(boss).patch(f"{V1}/agents/{agent.pk}/", {"role": "manager"})

    assert response.json()["role"] == "manager"


def test_manager_cannot_promote_an_agent_and_nothing_changes(api_as, supervisor, agent):
    response = api_as(supervisor).patch(
        f"{V1}/agents/{agent.pk}/", {"role": "manager", "max_chats": 9}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "manager_required"
    agent.refresh_from_db()
    assert (agent.is_staff, agent.max_chats) == (False, 5)


def test_manager_cannot_create_a_manager(api_as, supervisor, department):
    response = api_as(supervisor).post(
        f"{V1}/agents/",
        {
            "username": "climber",
            "password": "a long pass phrase 42",
            "role": "manager",
            "departments": [department.pk],
        },
    )

    assert response.status_code == 403
    assert not User.objects.filter(username="climber").exists()


def test_manager_cannot_change_a_fellow_manager(api_as, supervisor):
    peer = make_manager(username="peer")

    response = api_as(supervisor).patch(f"{V1}/agents/{peer.pk}/", {"email": "x@example.com"})

    assert response.status_code == 403
    peer.refresh_from_db()
    assert peer.email != "x@example.com"


def test_limited_manager_cannot_place_an_agent_outside_their_departments(
    api_as, department, other_department, agent
):
    limited = make_manager(username="limited", departments=[department])
    limited.supervised_departments.set([department])

    response = api_as(limited).patch(
        f"{V1}/agents/{agent.pk}/", {"departments": [other_department.pk]}
    )

    assert response.status_code == 403
    assert list(agent.departments.all()) == [department]


def test_queue_cannot_be_switched_on_without_a_department_and_nothing_changes(
    api_as, supervisor, agent
):
    response = api_as(supervisor).patch(
        f"{V1}/agents/{agent.pk}/", {"departments": [], "queue_enabled": True, "max_chats": 2}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "queue_not_allowed"
    agent.refresh_from_db()
    assert agent.max_chats == 5
    assert agent.departments.count() == 1


def test_agents_filter_by_role_and_department(api_as, agent, supervisor, outsider_agent):
    client = api_as(agent)

    managers = client.get(f"{V1}/agents/?role=manager").json()["results"]
    sales = client.get(f"{V1}/agents/?department={outsider_agent.departments.get().pk}")

    assert [a["username"] for a in managers] == [supervisor.username]
    assert [a["username"] for a in sales.json()["results"]] == [outsider_agent.username]


def test_users_without_a_role_are_not_listed_as_agents(api_as, agent, plain_user):
    response = api_as(agent).get(f"{V1}/agents/")

    assert plain_user.username not in [a["username"] for a in response.json()["results"]]


def test_agent_list_queries_do_not_grow_with_agents(
    api_as, supervisor, department, django_assert_num_queries
):
    from tests.factories import AgentFactory

    client = api_as(supervisor)
    for n in range(3):
        AgentFactory(username=f"few{n}", departments=[department])
    with django_assert_num_queries(6) as few:
        client.get(f"{V1}/agents/")
    for n in range(10):
        AgentFactory(username=f"many{n}", departments=[department])

    with django_assert_num_queries(len(few)):
        client.get(f"{V1}/agents/")


# --- contacts -------------------------------------------------------------------------------


@pytest.fixture
def known_contact(department):
    contact, _ = get_or_create_contact(
        channel=Channel.API, external_id="sms:+4915112345678", name="Grace Hopper"
    )
    receive_contact_message(contact=contact, channel=Channel.API, department=department, text="hi")
    return contact


@pytest.mark.parametrize("text", ["grace", "HOPPER", "4915112345678"])
def test_agent_searches_contacts_by_name_or_identity(api_as, agent, known_contact, text):
    response = api_as(agent).get(f"{V1}/contacts/", {"search": text})

    assert [c["id"] for c in response.json()["results"]] == [known_contact.pk]


def test_contacts_filter_by_channel_identity(api_as, agent, known_contact):
    response = api_as(agent).get(f"{V1}/contacts/", {"external_id": "sms:+4915112345678"})

    assert response.json()["results"][0]["identities"] == [
        {"channel": "api", "external_id": "sms:+4915112345678"}
    ]


def test_agent_creates_a_contact_with_an_identity(api_as, agent):
    response = api_as(agent).post(
        f"{V1}/contacts/",
        {
            "name": "Ada",
            "email": "ada@example.com",
            "phone": "+44 20 7946 0000",
            "identities": [{"channel": "api", "external_id": "crm:42"}],
        },
    )

    assert response.status_code == 201
    assert response.json()["identities"] == [{"channel": "api", "external_id": "crm:42"}]


def test_identity_of_another_contact_is_a_conflict(api_as, agent, known_contact):
    response = api_as(agent).post(
        f"{V1}/contacts/",
        {"name": "Grace", "identities": [{"channel": "api", "external_id": "sms:+4915112345678"}]},
    )

    assert response.status_code == 409
    assert response.json()["code"] == "identity_taken"


def test_agent_updates_a_contact(api_as, agent, known_contact):
    response = api_as(agent).patch(
        f"{V1}/contacts/{known_contact.pk}/", {"email": "grace@example.com"}
    )

    assert response.status_code == 200
    assert response.json()["email"] == "grace@example.com"


def test_contact_without_a_room_of_the_agents_is_not_found(api_as, outsider_agent, known_contact):
    response = api_as(outsider_agent).patch(f"{V1}/contacts/{known_contact.pk}/", {"name": "X"})

    assert response.status_code == 404
    known_contact.refresh_from_db()
    assert known_contact.name == "Grace Hopper"


def test_manager_sees_every_contact(api_as, supervisor, known_contact):
    response = api_as(supervisor).get(f"{V1}/contacts/")

    assert [c["id"] for c in response.json()["results"]] == [known_contact.pk]
