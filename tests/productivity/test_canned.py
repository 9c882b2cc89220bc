"""Canned responses: personal, department and global; '!shortcut' suggestions in the composer."""

import pytest
from django.urls import reverse

from productivity.errors import InvalidCannedResponse, NotAllowed, ShortcutTaken
from productivity.models import CannedResponse
from productivity.services import (
    create_canned_response,
    delete_canned_response,
    update_canned_response,
)

pytestmark = pytest.mark.django_db

PERSONAL = CannedResponse.Scope.PERSONAL
DEPARTMENT = CannedResponse.Scope.DEPARTMENT
GLOBAL = CannedResponse.Scope.GLOBAL


def suggestions(client, room, query):
    response = client.get(reverse("productivity:canned-suggestions", args=[room.pk]), {"q": query})
    assert response.status_code == 200
    return response.json()["results"]


# The service


def test_agent_saves_a_personal_response(agent):
    response = create_canned_response(agent, scope=PERSONAL, shortcut="!Hello", text="Hi there")

    assert response.shortcut == "hello"
    assert response.owner == agent


def test_personal_shortcut_already_taken_is_refused_and_nothing_changes(agent):
    create_canned_response(agent, scope=PERSONAL, shortcut="hello", text="First")

    with pytest.raises(ShortcutTaken, match="!hello is already taken in your personal"):
        create_canned_response(agent, scope=PERSONAL, shortcut="hello", text="Second")

    assert list(CannedResponse.objects.values_list("text", flat=True)) == ["First"]


def test_department_shortcut_already_taken_is_refused(manager, department):
    create_canned_response(
        manager, scope=DEPARTMENT, shortcut="refund", text="A", department=department
    )

    with pytest.raises(ShortcutTaken, match="responses of Support"):
        create_canned_response(
            manager, scope=DEPARTMENT, shortcut="refund", text="B", department=department
        )

    assert CannedResponse.objects.count() == 1


def test_renaming_to_a_taken_shortcut_is_refused_and_nothing_changes(agent):
    create_canned_response(agent, scope=PERSONAL, shortcut="hello", text="Hello")
    bye = create_canned_response(agent, scope=PERSONAL, shortcut="bye", text="Bye")

    with pytest.raises(ShortcutTaken):
        update_canned_response(agent, bye, shortcut="hello", text="Changed")

    bye.refresh_from_db()
    assert (bye.shortcut, bye.text) == ("bye", "Bye")


def test_one_shortcut_may_exist_once_in_each_scope(agent, other_agent, manager, department):
    create_canned_response(agent, scope=PERSONAL, shortcut="hi", text="Mine")
    create_canned_response(other_agent, scope=PERSONAL, shortcut="hi", text="Theirs")
    create_canned_response(
        manager, scope=DEPARTMENT, shortcut="hi", text="Dept", department=department
    )
    create_canned_response(manager, scope=GLOBAL, shortcut="hi", text="All")

    assert CannedResponse.objects.filter(shortcut="hi").count() == 4


def test_shortcut_with_spaces_is_refused(agent):
    with pytest.raises(InvalidCannedResponse, match="without spaces"):
        create_canned_response(agent, scope=PERSONAL, shortcut="good bye", text="Bye")

    assert not CannedResponse.objects.exists()


def test_agent_cannot_write_shared_responses(agent, department):
    with pytest.raises(NotAllowed):
        create_canned_response(agent, scope=GLOBAL, shortcut="hi", text="All")

    with pytest.raises(NotAllowed):
        create_canned_response(
            agent, scope=DEPARTMENT, shortcut="hi", text="Dept", department=department
        )


def test_agent_cannot_delete_anothers_personal_response(agent, other_agent):
    theirs = create_canned_response(other_agent, scope=PERSONAL, shortcut="hi", text="Theirs")

    with pytest.raises(NotAllowed):
        delete_canned_response(agent, theirs)

    assert CannedResponse.objects.filter(pk=theirs.pk).exists()


# Suggestions in the composer


def test_suggestions_match_the_prefix_and_fill_the_placeholders(client, agent, taken_room):
    create_canned_response(
        agent, scope=PERSONAL, shortcut="hello", text="Hi {contact_name}, I am {agent_name}."
    )
    create_canned_response(agent, scope=PERSONAL, shortcut="bye", text="Bye")
    client.force_login(agent)

    found = suggestions(client, taken_room, "he")

    contact = taken_room.contact.display_name
    assert [(s["shortcut"], s["text"]) for s in found] == [
        ("hello", f"Hi {contact}, I am {agent.first_name}.")
    ]


def test_personal_response_wins_over_the_global_one(client, agent, manager, taken_room):
    create_canned_response(manager, scope=GLOBAL, shortcut="hello", text="Global")
    create_canned_response(agent, scope=PERSONAL, shortcut="hello", text="Mine")
    client.force_login(agent)

    assert [s["text"] for s in suggestions(client, taken_room, "hello")] == ["Mine"]


def test_suggestions_offer_only_the_rooms_department(
    client, agent, manager, department, other_department, taken_room
):
    create_canned_response(
        manager, scope=DEPARTMENT, shortcut="s", text="Support", department=department
    )
    create_canned_response(
        manager, scope=DEPARTMENT, shortcut="sales", text="Sales", department=other_department
    )
    client.force_login(agent)

    assert [s["text"] for s in suggestions(client, taken_room, "s")] == ["Support"]


def test_suggestions_for_a_room_one_may_not_see_are_404(client, outsider_agent, taken_room):
    client.force_login(outsider_agent)

    response = client.get(reverse("productivity:canned-suggestions", args=[taken_room.pk]))

    assert response.status_code == 404


def test_composer_carries_the_suggestions_url_and_script(client, agent, taken_room):
    client.force_login(agent)

    page = client.get(reverse("room", args=[taken_room.pk])).content.decode()

    assert reverse("productivity:canned-suggestions", args=[taken_room.pk]) in page
    assert "js/canned.js" in page


# The agent's page


def test_agent_adds_a_personal_response_on_their_page(client, agent):
    client.force_login(agent)

    response = client.post(
        reverse("productivity:canned"), {"shortcut": "thanks", "text": "Thank you!"}
    )

    assert response.status_code == 302
    assert CannedResponse.objects.get(owner=agent).shortcut == "thanks"


def test_page_shows_a_taken_shortcut_as_an_error(client, agent):
    create_canned_response(agent, scope=PERSONAL, shortcut="thanks", text="Thank you!")
    client.force_login(agent)

    response = client.post(reverse("productivity:canned"), {"shortcut": "thanks", "text": "Again"})

    assert response.status_code == 400
    assert "!thanks is already taken" in response.content.decode()
    assert CannedResponse.objects.count() == 1


def test_agent_cannot_open_anothers_response(client, agent, other_agent):
    theirs = create_canned_response(other_agent, scope=PERSONAL, shortcut="hi", text="Theirs")
    client.force_login(agent)

    response = client.get(reverse("productivity:canned-edit", args=[theirs.pk]))

    assert response.status_code == 404


def test_agent_edits_their_response(client, agent):
    mine = create_canned_response(agent, scope=PERSONAL, shortcut="hi", text="Hi")
    client.force_login(agent)

    client.post(
        reverse("productivity:canned-edit", args=[mine.pk]), {"shortcut": "hey", "text": "Hey"}
    )

    mine.refresh_from_db()
    assert (mine.shortcut, mine.text) == ("hey", "Hey")


def test_agent_deletes_their_response(client, agent):
    mine = create_canned_response(agent, scope=PERSONAL, shortcut="hi", text="Hi")
    client.force_login(agent)

    client.post(reverse("productivity:canned-delete", args=[mine.pk]))

    assert not CannedResponse.objects.exists()


def test_page_lists_the_shared_responses_the_agent_may_use(
    client, agent, manager, other_department
):
    create_canned_response(manager, scope=GLOBAL, shortcut="welcome", text="Welcome!")
    create_canned_response(
        manager, scope=DEPARTMENT, shortcut="quote", text="Quote", department=other_department
    )
    client.force_login(agent)

    page = client.get(reverse("productivity:canned")).content.decode()

    assert "!welcome" in page
    assert "!quote" not in page


# The supervisor console


def test_manager_adds_a_global_response_in_admin(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("admin:productivity_cannedresponse_add"),
        {"scope": GLOBAL, "department": "", "shortcut": "welcome", "text": "Welcome!"},
    )

    assert response.status_code == 302
    assert CannedResponse.objects.get().created_by == manager


def test_admin_refuses_a_taken_shortcut(client, manager):
    create_canned_response(manager, scope=GLOBAL, shortcut="welcome", text="Welcome!")
    client.force_login(manager)

    response = client.post(
        reverse("admin:productivity_cannedresponse_add"),
        {"scope": GLOBAL, "department": "", "shortcut": "welcome", "text": "Again"},
    )

    assert response.status_code == 200
    assert "!welcome is already taken in the global responses" in response.content.decode()
    assert CannedResponse.objects.count() == 1
