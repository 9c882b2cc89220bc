"""Priorities and service levels: defaults, the queue's order, who changes them, the marks."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from queues.errors import InvalidPriority, InvalidSla
from queues.models import SlaPolicy
from queues.selectors import queued_rooms_for
from queues.services import save_sla_policy, set_service_level
from rooms.errors import NotAllowed
from rooms.models import Room
from rooms.services import post_agent_message

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/rooms/"


def make_overdue(room: Room, *, minutes_late: int = 1) -> None:
    due = timezone.now() - timedelta(minutes=minutes_late)
    Room.objects.filter(pk=room.pk).update(
        first_response_due_at=due, first_response_warning_at=due - timedelta(minutes=2)
    )


def test_new_chat_takes_the_departments_default_priority_and_sla(
    department, route, sla_policy, write_as_contact
):
    route(department, "manual", default_priority="high", sla_policy=sla_policy)

    room = write_as_contact().room

    room.refresh_from_db()
    assert room.priority == Room.Priority.HIGH
    assert room.first_response_due_at == room.created_at + timedelta(minutes=10)
    assert room.first_response_warning_at == room.created_at + timedelta(minutes=8)


def test_chat_of_a_department_without_routing_is_normal_with_no_due_time(queued_room):
    assert queued_room.priority == Room.Priority.NORMAL
    assert queued_room.first_response_due_at is None


def test_queue_orders_by_priority_then_due_time_then_wait(agent, write_as_contact):
    waited_longest = write_as_contact(visitor="a").room
    due_later = write_as_contact(visitor="b").room
    due_sooner = write_as_contact(visitor="c").room
    urgent = write_as_contact(visitor="d").room
    now = timezone.now()
    Room.objects.filter(pk=due_later.pk).update(first_response_due_at=now + timedelta(hours=1))
    Room.objects.filter(pk=due_sooner.pk).update(first_response_due_at=now + timedelta(minutes=5))
    Room.objects.filter(pk=urgent.pk).update(priority=Room.Priority.URGENT)

    assert list(queued_rooms_for(agent)) == [urgent, due_sooner, due_later, waited_longest]


def test_agent_sets_the_priority_of_their_chat(taken_room, agent):
    room = set_service_level(agent, taken_room, priority="urgent")

    assert room.priority == Room.Priority.URGENT
    note = room.messages.get(system_code="priority")
    assert note.system_data["priority"] == Room.Priority.URGENT


@pytest.mark.parametrize("wrong", ["super", 7, 0, "", None, True, [3], {"high": 1}])
def test_priority_of_the_wrong_shape_is_refused_and_changes_nothing(taken_room, agent, wrong):
    with pytest.raises(InvalidPriority):
        set_service_level(agent, taken_room, priority=wrong)

    taken_room.refresh_from_db()
    assert taken_room.priority == Room.Priority.NORMAL
    assert not taken_room.messages.filter(system_code="priority").exists()


def test_agent_cannot_set_the_priority_of_another_agents_chat(taken_room, other_agent):
    with pytest.raises(NotAllowed):
        set_service_level(other_agent, taken_room, priority="high")

    taken_room.refresh_from_db()
    assert taken_room.priority == Room.Priority.NORMAL


def test_setting_an_sla_policy_counts_the_due_time_from_arrival(taken_room, agent, sla_policy):
    room = set_service_level(agent, taken_room, sla_policy=sla_policy)

    assert room.first_response_due_at == room.created_at + timedelta(minutes=10)


def test_room_page_shows_the_priority_and_lets_the_serving_agent_change_it(
    client, taken_room, agent
):
    client.force_login(agent)

    response = client.post(reverse("room-priority", args=[taken_room.pk]), {"priority": "3"})

    assert response.status_code == 302
    page = client.get(reverse("room", args=[taken_room.pk])).content.decode()
    assert 'id="room-priority"' in page
    assert '<option value="3" selected>High</option>' in page


def test_room_page_refuses_a_priority_of_the_wrong_shape(client, taken_room, agent):
    client.force_login(agent)

    response = client.post(reverse("room-priority", args=[taken_room.pk]), {"priority": "9"})

    assert response.status_code == 400
    assert "Choose a priority" in response.content.decode()
    taken_room.refresh_from_db()
    assert taken_room.priority == Room.Priority.NORMAL


def test_room_page_of_another_department_is_404_for_priority(client, taken_room, outsider_agent):
    client.force_login(outsider_agent)

    response = client.post(reverse("room-priority", args=[taken_room.pk]), {"priority": "3"})

    assert response.status_code == 404


# SLA policies: their shape.


@pytest.mark.parametrize(
    ("first", "warning", "message"),
    [
        (0, 0, "between 1 minute and 7 days"),
        (7 * 24 * 60 + 1, 0, "between 1 minute and 7 days"),
        (10, 10, "warning must come before"),
        (10, -1, "warning must come before"),
        ("ten", 0, "whole number"),
        (5.5, 0, "whole number"),
    ],
)
def test_sla_policy_of_the_wrong_shape_is_refused_and_nothing_saved(
    admin_of_routing, first, warning, message
):
    with pytest.raises(InvalidSla, match=message):
        save_sla_policy(
            admin_of_routing,
            None,
            name="Gold",
            first_response_minutes=first,
            warning_minutes=warning,
        )

    assert not SlaPolicy.objects.exists()


def test_sla_policy_name_is_unique(admin_of_routing, sla_policy):
    with pytest.raises(InvalidSla, match="exists already"):
        save_sla_policy(admin_of_routing, None, name="standard", first_response_minutes=5)


def test_admin_refuses_an_sla_whose_warning_is_not_before_its_due_time(client, admin_of_routing):
    client.force_login(admin_of_routing)

    response = client.post(
        reverse("admin:queues_slapolicy_add"),
        {"name": "Gold", "description": "", "first_response_minutes": 5, "warning_minutes": 5},
    )

    assert response.status_code == 200
    assert "The warning must come before the due time" in response.content.decode()
    assert not SlaPolicy.objects.exists()


def test_admin_sets_a_departments_routing(client, admin_of_routing, department, sla_policy):
    client.force_login(admin_of_routing)

    response = client.post(
        reverse("admin:queues_departmentrouting_add"),
        {
            "department": department.pk,
            "policy": "load_balancing",
            "default_priority": 3,
            "sla_policy": sla_policy.pk,
        },
    )

    assert response.status_code == 302
    routing = department.routing
    assert (routing.policy, routing.default_priority, routing.sla_policy) == (
        "load_balancing",
        3,
        sla_policy,
    )


# The marks: sidebar and dashboard.


def test_sidebar_marks_a_chat_past_its_due_time(client, agent, queued_room):
    make_overdue(queued_room)
    client.force_login(agent)

    page = client.get(reverse("omnichannel-sidebar")).content.decode()

    assert 'class="sla sla-past"' in page
    assert "Overdue" in page


def test_sidebar_marks_a_chat_near_its_due_time(client, agent, queued_room):
    now = timezone.now()
    Room.objects.filter(pk=queued_room.pk).update(
        first_response_due_at=now + timedelta(minutes=1),
        first_response_warning_at=now - timedelta(minutes=1),
    )
    client.force_login(agent)

    page = client.get(reverse("omnichannel-sidebar")).content.decode()

    assert 'class="sla sla-near"' in page
    assert "Due soon" in page


def test_answered_chat_is_no_longer_marked(client, agent, taken_room):
    make_overdue(taken_room)
    post_agent_message(agent, taken_room, text="Hello!")
    client.force_login(agent)

    page = client.get(reverse("omnichannel-sidebar")).content.decode()

    assert "sla-past" not in page


def test_dashboard_counts_and_lists_chats_past_their_due_time(
    client, admin_of_routing, queued_room
):
    make_overdue(queued_room)
    client.force_login(admin_of_routing)

    page = client.get(reverse("console-dashboard")).content.decode()

    assert 'data-figure="past-due" class="sla-past">1<' in page
    assert f'<tr data-room="{queued_room.pk}" class="sla-past">' in page


# Over the API.


def test_api_shows_a_rooms_priority_and_service_level(api_as, agent, queued_room):
    make_overdue(queued_room)

    body = api_as(agent).get(f"{ROOMS}{queued_room.pk}/").json()

    assert body["priority"] == "normal"
    assert body["service_level"] == "past"
    assert body["on_hold"] is False
    assert body["first_response_due_at"] is not None


def test_api_sets_the_priority_and_sla_of_a_room(api_as, agent, taken_room, sla_policy):
    response = api_as(agent).patch(
        f"{ROOMS}{taken_room.pk}/", {"priority": "high", "sla_policy": sla_policy.pk}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["priority"] == "high"
    taken_room.refresh_from_db()
    assert taken_room.first_response_due_at == taken_room.created_at + timedelta(minutes=10)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"priority": "super"}, "priority"),
        ({"priority": 3}, "priority"),
        ({"priority": ["high"]}, "priority"),
        ({"sla_policy": "gold"}, "sla_policy"),
        ({"sla_policy": 0}, "sla_policy"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_api_refuses_priority_or_sla_of_the_wrong_shape(api_as, agent, taken_room, body, field):
    response = api_as(agent).patch(f"{ROOMS}{taken_room.pk}/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    taken_room.refresh_from_db()
    assert taken_room.priority == Room.Priority.NORMAL


def test_api_refuses_an_unknown_sla_policy(api_as, agent, taken_room):
    response = api_as(agent).patch(f"{ROOMS}{taken_room.pk}/", {"sla_policy": 999}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_sla"


def test_api_lists_sla_policies(api_as, agent, sla_policy):
    body = api_as(agent).get("/api/v1/sla-policies/").json()

    assert [policy["name"] for policy in body["results"]] == ["Standard"]


def test_queue_over_the_api_is_in_serving_order(api_as, agent, write_as_contact):
    first = write_as_contact(visitor="a").room
    urgent = write_as_contact(visitor="b").room
    Room.objects.filter(pk=urgent.pk).update(priority=Room.Priority.URGENT)

    body = api_as(agent).get("/api/v1/queue/").json()

    assert [room["id"] for room in body["results"]] == [urgent.pk, first.pk]
