"""Business hours per department: time zone, weekly intervals, holidays; the widget outside them."""

from datetime import UTC, date, datetime, time

import pytest
from django.urls import reverse

from productivity.errors import InvalidHours, NotAllowed, OverlappingHours
from productivity.models import BusinessHours, OfflineMessage, OpeningInterval
from productivity.selectors import business_status
from productivity.services import Interval, save_business_hours
from rooms.models import Room

pytestmark = pytest.mark.django_db

MONDAY, SATURDAY = 0, 5
# Monday 5 January 2026; Madrid is UTC+1 in winter.
MONDAY_10_30_MADRID = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
MONDAY_13_30_MADRID = datetime(2026, 1, 5, 12, 30, tzinfo=UTC)
SUNDAY_NOON_MADRID = datetime(2026, 1, 4, 11, 0, tzinfo=UTC)


def weekdays(*spans: tuple[str, str]) -> list[Interval]:
    """The same intervals Monday to Friday."""
    return [
        Interval(day, time.fromisoformat(opens), time.fromisoformat(closes))
        for day in range(5)
        for opens, closes in spans
    ]


@pytest.fixture
def office_hours(manager, department):
    """Support answers 09:00-13:00 and 14:00-18:00, Monday to Friday, in Madrid."""
    return save_business_hours(
        manager,
        department,
        time_zone="Europe/Madrid",
        intervals=weekdays(("09:00", "13:00"), ("14:00", "18:00")),
        holidays=[],
    )


# Bad input


def test_overlapping_intervals_are_refused_and_nothing_changes(manager, department, office_hours):
    overlapping = [
        Interval(MONDAY, time(9), time(13)),
        Interval(MONDAY, time(12), time(18)),
    ]

    with pytest.raises(OverlappingHours, match=r"Monday: 09:00-13:00 and 12:00-18:00 overlap"):
        save_business_hours(manager, department, time_zone="UTC", intervals=overlapping)

    office_hours.refresh_from_db()
    assert office_hours.time_zone == "Europe/Madrid"
    assert OpeningInterval.objects.filter(hours=office_hours).count() == 10


def test_interval_closing_before_it_opens_is_refused(manager, department):
    with pytest.raises(InvalidHours, match="closes after it opens"):
        save_business_hours(
            manager, department, time_zone="UTC", intervals=[Interval(MONDAY, time(18), time(9))]
        )

    assert not BusinessHours.objects.exists()


def test_unknown_time_zone_is_refused(manager, department):
    with pytest.raises(InvalidHours, match="Unknown time zone"):
        save_business_hours(manager, department, time_zone="Mars/Olympus", intervals=[])

    assert not BusinessHours.objects.exists()


def test_agent_cannot_change_business_hours(agent, department):
    with pytest.raises(NotAllowed):
        save_business_hours(agent, department, time_zone="UTC", intervals=[])


# Open or closed


def test_department_without_hours_is_always_open(department):
    assert business_status(department, at=SUNDAY_NOON_MADRID).is_open


def test_open_inside_an_interval_in_the_departments_time_zone(department, office_hours):
    # 09:30 UTC is 10:30 in Madrid.
    assert business_status(department, at=MONDAY_10_30_MADRID).is_open
    # 08:30 UTC is 09:30 in Madrid; 07:30 UTC is 08:30 there, before opening.
    assert business_status(department, at=datetime(2026, 1, 5, 8, 30, tzinfo=UTC)).is_open
    assert not business_status(department, at=datetime(2026, 1, 5, 7, 30, tzinfo=UTC)).is_open


def test_closed_at_lunch_with_the_next_opening(department, office_hours):
    status = business_status(department, at=MONDAY_13_30_MADRID)

    assert not status.is_open
    assert status.next_opening == datetime(2026, 1, 5, 13, 0, tzinfo=UTC)  # 14:00 in Madrid


def test_closed_on_a_holiday_until_the_next_working_day(manager, department, office_hours):
    save_business_hours(
        manager, department, time_zone="Europe/Madrid", holidays=[(date(2026, 1, 5), "Kings")]
    )

    status = business_status(department, at=MONDAY_10_30_MADRID)

    assert not status.is_open
    assert status.next_opening == datetime(2026, 1, 6, 8, 0, tzinfo=UTC)  # Tuesday 09:00


def test_closing_at_midnight_means_the_end_of_the_day(manager, department):
    save_business_hours(
        manager, department, time_zone="UTC", intervals=[Interval(SATURDAY, time(20), time(0))]
    )

    assert business_status(department, at=datetime(2026, 1, 3, 23, 59, tzinfo=UTC)).is_open


# The website widget


def test_widget_outside_hours_says_so_and_offers_an_email_field(client, clock, office_hours):
    clock.set(SUNDAY_NOON_MADRID)

    page = client.get(reverse("livechat:widget", args=["support"])).content.decode()

    assert "We are closed right now." in page
    assert "We open again on Monday 5 January at 09:00 (Europe/Madrid)." in page
    assert 'name="email"' in page


def test_widget_within_hours_shows_no_notice(client, clock, office_hours):
    clock.set(MONDAY_10_30_MADRID)

    page = client.get(reverse("livechat:widget", args=["support"])).content.decode()

    assert "We are closed right now." not in page
    assert 'name="email"' not in page


def test_message_left_outside_hours_is_queued_with_the_email(visitor, clock, office_hours):
    clock.set(SUNDAY_NOON_MADRID)

    response = visitor.send("Call me back, please", email="maria@example.com")

    assert response.status_code == 201
    room = visitor.room()
    assert room.status == Room.Status.QUEUED
    assert room.offline_message.email == "maria@example.com"
    assert room.contact.email == "maria@example.com"


def test_message_within_hours_is_not_marked_as_left(visitor, clock, office_hours):
    clock.set(MONDAY_10_30_MADRID)

    visitor.send("Hello")

    assert not OfflineMessage.objects.exists()


def test_bad_email_outside_hours_is_refused_and_nothing_stored(visitor, clock, office_hours):
    clock.set(SUNDAY_NOON_MADRID)

    response = visitor.send("Call me back", email="not an address")

    assert response.status_code == 400
    assert "valid email" in response.json()["detail"]
    assert not Room.objects.exists()


def test_room_information_says_the_message_was_left_outside_hours(
    client, agent, visitor, clock, office_hours
):
    clock.set(SUNDAY_NOON_MADRID)
    visitor.send("Call me back", email="maria@example.com")
    client.force_login(agent)

    page = client.get(reverse("room", args=[visitor.room().pk])).content.decode()

    assert "Left outside business hours" in page
    assert "mailto:maria@example.com" in page


# The supervisor console


def admin_data(*intervals: tuple[str, str, str], holidays=()) -> dict:
    data = {
        "department": "",
        "time_zone": "Europe/Madrid",
        "enabled": "on",
        "intervals-TOTAL_FORMS": str(len(intervals)),
        "intervals-INITIAL_FORMS": "0",
        "holidays-TOTAL_FORMS": str(len(holidays)),
        "holidays-INITIAL_FORMS": "0",
    }
    for index, (day, opens, closes) in enumerate(intervals):
        data.update(
            {
                f"intervals-{index}-weekday": day,
                f"intervals-{index}-opens_at": opens,
                f"intervals-{index}-closes_at": closes,
            }
        )
    for index, (day, name) in enumerate(holidays):
        data.update({f"holidays-{index}-date": day, f"holidays-{index}-name": name})
    return data


def test_admin_saves_hours_intervals_and_holidays(client, manager, department):
    client.force_login(manager)
    data = admin_data(
        ("0", "09:00", "13:00"), ("0", "14:00", "18:00"), holidays=[("2026-01-06", "Kings")]
    )
    data["department"] = department.pk

    response = client.post(reverse("admin:productivity_businesshours_add"), data)

    assert response.status_code == 302
    hours = BusinessHours.objects.get(department=department)
    assert [str(i) for i in hours.intervals.all()] == ["Monday 09:00-13:00", "Monday 14:00-18:00"]
    assert hours.holidays.get().date == date(2026, 1, 6)


def test_admin_refuses_overlapping_hours_and_saves_nothing(client, manager, department):
    client.force_login(manager)
    data = admin_data(("0", "09:00", "13:00"), ("0", "12:00", "18:00"))
    data["department"] = department.pk

    response = client.post(reverse("admin:productivity_businesshours_add"), data)

    assert response.status_code == 200
    assert "Monday: 09:00-13:00 and 12:00-18:00 overlap." in response.content.decode()
    assert not BusinessHours.objects.exists()
