from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from directory.models import Channel
from directory.services import get_or_create_contact
from omnichannel.reports import percentile_90, period_report
from queues.services import return_to_queue, take_room
from rooms.services import close_room, post_agent_message, receive_contact_message

pytestmark = pytest.mark.django_db


def test_percentile_90_is_the_nearest_rank():
    assert percentile_90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == 9
    assert percentile_90([5]) == 5
    assert percentile_90([]) is None


def test_agent_cannot_open_the_dashboard(client, agent):
    client.force_login(agent)

    response = client.get(reverse("console-dashboard"))

    assert response.status_code in (302, 403)


def test_dashboard_shows_queued_chats_and_agents_per_department(
    client, manager, agent, other_agent, write_as_contact, department
):
    write_as_contact(visitor="a")
    take_room(agent, write_as_contact(visitor="b").room)
    other_agent.max_chats = 0
    other_agent.save()
    client.force_login(manager)

    page = client.get(reverse("console-dashboard")).content.decode()

    row = page[page.index(f'data-department="{department.pk}"') :]
    assert 'data-figure="queued">1<' in row
    assert 'data-figure="open">1<' in row
    assert 'data-figure="online">3<' in row  # the manager is an agent too, with the queue off
    assert 'data-figure="available">1<' in row
    assert 'data-figure="at-capacity">1<' in row
    assert "<svg" in page


def test_scoped_manager_dashboard_shows_only_their_departments(
    client, support_manager, other_department
):
    client.force_login(support_manager)

    page = client.get(reverse("console-dashboard")).content.decode()

    assert f'data-department="{other_department.pk}"' not in page


def at(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_report_figures_agree_with_hand_computed_rooms(monkeypatch, department, agent, other_agent):
    """Two chats, times chosen by hand:

    room 1: queued 0 s, taken at 60 s by alex, reply at 90 s (response 90 s), closed at 300 s.
    room 2: queued 100 s, taken at 400 s by alex, returned at 500 s, taken at 700 s by blair
            (waited 200 s more: queue time 500 s), reply at 760 s (response 660 s), closed
            at 1000 s.
    """
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)

    def contact(key):
        return get_or_create_contact(channel=Channel.LIVECHAT, external_id=key)[0]

    def write(who, text):
        return receive_contact_message(
            contact=who, channel=Channel.LIVECHAT, department=department, text=text
        )

    first, second = contact("one"), contact("two")
    at(monkeypatch, start)
    room1 = write(first, "hi").room
    at(monkeypatch, start + timedelta(seconds=60))
    take_room(agent, room1)
    at(monkeypatch, start + timedelta(seconds=90))
    post_agent_message(agent, room1, text="hello")
    at(monkeypatch, start + timedelta(seconds=100))
    room2 = write(second, "help").room
    at(monkeypatch, start + timedelta(seconds=300))
    close_room(agent, room1, comment="done", tags=["billing"])
    at(monkeypatch, start + timedelta(seconds=400))
    take_room(agent, room2)
    at(monkeypatch, start + timedelta(seconds=500))
    return_to_queue(agent, room2)
    at(monkeypatch, start + timedelta(seconds=700))
    take_room(other_agent, room2)
    at(monkeypatch, start + timedelta(seconds=760))
    post_agent_message(other_agent, room2, text="sorry for the wait")
    at(monkeypatch, start + timedelta(seconds=1000))
    close_room(other_agent, room2, comment="solved", tags=["billing", "vip"])
    # Events are stamped by the database clock; move them to the hand-made times' day.
    from omnichannel.models import Event

    Event.objects.update(created_at=start + timedelta(minutes=5))

    report = period_report([department], start.date(), start.date())

    support = report["departments"][0]
    assert (support["taken"], support["closed"], support["returned"]) == (3, 2, 1)
    assert support["queue_time_avg"] == pytest.approx((60 + 500) / 2)
    assert support["queue_time_p90"] == pytest.approx(500)
    assert support["first_response_avg"] == pytest.approx((90 + 660) / 2)
    assert support["response_time_avg"] == pytest.approx((90 + 660) / 2)
    assert support["duration_avg"] == pytest.approx((300 + 900) / 2)
    assert support["tags"] == "billing (2), vip (1)"
    by_agent = {row["name"]: row for row in report["agents"]}
    alex, blair = by_agent[agent.display_name], by_agent[other_agent.display_name]
    assert (alex["taken"], alex["closed"], alex["returned"]) == (2, 1, 1)
    assert (blair["taken"], blair["closed"], blair["returned"]) == (1, 1, 0)
    assert blair["queue_time_avg"] == pytest.approx(500)
    assert alex["duration_avg"] == pytest.approx(300)


def test_report_page_exports_csv(client, manager, taken_room):
    client.force_login(manager)
    today = timezone.localdate().isoformat()

    response = client.get(
        reverse("console-reports"), {"start": today, "end": today, "format": "csv"}
    )

    assert response["Content-Type"].startswith("text/csv")
    assert "Support" in response.content.decode()


def test_report_rejects_a_period_that_ends_before_it_starts(client, manager):
    client.force_login(manager)

    page = client.get(
        reverse("console-reports"), {"start": "2026-05-10", "end": "2026-05-01"}
    ).content.decode()

    assert "The period ends before it starts." in page


def test_scoped_manager_report_cannot_choose_another_department(
    client, support_manager, other_department
):
    client.force_login(support_manager)
    today = timezone.localdate().isoformat()

    page = client.get(
        reverse("console-reports"),
        {"start": today, "end": today, "department": other_department.pk},
    ).content.decode()

    assert "Select a valid choice" in page


def test_manager_disables_an_agents_queue_from_admin(client, manager, agent):
    client.force_login(manager)

    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "disable_queue", "_selected_action": [agent.pk]},
    )

    agent.refresh_from_db()
    assert agent.queue_enabled is False


def test_manager_signs_an_agent_out_everywhere(client, manager, agent):
    from django.test import Client

    agent_browser = Client()
    agent_browser.force_login(agent)
    client.force_login(manager)

    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "sign_out_everywhere", "_selected_action": [agent.pk]},
    )

    assert agent_browser.get(reverse("home")).status_code == 302


def test_scoped_manager_sees_only_agents_of_their_departments(
    client, support_manager, agent, outsider_agent
):
    client.force_login(support_manager)

    page = client.get(reverse("admin:accounts_user_changelist")).content.decode()

    assert agent.username in page
    assert outsider_agent.username not in page


def test_manager_reads_the_audit_log(client, manager):
    client.force_login(manager)

    response = client.get(reverse("admin:omnichannel_event_changelist"))

    assert response.status_code == 200


def test_online_status_counts_only_online_agents(agent):
    User.objects.filter(pk=agent.pk).update(status=User.Status.AWAY)
    from omnichannel.reports import department_floor

    row = department_floor(list(agent.departments.all()))[0]

    assert row["online"] == 0
