import csv
import io
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from omnichannel.models import Event
from queues.services import take_room
from rooms.models import Room

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:rooms_room_changelist")


def act(client, action, rooms, **fields):
    data = {"action": action, ACTION_CHECKBOX_NAME: [room.pk for room in rooms], **fields}
    return client.post(CHANGELIST, data)


def confirm(client, action, rooms, **fields):
    """The confirmation page, then the confirmed action, as a supervisor would click them."""
    page = act(client, action, rooms)
    assert page.status_code == 200
    states = {f"state_{room.pk}": f"{room.status}:{room.agent_id or ''}" for room in rooms}
    return act(client, action, rooms, apply="1", **states, **fields)


def test_agent_opening_admin_is_refused(client, agent):
    client.force_login(agent)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_manager_sees_the_console_with_rooms(client, manager, queued_room):
    client.force_login(manager)

    page = client.get(CHANGELIST).content.decode()

    assert queued_room.contact.display_name in page
    assert "Export as CSV" in page


def test_room_page_shows_the_conversation_read_only(client, manager, queued_room):
    client.force_login(manager)

    page = client.get(reverse("admin:rooms_room_change", args=[queued_room.pk])).content.decode()

    assert "Hello, I need help" in page
    assert 'name="_save"' not in page


def test_room_list_searches_message_text(client, manager, write_as_contact):
    write_as_contact("my router is broken", visitor="a")
    write_as_contact("invoice question", visitor="b")
    client.force_login(manager)

    page = client.get(CHANGELIST, {"q": "router"}).content.decode()

    assert "1 room" in page or "1 result" in page


def test_return_to_queue_asks_for_confirmation_first(client, manager, taken_room):
    client.force_login(manager)

    page = act(client, "requeue_rooms", [taken_room])

    assert ">Confirm" in page.content.decode() or 'value="Confirm"' in page.content.decode()
    taken_room.refresh_from_db()
    assert taken_room.status == Room.Status.TAKEN


def test_confirmed_return_to_queue_requeues_and_is_audited(client, manager, taken_room):
    client.force_login(manager)

    confirm(client, "requeue_rooms", [taken_room])

    taken_room.refresh_from_db()
    assert taken_room.status == Room.Status.QUEUED
    entry = Event.objects.get(name="supervisor.action")
    assert entry.actor == manager
    assert entry.data["action"] == "return_to_queue"
    assert entry.data["page"].startswith(CHANGELIST)


def test_action_on_a_room_that_changed_meanwhile_does_nothing(
    client, manager, queued_room, agent, other_agent
):
    client.force_login(manager)
    page = act(client, "close_rooms", [queued_room])
    assert page.status_code == 200
    take_room(agent, queued_room)  # someone takes it while the supervisor reads the page

    response = act(
        client,
        "close_rooms",
        [queued_room],
        apply="1",
        comment="spam",
        **{f"state_{queued_room.pk}": "queued:"},
    )

    queued_room.refresh_from_db()
    assert queued_room.status == Room.Status.TAKEN
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("changed meanwhile" in m for m in messages)


def test_assign_offers_only_eligible_agents(client, manager, queued_room, agent, outsider_agent):
    agent.status = "online"
    agent.save()
    client.force_login(manager)

    page = act(client, "assign_rooms", [queued_room]).content.decode()

    # The agent options, not any value: a room's id in the form may equal an agent's.
    assert f'<option value="{agent.pk}"' in page
    assert f'<option value="{outsider_agent.pk}"' not in page


def test_assign_gives_the_chat_to_the_agent(client, manager, queued_room, agent):
    client.force_login(manager)

    confirm(client, "assign_rooms", [queued_room], agent=agent.pk)

    queued_room.refresh_from_db()
    assert queued_room.agent == agent
    assert queued_room.status == Room.Status.TAKEN


def test_assign_to_an_agent_at_capacity_is_refused(client, manager, queued_room, agent):
    agent.max_chats = 0
    agent.save()
    client.force_login(manager)

    confirm(client, "assign_rooms", [queued_room], agent=agent.pk)

    queued_room.refresh_from_db()
    assert queued_room.status == Room.Status.QUEUED


def test_transfer_needs_a_comment(client, manager, taken_room, other_department):
    client.force_login(manager)

    confirm(client, "transfer_rooms", [taken_room], department=other_department.pk, comment="")

    taken_room.refresh_from_db()
    assert taken_room.department_id != other_department.pk


def test_transfer_sends_the_chat_to_the_other_queue(client, manager, taken_room, other_department):
    client.force_login(manager)

    confirm(
        client, "transfer_rooms", [taken_room], department=other_department.pk, comment="Sales lead"
    )

    taken_room.refresh_from_db()
    assert taken_room.department == other_department
    assert taken_room.status == Room.Status.QUEUED
    assert taken_room.agent is None


def test_close_needs_a_comment(client, manager, taken_room):
    client.force_login(manager)

    confirm(client, "close_rooms", [taken_room], comment="")

    taken_room.refresh_from_db()
    assert taken_room.status == Room.Status.TAKEN


def test_close_with_comment_and_tags(client, manager, taken_room):
    client.force_login(manager)

    confirm(client, "close_rooms", [taken_room], comment="Duplicate", tags="spam, Dup")

    taken_room.refresh_from_db()
    assert taken_room.status == Room.Status.CLOSED
    assert sorted(taken_room.tags.values_list("name", flat=True)) == ["dup", "spam"]


def test_export_gives_the_filtered_list_as_csv(client, manager, queued_room, sales_room):
    client.force_login(manager)

    response = client.get(
        reverse("admin:rooms_room_export"), {"department": sales_room.department_id}
    )

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "id"
    assert [row[0] for row in rows[1:]] == [str(sales_room.pk)]


def test_scoped_manager_does_not_see_other_departments_rooms(
    client, support_manager, queued_room, sales_room
):
    client.force_login(support_manager)

    page = client.get(CHANGELIST).content.decode()

    assert queued_room.contact.display_name in page
    assert sales_room.contact.display_name not in page


def test_scoped_manager_cannot_open_another_departments_room_by_url(
    client, support_manager, sales_room
):
    client.force_login(support_manager)

    response = client.get(reverse("admin:rooms_room_change", args=[sales_room.pk]))

    assert response.status_code in (302, 404)
    assert sales_room.contact.display_name not in response.content.decode()


def test_scoped_manager_filtering_to_another_department_gets_nothing(
    client, support_manager, sales_room
):
    client.force_login(support_manager)

    page = client.get(CHANGELIST, {"department": sales_room.department_id}).content.decode()

    assert sales_room.contact.display_name not in page


def test_scoped_manager_export_never_contains_another_department(
    client, support_manager, queued_room, sales_room
):
    client.force_login(support_manager)

    response = client.get(
        reverse("admin:rooms_room_export"), {"department": sales_room.department_id}
    )

    assert str(sales_room.contact.display_name) not in response.content.decode()


def test_scoped_manager_cannot_act_on_another_department(client, support_manager, sales_room):
    client.force_login(support_manager)

    confirm(client, "close_rooms", [sales_room], comment="not mine")

    sales_room.refresh_from_db()
    assert sales_room.status == Room.Status.QUEUED


def test_rooms_list_counts_only_up_to_its_cap(client, manager, write_as_contact, monkeypatch):
    from omnichannel.supervision import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 2)
    for visitor in ("v1", "v2", "v3"):
        write_as_contact(visitor=visitor)
    client.force_login(manager)

    page = client.get(CHANGELIST).content.decode()

    assert "2+ rooms" in page


def test_rooms_list_below_the_cap_gives_the_exact_count(client, manager, write_as_contact):
    for visitor in ("v1", "v2", "v3"):
        write_as_contact(visitor=visitor)
    client.force_login(manager)

    page = client.get(CHANGELIST).content.decode()

    assert "3 rooms" in page


def opened_on(monkeypatch, write_as_contact, day: str, visitor: str) -> Room:
    from datetime import datetime

    moment = datetime.fromisoformat(f"{day}T12:00:00").replace(
        tzinfo=timezone.get_current_timezone()
    )
    monkeypatch.setattr(timezone, "now", lambda: moment)
    room = write_as_contact(visitor=visitor, name=f"Opened {day}").room
    monkeypatch.undo()
    return room


def test_rooms_filtered_by_a_range_of_days_include_both_ends(
    client, manager, write_as_contact, monkeypatch
):
    for day in ("2026-03-01", "2026-03-02", "2026-03-04", "2026-03-05"):
        opened_on(monkeypatch, write_as_contact, day, visitor=day)
    client.force_login(manager)

    page = client.get(
        CHANGELIST, {"created_at__from": "2026-03-02", "created_at__to": "2026-03-04"}
    ).content.decode()

    assert "Opened 2026-03-02" in page
    assert "Opened 2026-03-04" in page
    assert "Opened 2026-03-01" not in page
    assert "Opened 2026-03-05" not in page


def test_rooms_range_filter_ignores_a_bound_that_is_not_a_date(client, manager, queued_room):
    client.force_login(manager)

    response = client.get(CHANGELIST, {"created_at__from": "yesterday"})

    assert response.status_code == 200
    assert "is not a date" in response.content.decode()
    assert queued_room.contact.display_name in response.content.decode()


def test_rooms_range_filter_accepts_the_last_day_of_the_calendar(client, manager, queued_room):
    client.force_login(manager)

    response = client.get(CHANGELIST, {"created_at__to": "9999-12-31"})

    assert response.status_code == 200
    assert queued_room.contact.display_name in response.content.decode()


def test_rooms_date_presets_still_filter(client, manager, write_as_contact, monkeypatch):
    opened_on(monkeypatch, write_as_contact, "2020-01-01", visitor="old")
    write_as_contact(visitor="new", name="Opened today")
    client.force_login(manager)
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = today + timedelta(days=1)

    # The "Today" link's own parameters.
    page = client.get(
        CHANGELIST, {"created_at__gte": str(today), "created_at__lt": str(tomorrow)}
    ).content.decode()

    assert "Opened today" in page
    assert "Opened 2020-01-01" not in page


def test_each_listed_room_has_its_action_checkbox_with_an_escaped_label(
    client, manager, write_as_contact
):
    room = write_as_contact(visitor="x", name="<b>Bold</b> Bea").room
    client.force_login(manager)

    page = client.get(CHANGELIST).content.decode()

    assert f'name="_selected_action" value="{room.pk}" class="action-select"' in page
    assert "<b>Bold</b>" not in page
