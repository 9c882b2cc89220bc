"""Transferring a chat to an agent or a department, and putting it on hold."""

import pytest
from django.urls import reverse

from accounts.models import User
from omnichannel.models import Event
from queues.errors import NotEligible, RoomChanged
from queues.selectors import eligible_agents
from queues.services import (
    put_on_hold,
    resume_room,
    take_room,
    transfer_room,
    transfer_to_agent,
)
from rooms.errors import CommentRequired, NotServingRoom, RoomOnHold
from rooms.models import Room
from rooms.services import post_agent_message
from rooms.templatetags.rooms_tags import system_text
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/rooms/"


def give(actor, room, agent, comment="Billing question, over to you"):
    return transfer_to_agent(
        actor,
        room,
        agent,
        expected_status=room.status,
        expected_agent_id=room.agent_id,
        comment=comment,
    )


def test_agent_transfers_their_chat_to_an_eligible_colleague(taken_room, agent, other_agent):
    room = give(agent, taken_room, other_agent)

    assert room.agent == other_agent
    assert room.status == Room.Status.TAKEN


def test_transfer_leaves_a_system_message_with_the_comment(taken_room, agent, other_agent):
    give(agent, taken_room, other_agent, comment="Needs a refund")

    note = taken_room.messages.get(system_code="transferred_to_agent")
    assert system_text(note) == (
        f"{agent.display_name} transferred the chat to {other_agent.display_name}: Needs a refund"
    )


def test_transfer_to_an_agent_records_both_agents(taken_room, agent, other_agent):
    give(agent, taken_room, other_agent)

    event = Event.objects.get(name="room.transferred", room_id=taken_room.pk)
    assert (event.data["agent"], event.data["previous_agent"]) == (other_agent.pk, agent.pk)


def test_transfer_to_an_offline_agent_is_refused_and_changes_nothing(
    taken_room, agent, other_agent
):
    User.objects.filter(pk=other_agent.pk).update(status=User.Status.OFFLINE)

    with pytest.raises(NotEligible):
        give(agent, taken_room, other_agent)

    taken_room.refresh_from_db()
    assert taken_room.agent == agent
    assert not taken_room.messages.filter(system_code="transferred_to_agent").exists()


def test_transfer_to_an_agent_of_another_department_is_refused(taken_room, agent, outsider_agent):
    with pytest.raises(NotEligible):
        give(agent, taken_room, outsider_agent)

    taken_room.refresh_from_db()
    assert taken_room.agent == agent


def test_transfer_needs_a_comment(taken_room, agent, other_agent):
    with pytest.raises(CommentRequired):
        give(agent, taken_room, other_agent, comment="  ")

    taken_room.refresh_from_db()
    assert taken_room.agent == agent


def test_agent_cannot_transfer_a_chat_they_do_not_serve(taken_room, other_agent):
    with pytest.raises(Exception, match="LiveChat Manager"):
        give(other_agent, taken_room, other_agent)


def test_transfer_of_a_chat_that_moved_meanwhile_changes_nothing(
    taken_room, agent, other_agent, supervisor
):
    seen = {"expected_status": "taken", "expected_agent_id": agent.pk}
    third = AgentFactory(departments=[taken_room.department], queue_enabled=True)
    give(supervisor, taken_room, other_agent)

    with pytest.raises(RoomChanged):
        transfer_to_agent(agent, taken_room, third, comment="mine", **seen)
    taken_room.refresh_from_db()
    assert taken_room.agent == other_agent


def test_transfer_to_a_department_with_an_overlong_comment_is_refused_and_changes_nothing(
    taken_room, agent, department, other_department
):
    with pytest.raises(CommentRequired, match="limited to 2000 characters"):
        transfer_room(
            agent,
            taken_room,
            other_department,
            expected_status="taken",
            expected_agent_id=agent.pk,
            comment="x" * 2001,
        )

    taken_room.refresh_from_db()
    assert (taken_room.department_id, taken_room.agent_id) == (department.pk, agent.pk)


def test_transfer_to_a_disabled_department_is_refused_and_changes_nothing(
    taken_room, agent, other_department
):
    other_department.enabled = False
    other_department.save()
    department_id = taken_room.department_id

    with pytest.raises(NotEligible, match="disabled"):
        transfer_room(
            agent,
            taken_room,
            other_department,
            expected_status="taken",
            expected_agent_id=agent.pk,
            comment="Sales should answer",
        )

    taken_room.refresh_from_db()
    assert (taken_room.department_id, taken_room.agent) == (department_id, agent)


# The room page.


def test_room_header_offers_transfer_and_hold_to_the_serving_agent(client, taken_room, agent):
    client.force_login(agent)

    page = client.get(reverse("room", args=[taken_room.pk])).content.decode()

    assert 'aria-label="Transfer"' in page
    assert 'aria-label="Put on hold"' in page
    assert 'aria-label="Resume"' not in page


def test_room_header_offers_no_transfer_to_another_agent(client, taken_room, other_agent):
    client.force_login(other_agent)

    page = client.get(reverse("room", args=[taken_room.pk])).content.decode()

    assert 'aria-label="Transfer"' not in page
    assert 'aria-label="Put on hold"' not in page


def test_transfer_dialog_lists_only_eligible_agents(
    client, taken_room, agent, other_agent, department
):
    offline = AgentFactory(
        first_name="Olga",
        last_name="Offline",
        departments=[department],
        queue_enabled=True,
        status=User.Status.OFFLINE,
    )
    client.force_login(agent)

    page = client.get(reverse("room", args=[taken_room.pk]), {"confirm": "transfer"})

    html = page.content.decode()
    assert f'value="agent-{other_agent.pk}"' in html
    assert f'value="agent-{offline.pk}"' not in html
    assert f'value="agent-{agent.pk}"' not in html


def test_transfer_from_the_room_page(client, taken_room, agent, other_agent):
    client.force_login(agent)

    response = client.post(
        reverse("room-transfer", args=[taken_room.pk]),
        {"to": f"agent-{other_agent.pk}", "comment": "VIP", "state": f"taken:{agent.pk}"},
    )

    assert response.status_code == 302
    taken_room.refresh_from_db()
    assert taken_room.agent == other_agent


def test_room_page_refuses_a_transfer_to_a_disabled_department(
    client, taken_room, agent, other_department
):
    other_department.enabled = False
    other_department.save()
    client.force_login(agent)

    response = client.post(
        reverse("room-transfer", args=[taken_room.pk]),
        {"to": f"department-{other_department.pk}", "comment": "x", "state": f"taken:{agent.pk}"},
    )

    assert response.status_code == 400
    assert "This department is disabled." in response.content.decode()
    taken_room.refresh_from_db()
    assert taken_room.agent == agent


def test_room_page_transfer_of_someone_elses_room_is_404(client, taken_room, outsider_agent):
    client.force_login(outsider_agent)

    response = client.post(reverse("room-transfer", args=[taken_room.pk]), {"to": "x"})

    assert response.status_code == 404


# Over the API.


def test_api_transfers_a_room_to_an_agent(api_as, taken_room, agent, other_agent):
    response = api_as(agent).post(
        f"{ROOMS}{taken_room.pk}/transfer/",
        {"agent": other_agent.pk, "comment": "over to you"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["agent"]["id"] == other_agent.pk


def test_api_refuses_a_transfer_to_an_ineligible_agent(api_as, taken_room, agent, other_agent):
    User.objects.filter(pk=other_agent.pk).update(queue_enabled=False)

    response = api_as(agent).post(
        f"{ROOMS}{taken_room.pk}/transfer/",
        {"agent": other_agent.pk, "comment": "over to you"},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_eligible"


def test_api_refuses_a_transfer_to_a_disabled_department(
    api_as, taken_room, agent, other_department
):
    other_department.enabled = False
    other_department.save()

    response = api_as(agent).post(
        f"{ROOMS}{taken_room.pk}/transfer/",
        {"department": other_department.pk, "comment": "Sales"},
        format="json",
    )

    assert response.json()["code"] == "not_eligible"
    assert "disabled" in response.json()["detail"]
    taken_room.refresh_from_db()
    assert taken_room.agent == agent


def test_api_transfer_names_an_agent_or_a_department_not_both(
    api_as, taken_room, agent, other_agent, other_department
):
    response = api_as(agent).post(
        f"{ROOMS}{taken_room.pk}/transfer/",
        {"agent": other_agent.pk, "department": other_department.pk, "comment": "x"},
        format="json",
    )

    assert response.status_code == 400


# On hold.


def test_chat_on_hold_leaves_the_agents_active_count(taken_room, agent, department):
    User.objects.filter(pk=agent.pk).update(max_chats=1)
    assert not eligible_agents(department.pk).filter(pk=agent.pk).exists()

    put_on_hold(agent, taken_room)

    assert eligible_agents(department.pk).filter(pk=agent.pk).exists()


def test_chat_on_hold_stays_the_agents(taken_room, agent):
    room = put_on_hold(agent, taken_room)

    assert (room.status, room.agent, room.on_hold) == (Room.Status.TAKEN, agent, True)
    assert room.messages.filter(system_code="held").exists()


def test_contact_writing_resumes_a_chat_on_hold(taken_room, agent, write_as_contact):
    put_on_hold(agent, taken_room)

    write_as_contact("I'm back")

    taken_room.refresh_from_db()
    assert not taken_room.on_hold
    assert Event.objects.filter(name="room.resumed", room_id=taken_room.pk).exists()


def test_agent_resumes_their_chat(taken_room, agent):
    put_on_hold(agent, taken_room)

    room = resume_room(agent, taken_room)

    assert not room.on_hold


def test_resuming_at_the_maximum_is_refused_and_changes_nothing(
    taken_room, agent, write_as_contact
):
    User.objects.filter(pk=agent.pk).update(max_chats=1)
    put_on_hold(agent, taken_room)
    take_room(agent, write_as_contact(visitor="next").room)

    with pytest.raises(NotEligible, match="maximum of 1"):
        resume_room(agent, taken_room)

    taken_room.refresh_from_db()
    assert taken_room.on_hold


def test_agent_cannot_write_in_a_chat_on_hold(taken_room, agent):
    put_on_hold(agent, taken_room)

    with pytest.raises(RoomOnHold):
        post_agent_message(agent, taken_room, text="Hello?")


def test_only_the_serving_agent_puts_a_chat_on_hold(taken_room, other_agent):
    with pytest.raises(NotServingRoom):
        put_on_hold(other_agent, taken_room)

    taken_room.refresh_from_db()
    assert not taken_room.on_hold


def test_room_page_of_a_chat_on_hold_offers_resume(client, taken_room, agent):
    put_on_hold(agent, taken_room)
    client.force_login(agent)

    page = client.get(reverse("room", args=[taken_room.pk])).content.decode()

    assert 'aria-label="Resume"' in page
    assert 'aria-label="Put on hold"' not in page
    assert "data-composer" not in page


def test_hold_and_resume_from_the_room_page(client, taken_room, agent):
    client.force_login(agent)

    client.post(reverse("room-hold", args=[taken_room.pk]))
    taken_room.refresh_from_db()
    held = taken_room.on_hold
    client.post(reverse("room-resume", args=[taken_room.pk]))
    taken_room.refresh_from_db()

    assert (held, taken_room.on_hold) == (True, False)


def test_api_holds_and_resumes_a_room(api_as, taken_room, agent):
    held = api_as(agent).post(f"{ROOMS}{taken_room.pk}/hold/").json()
    resumed = api_as(agent).post(f"{ROOMS}{taken_room.pk}/resume/").json()

    assert (held["on_hold"], resumed["on_hold"]) == (True, False)


def test_my_chats_mark_a_chat_on_hold(client, taken_room, agent):
    put_on_hold(agent, taken_room)
    client.force_login(agent)

    page = client.get(reverse("omnichannel-sidebar")).content.decode()

    assert '<span class="held">On hold</span>' in page
