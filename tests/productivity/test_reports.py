"""Satisfaction in the supervisor's reports: average rating and count per agent and department."""

import pytest
from django.urls import reverse
from django.utils import timezone

from omnichannel.reports import period_report
from productivity.services import submit_survey
from queues.services import take_room
from rooms.services import close_room

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(write_as_contact):
    """Close a chat served by `agent` and have its contact rate it."""

    def rate(agent, rating, *, visitor):
        room = take_room(agent, write_as_contact(visitor=visitor).room)
        room = close_room(agent, room, comment="Done")
        submit_survey(room.contact, room, rating=rating)
        return room

    return rate


def rows_by_name(rows):
    return {row["name"]: row for row in rows}


def test_report_averages_the_ratings_per_department_and_agent(
    rated, agent, other_agent, department, write_as_contact
):
    rated(agent, 5, visitor="a")
    rated(agent, 4, visitor="b")
    rated(other_agent, 1, visitor="c")
    write_as_contact(visitor="d")  # not rated: not counted
    today = timezone.localdate()

    report = period_report([department], today, today)

    support = rows_by_name(report["departments"])["Support"]
    assert (support["satisfaction_avg"], support["satisfaction_count"]) == (10 / 3, 3)
    agents = rows_by_name(report["agents"])
    assert agents[agent.display_name]["satisfaction_avg"] == 4.5
    assert agents[agent.display_name]["satisfaction_count"] == 2
    assert agents[other_agent.display_name]["satisfaction_avg"] == 1.0


def test_report_without_ratings_shows_none(rated, department, queued_room):
    today = timezone.localdate()

    support = period_report([department], today, today)["departments"][0]

    assert (support["satisfaction_avg"], support["satisfaction_count"]) == (None, 0)


def test_report_page_shows_the_satisfaction_columns(client, manager, rated, agent):
    rated(agent, 4, visitor="a")
    today = timezone.localdate().isoformat()
    client.force_login(manager)

    page = client.get(reverse("console-reports"), {"start": today, "end": today}).content.decode()

    assert "Satisfaction, average (1-5)" in page
    assert '<td data-column="satisfaction_avg">4.0</td>' in page
    assert '<td data-column="satisfaction_count">1</td>' in page
