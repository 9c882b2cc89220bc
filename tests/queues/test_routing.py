"""Routing policies: who is given a waiting chat, and when."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.services import set_queue_enabled, set_status, update_agent
from omnichannel.models import Event
from queues.errors import InvalidRouting, NotEligible
from queues.models import DepartmentRouting
from queues.routing import route_department, route_everything
from queues.services import assign_room, configure_routing, put_on_hold, take_room
from rooms.models import Room
from rooms.services import close_room
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

Policy = DepartmentRouting.Policy


def arrive(write_as_contact, run_on_commit, visitor: str, **kwargs) -> Room:
    """A contact writes; what waits for the commit (routing among it) runs."""
    with run_on_commit():
        message = write_as_contact(visitor=visitor, **kwargs)
    room = message.room
    room.refresh_from_db()
    return room


def test_auto_selection_gives_an_arriving_chat_to_a_free_agent(
    department, agent, route, write_as_contact, run_on_commit
):
    route(department, Policy.AUTO)

    room = arrive(write_as_contact, run_on_commit, "a")

    assert room.status == Room.Status.TAKEN
    assert room.agent == agent


def test_routed_chat_records_who_got_it_and_why(
    department, agent, route, write_as_contact, run_on_commit
):
    route(department, Policy.LOAD_BALANCING)

    room = arrive(write_as_contact, run_on_commit, "a")

    event = Event.objects.get(name="room.taken", room_id=room.pk)
    assert event.data == {
        "agent": agent.pk,
        "department": department.pk,
        "routed": True,
        "policy": "load_balancing",
    }
    assert room.messages.filter(system_code="routed").count() == 1


def test_manual_selection_leaves_the_chat_in_the_queue(
    department, agent, write_as_contact, run_on_commit
):
    room = arrive(write_as_contact, run_on_commit, "a")

    assert room.status == Room.Status.QUEUED


def test_load_balancing_picks_the_agent_with_the_fewest_open_chats(
    department, agent, other_agent, route, write_as_contact, run_on_commit
):
    take_room(agent, write_as_contact(visitor="busy").room)
    route(department, Policy.LOAD_BALANCING)

    room = arrive(write_as_contact, run_on_commit, "a")

    assert room.agent == other_agent


def test_load_rotation_picks_the_agent_given_a_chat_longest_ago(
    department, agent, other_agent, route, write_as_contact, run_on_commit
):
    old = take_room(agent, write_as_contact(visitor="old").room)
    Room.objects.filter(pk=old.pk).update(taken_at=timezone.now() - timedelta(hours=2))
    recent = take_room(other_agent, write_as_contact(visitor="recent").room)
    close_room(other_agent, recent, comment="done")
    route(department, Policy.LOAD_ROTATION)

    room = arrive(write_as_contact, run_on_commit, "a")

    # Load balancing would pick other_agent (no open chat); rotation picks who waited longest.
    assert room.agent == agent


def test_auto_selection_gives_chats_in_turn_by_chats_received_today(
    department, agent, other_agent, route, write_as_contact, run_on_commit
):
    for visitor in ("one", "two"):
        close_room(agent, take_room(agent, write_as_contact(visitor=visitor).room), comment="ok")
    take_room(other_agent, write_as_contact(visitor="three").room)
    route(department, Policy.AUTO)

    room = arrive(write_as_contact, run_on_commit, "a")

    assert room.agent == other_agent


def test_chat_waits_while_nobody_is_eligible(
    department, agent, route, write_as_contact, run_on_commit
):
    set_status(agent, status=User.Status.OFFLINE)
    route(department, Policy.AUTO)

    room = arrive(write_as_contact, run_on_commit, "a")

    assert room.status == Room.Status.QUEUED


def test_agent_coming_online_is_given_the_waiting_chat(
    department, agent, route, write_as_contact, run_on_commit
):
    set_status(agent, status=User.Status.OFFLINE)
    route(department, Policy.AUTO)
    room = arrive(write_as_contact, run_on_commit, "a")

    with run_on_commit():
        set_status(agent, status=User.Status.ONLINE)

    room.refresh_from_db()
    assert room.agent == agent


def test_agent_switching_the_queue_on_is_given_the_waiting_chat(
    department, agent, route, write_as_contact, run_on_commit
):
    set_queue_enabled(agent, enabled=False)
    route(department, Policy.AUTO)
    room = arrive(write_as_contact, run_on_commit, "a")

    with run_on_commit():
        set_queue_enabled(agent, enabled=True)

    room.refresh_from_db()
    assert room.agent == agent


def test_agent_at_their_maximum_is_not_given_more(
    department, agent, route, write_as_contact, run_on_commit
):
    User.objects.filter(pk=agent.pk).update(max_chats=1)
    route(department, Policy.AUTO)
    first = arrive(write_as_contact, run_on_commit, "a")

    second = arrive(write_as_contact, run_on_commit, "b")

    assert first.agent == agent
    assert second.status == Room.Status.QUEUED


def test_closing_a_chat_gives_the_agent_the_next_waiting_one(
    department, agent, route, write_as_contact, run_on_commit
):
    User.objects.filter(pk=agent.pk).update(max_chats=1)
    route(department, Policy.AUTO)
    first = arrive(write_as_contact, run_on_commit, "a")
    second = arrive(write_as_contact, run_on_commit, "b")

    with run_on_commit():
        close_room(agent, first, comment="solved")

    second.refresh_from_db()
    assert second.agent == agent


def test_putting_a_chat_on_hold_frees_room_for_the_next_one(
    department, agent, route, write_as_contact, run_on_commit
):
    User.objects.filter(pk=agent.pk).update(max_chats=1)
    route(department, Policy.AUTO)
    first = arrive(write_as_contact, run_on_commit, "a")
    second = arrive(write_as_contact, run_on_commit, "b")

    with run_on_commit():
        put_on_hold(agent, first)

    second.refresh_from_db()
    assert second.agent == agent


def test_raising_an_agents_maximum_gives_them_the_waiting_chat(
    department, agent, supervisor, route, write_as_contact, run_on_commit
):
    User.objects.filter(pk=agent.pk).update(max_chats=1)
    route(department, Policy.AUTO)
    arrive(write_as_contact, run_on_commit, "a")
    waiting = arrive(write_as_contact, run_on_commit, "b")

    with run_on_commit():
        update_agent(supervisor, agent, max_chats=2)

    waiting.refresh_from_db()
    assert waiting.agent == agent


def test_switching_a_department_to_auto_assigns_the_chats_already_waiting(
    department, agent, admin_of_routing, write_as_contact, run_on_commit
):
    room = arrive(write_as_contact, run_on_commit, "a")

    with run_on_commit():
        configure_routing(admin_of_routing, department, policy=Policy.AUTO)

    room.refresh_from_db()
    assert room.agent == agent


def test_queue_is_served_in_priority_order(
    department, agent, route, write_as_contact, run_on_commit
):
    set_status(agent, status=User.Status.OFFLINE)
    User.objects.filter(pk=agent.pk).update(max_chats=1)
    route(department, Policy.AUTO)
    normal = arrive(write_as_contact, run_on_commit, "normal")
    urgent = arrive(write_as_contact, run_on_commit, "urgent")
    Room.objects.filter(pk=urgent.pk).update(priority=Room.Priority.URGENT)

    with run_on_commit():
        set_status(agent, status=User.Status.ONLINE)

    urgent.refresh_from_db()
    normal.refresh_from_db()
    assert urgent.agent == agent
    assert normal.status == Room.Status.QUEUED


def test_disabled_department_is_not_routed(department, agent, route, write_as_contact):
    route(department, Policy.AUTO)
    room = write_as_contact(visitor="a").room
    department.enabled = False
    department.save()

    assert route_department(department.pk) == []
    room.refresh_from_db()
    assert room.status == Room.Status.QUEUED


def test_unknown_routing_policy_is_refused_and_changes_nothing(department, admin_of_routing):
    with pytest.raises(InvalidRouting, match="Unknown routing policy"):
        configure_routing(admin_of_routing, department, policy="round-robin")

    assert not DepartmentRouting.objects.filter(department=department).exists()


def test_agent_cannot_configure_routing(department, agent):
    with pytest.raises(Exception, match="LiveChat Manager"):
        configure_routing(agent, department, policy=Policy.AUTO)


# Assigning by hand (a manager) follows the same eligibility.


@pytest.mark.parametrize(
    "make_ineligible",
    [
        lambda agent: User.objects.filter(pk=agent.pk).update(status=User.Status.OFFLINE),
        lambda agent: User.objects.filter(pk=agent.pk).update(queue_enabled=False),
        lambda agent: User.objects.filter(pk=agent.pk).update(max_chats=0),
    ],
    ids=["offline", "queue-off", "at-maximum"],
)
def test_assigning_to_an_ineligible_agent_is_refused_and_changes_nothing(
    queued_room, supervisor, agent, make_ineligible
):
    make_ineligible(agent)

    with pytest.raises(NotEligible, match="cannot be given chats"):
        assign_room(
            supervisor, queued_room, agent, expected_status="queued", expected_agent_id=None
        )

    queued_room.refresh_from_db()
    assert queued_room.status == Room.Status.QUEUED
    assert not queued_room.messages.filter(system_code="assigned").exists()


def test_assigning_to_an_agent_of_another_department_is_refused(
    queued_room, supervisor, outsider_agent
):
    with pytest.raises(NotEligible):
        assign_room(
            supervisor,
            queued_room,
            outsider_agent,
            expected_status="queued",
            expected_agent_id=None,
        )

    queued_room.refresh_from_db()
    assert queued_room.agent is None


def test_new_agent_in_a_routed_department_gets_a_waiting_chat(
    department, supervisor, route, write_as_contact, run_on_commit
):
    route(department, Policy.AUTO)
    room = arrive(write_as_contact, run_on_commit, "a")
    newcomer = AgentFactory(username="newbie", queue_enabled=True)

    with run_on_commit():
        update_agent(supervisor, newcomer, departments=[department])

    room.refresh_from_db()
    assert room.agent == newcomer


def test_sweep_routes_a_chat_whose_events_were_never_dispatched(
    department, agent, route, write_as_contact
):
    route(department, Policy.AUTO)
    room = write_as_contact(visitor="lost").room  # no commit here: no event is dispatched

    assert route_everything() == 1
    room.refresh_from_db()
    assert room.agent == agent
