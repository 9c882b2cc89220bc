"""Figures of the supervisor console: the live dashboard and the reports over a period.

Every figure comes from rooms and their events, read with a fixed number of queries whatever
the number of rows (aggregates in the database, or one pass over one query's rows).
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncHour
from django.utils import timezone

from accounts.models import AGENT_ROLE, User
from omnichannel.models import Event
from rooms.models import Room


def percentile_90(values: list[float]) -> float | None:
    """The nearest-rank 90th percentile: the smallest value at or above 90% of the values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def start_of_today() -> datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


# The dashboard


def department_floor(departments) -> list[dict]:
    """Per department: queued chats, longest wait, open chats (on hold among them), chats near
    or past their first-response due time, agents online/available/full."""
    now = timezone.now()
    department_ids = [d.pk for d in departments]
    rooms = (
        Room.objects.filter(department_id__in=department_ids)
        .exclude(status=Room.Status.CLOSED)
        .values("department_id")
        .annotate(
            queued=Count("pk", filter=Q(status=Room.Status.QUEUED)),
            open=Count("pk", filter=Q(status=Room.Status.TAKEN)),
            oldest_wait=Min("waiting_since", filter=Q(status=Room.Status.QUEUED)),
            held=Count("pk", filter=Q(status=Room.Status.TAKEN, held_at__isnull=False)),
            past_due=Count(
                "pk", filter=Q(first_response_at__isnull=True, first_response_due_at__lte=now)
            ),
            near_due=Count(
                "pk",
                filter=Q(
                    first_response_at__isnull=True,
                    first_response_warning_at__lte=now,
                    first_response_due_at__gt=now,
                ),
            ),
        )
    )
    by_department = {row["department_id"]: row for row in rooms}
    # A subquery per agent on the (agent, status) index, not a join over every room served.
    # Chats on hold do not count against an agent's maximum.
    open_chats = (
        Room.objects.filter(agent=OuterRef("pk"), status=Room.Status.TAKEN, held_at__isnull=True)
        .values("agent")
        .annotate(count=Count("pk"))
        .values("count")
    )
    agents = (
        User.objects.filter(
            is_active=True,
            groups__name=AGENT_ROLE,
            memberships__department_id__in=department_ids,
        )
        .annotate(open_chats=Coalesce(Subquery(open_chats), 0))
        .values(
            "pk", "status", "queue_enabled", "max_chats", "open_chats", "memberships__department_id"
        )
    )
    people: dict[int, Counter] = defaultdict(Counter)
    for agent in agents:
        counts = people[agent["memberships__department_id"]]
        if agent["status"] != User.Status.ONLINE:
            continue
        counts["online"] += 1
        if agent["open_chats"] >= agent["max_chats"]:
            counts["at_capacity"] += 1
        elif agent["queue_enabled"]:
            counts["available"] += 1
    floor = []
    for department in departments:
        row = by_department.get(department.pk, {})
        oldest = row.get("oldest_wait")
        floor.append(
            {
                "department": department,
                "queued": row.get("queued", 0),
                "longest_wait": (now - oldest) if oldest else None,
                "open": row.get("open", 0),
                "held": row.get("held", 0),
                "near_due": row.get("near_due", 0),
                "past_due": row.get("past_due", 0),
                "online": people[department.pk]["online"],
                "available": people[department.pk]["available"],
                "at_capacity": people[department.pk]["at_capacity"],
            }
        )
    return floor


def today_on_the_floor(departments) -> dict:
    """Across the departments: chats opened and closed today and today's average times."""
    since = start_of_today()
    rooms = Room.objects.filter(department__in=departments)
    opened = rooms.filter(created_at__gte=since)
    figures = opened.aggregate(
        opened=Count("pk"),
        queue_seconds=Avg("queue_seconds", filter=Q(taken_at__isnull=False)),
        first_response=Avg(
            F("first_response_at") - F("created_at"), filter=Q(first_response_at__isnull=False)
        ),
        response_total=Sum("response_seconds_total"),
        response_count=Sum("response_count"),
    )
    closed = rooms.filter(closed_at__gte=since).count()
    first_response = figures["first_response"]
    if first_response is not None and not isinstance(first_response, timedelta):
        # SQLite returns the average of a duration as microseconds.
        first_response = timedelta(microseconds=first_response)
    count = figures["response_count"] or 0
    return {
        "opened": figures["opened"],
        "closed": closed,
        "queue_time": (
            timedelta(seconds=figures["queue_seconds"])
            if figures["queue_seconds"] is not None
            else None
        ),
        "first_response_time": first_response,
        "average_response_time": (
            timedelta(seconds=(figures["response_total"] or 0) / count) if count else None
        ),
    }


def chats_per_hour(departments, *, hours: int = 24) -> list[tuple[datetime, int]]:
    """Rooms opened in each of the last `hours` hours, oldest first, empty hours included."""
    now = timezone.localtime()
    current_hour = now.replace(minute=0, second=0, microsecond=0)
    first_hour = current_hour - timedelta(hours=hours - 1)
    rows = (
        Room.objects.filter(department__in=departments, created_at__gte=first_hour)
        .annotate(hour=TruncHour("created_at", tzinfo=now.tzinfo))
        .values("hour")
        .annotate(count=Count("pk"))
    )
    counts = {timezone.localtime(row["hour"]).replace(tzinfo=None): row["count"] for row in rows}
    return [
        (
            first_hour + timedelta(hours=i),
            counts.get((first_hour + timedelta(hours=i)).replace(tzinfo=None), 0),
        )
        for i in range(hours)
    ]


def bar_chart(points: list[tuple[str, int]], *, width: int = 720, height: int = 160) -> dict:
    """Geometry for a server-rendered SVG bar chart."""
    peak = max((count for _label, count in points), default=0) or 1
    slot = width / max(len(points), 1)
    bars = []
    for index, (label, count) in enumerate(points):
        bar_height = round((height - 20) * count / peak, 1)
        bars.append(
            {
                "x": round(index * slot + 2, 1),
                "y": round(height - 20 - bar_height, 1),
                "width": round(max(slot - 4, 1), 1),
                "height": bar_height,
                "label": label,
                "count": count,
            }
        )
    return {"width": width, "height": height, "bars": bars, "peak": peak}


# Reports over a period


@dataclass
class Figures:
    """One row of a report: counts, then times in seconds (None when nothing to measure)."""

    name: str
    taken: int = 0
    closed: int = 0
    returned: int = 0
    queue_times: list[float] = field(default_factory=list)
    first_responses: list[float] = field(default_factory=list)
    response_times: list[float] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    tags: Counter = field(default_factory=Counter)
    ratings: list[int] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "name": self.name,
            "taken": self.taken,
            "closed": self.closed,
            "returned": self.returned,
            "queue_time_avg": mean(self.queue_times),
            "queue_time_p90": percentile_90(self.queue_times),
            "first_response_avg": mean(self.first_responses),
            "first_response_p90": percentile_90(self.first_responses),
            "response_time_avg": mean(self.response_times),
            "response_time_p90": percentile_90(self.response_times),
            "duration_avg": mean(self.durations),
            "duration_p90": percentile_90(self.durations),
            "tags": ", ".join(f"{tag} ({count})" for tag, count in self.tags.most_common()),
            "satisfaction_avg": mean(self.ratings),
            "satisfaction_count": len(self.ratings),
        }


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """From the start of the first day to the end of the last, in the current time zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def period_report(departments, start: date, end: date) -> dict:
    """Per department and per agent, for rooms created in the period and events in it:
    chats taken, closed and returned; average and 90th percentile queue time, first response
    time, average response time and chat duration; tags used; the visitors' satisfaction
    (average rating 1-5 and how many rated)."""
    since, until = period_bounds(start, end)
    department_ids = [d.pk for d in departments]
    names = {d.pk: d.name for d in departments}
    rooms = list(
        Room.objects.filter(
            department_id__in=department_ids, created_at__gte=since, created_at__lt=until
        )
        .select_related("agent", "survey")
        .prefetch_related("tags")
    )
    by_department = {pk: Figures(names[pk]) for pk in department_ids}
    by_agent: dict[int, Figures] = {}

    def agent_figures(agent_id: int, name: str) -> Figures:
        return by_agent.setdefault(agent_id, Figures(name))

    for room in rooms:
        rows = [by_department[room.department_id]]
        if room.agent_id:
            rows.append(agent_figures(room.agent_id, room.agent.display_name))
        for row in rows:
            if room.taken_at:
                row.queue_times.append(room.queue_seconds)
            if room.first_response_at:
                row.first_responses.append(
                    (room.first_response_at - room.created_at).total_seconds()
                )
            if room.response_count:
                row.response_times.append(room.response_seconds_total / room.response_count)
            if room.closed_at:
                row.durations.append((room.closed_at - room.created_at).total_seconds())
            row.tags.update(tag.name for tag in room.tags.all())
            survey = getattr(room, "survey", None)  # productivity's SurveyResponse, if rated
            if survey is not None:
                row.ratings.append(survey.rating)

    # Counts come from what happened in the period, whenever the room was created.
    happened = Event.objects.filter(
        name__in=["room.taken", "room.closed", "room.returned"],
        created_at__gte=since,
        created_at__lt=until,
    ).values_list("name", "room_id", "data")
    happened = list(happened)
    room_departments = dict(
        Room.objects.filter(pk__in={room_id for _n, room_id, _d in happened}).values_list(
            "pk", "department_id"
        )
    )
    agent_ids = {data.get("agent") for _n, _r, data in happened} - {None}
    agent_names = {u.pk: u.display_name for u in User.objects.filter(pk__in=agent_ids)}
    counter = {"room.taken": "taken", "room.closed": "closed", "room.returned": "returned"}
    for name, room_id, data in happened:
        department_id = room_departments.get(room_id)
        if department_id not in by_department:
            continue
        attribute = counter[name]
        department_row = by_department[department_id]
        setattr(department_row, attribute, getattr(department_row, attribute) + 1)
        agent_id = data.get("agent")
        if agent_id in agent_names:
            row = agent_figures(agent_id, agent_names[agent_id])
            setattr(row, attribute, getattr(row, attribute) + 1)

    per_day = Counter(timezone.localtime(room.created_at).date() for room in rooms)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return {
        "since": since,
        "until": until,
        "departments": [row.summary() for row in by_department.values()],
        "agents": [row.summary() for row in sorted(by_agent.values(), key=lambda r: r.name)],
        "chart": bar_chart([(day.strftime("%d/%m"), per_day.get(day, 0)) for day in days]),
        "rooms": len(rooms),
    }
