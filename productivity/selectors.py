"""Shared reads of productivity: canned responses an agent may use, whether a department is
open, rooms an inactivity rule applies to, ratings."""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Department, User
from accounts.selectors import departments_of, is_agent, is_manager
from productivity.models import (
    BusinessHours,
    CannedResponse,
    InactivityPolicy,
    InactivityWarning,
    OpeningInterval,
)
from rooms.models import Room

SUGGESTION_LIMIT = 8
# The scopes from the most specific: a personal "!hi" wins over the department's and the global.
SCOPE_PRECEDENCE = [
    CannedResponse.Scope.PERSONAL,
    CannedResponse.Scope.DEPARTMENT,
    CannedResponse.Scope.GLOBAL,
]


# --- canned responses ---------------------------------------------------------------------------


def canned_responses_for(agent: User, room: Room | None = None) -> QuerySet[CannedResponse]:
    """Every canned response the agent may use: their own, their departments' (or only the
    room's department, in a room) and the global ones."""
    if not agent.is_authenticated or not agent.is_active:
        return CannedResponse.objects.none()
    if room is not None:
        departments = Q(department_id=room.department_id)
    else:
        departments = Q(department__in=departments_of(agent).values("pk"))
    return CannedResponse.objects.select_related("department").filter(
        Q(scope=CannedResponse.Scope.PERSONAL, owner=agent)
        | (Q(scope=CannedResponse.Scope.DEPARTMENT) & departments)
        | Q(scope=CannedResponse.Scope.GLOBAL)
    )


def suggest_canned_responses(
    agent: User, room: Room, prefix: str, *, limit: int = SUGGESTION_LIMIT
) -> list[CannedResponse]:
    """Responses whose shortcut starts with what was typed after '!', one per shortcut (the
    most specific scope wins), in shortcut order."""
    prefix = (prefix or "").strip().lstrip("!").lower()[:50]
    found = canned_responses_for(agent, room)
    if prefix:
        found = found.filter(shortcut__startswith=prefix)
    best: dict[str, CannedResponse] = {}
    rank = {scope: index for index, scope in enumerate(SCOPE_PRECEDENCE)}
    for response in found.order_by("shortcut", "id")[: limit * 3]:
        kept = best.get(response.shortcut)
        if kept is None or rank[response.scope] < rank[kept.scope]:
            best[response.shortcut] = response
    return [best[shortcut] for shortcut in sorted(best)][:limit]


def fill_placeholders(text: str, *, room: Room, agent: User) -> str:
    """The text with {contact_name} and {agent_name} replaced; other braces stay as typed."""
    agent_name = agent.first_name or agent.display_name
    return text.replace("{contact_name}", room.contact.display_name).replace(
        "{agent_name}", agent_name
    )


def personal_canned_responses_of(user: User) -> QuerySet[CannedResponse]:
    return CannedResponse.objects.filter(scope=CannedResponse.Scope.PERSONAL, owner=user)


def shared_canned_responses_for(user: User) -> QuerySet[CannedResponse]:
    """The department and global responses the user may use (read-only on their page)."""
    return canned_responses_for(user).exclude(scope=CannedResponse.Scope.PERSONAL)


def get_personal_canned_response_for(user: User, response_id: int) -> CannedResponse:
    """The user's own personal response; 404 alike for missing and not theirs."""
    found = personal_canned_responses_of(user).filter(pk=response_id).first()
    if found is None:
        raise Http404
    return found


def may_use_canned_responses(user: User) -> bool:
    """Agents and managers keep personal responses; other users have no composer."""
    return is_agent(user) or is_manager(user)


# --- business hours -----------------------------------------------------------------------------


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True)
class Opening:
    """Whether a department answers now, and if not, when it opens again (its own time)."""

    is_open: bool
    next_opening: datetime | None = None
    time_zone: str = ""


ALWAYS_OPEN = Opening(is_open=True)
LOOK_AHEAD_DAYS = 14


def _closing(interval: OpeningInterval) -> time | None:
    """The closing time; None for midnight (00:00 closes at the end of the day)."""
    return interval.closes_at if interval.closes_at != time(0) else None


def business_status(department: Department, *, at: datetime | None = None) -> Opening:
    """Open, or closed with the next opening; a department without hours is always open."""
    hours = (
        BusinessHours.objects.filter(department=department, enabled=True)
        .prefetch_related("intervals", "holidays")
        .first()
    )
    if hours is None:
        return ALWAYS_OPEN
    try:
        zone = zoneinfo.ZoneInfo(hours.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return ALWAYS_OPEN
    local = (at or timezone.now()).astimezone(zone)
    holidays: set[date] = {holiday.date for holiday in hours.holidays.all()}
    by_day: dict[int, list[OpeningInterval]] = {}
    for interval in hours.intervals.all():
        by_day.setdefault(interval.weekday, []).append(interval)
    if local.date() not in holidays:
        for interval in by_day.get(local.weekday(), []):
            closing = _closing(interval)
            if interval.opens_at <= local.time() and (closing is None or local.time() < closing):
                return Opening(is_open=True, time_zone=hours.time_zone)
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        if day in holidays:
            continue
        for interval in sorted(by_day.get(day.weekday(), []), key=lambda i: i.opens_at):
            opens = datetime.combine(day, interval.opens_at, tzinfo=zone)
            if opens > local:
                return Opening(is_open=False, next_opening=opens, time_zone=hours.time_zone)
    return Opening(is_open=False, time_zone=hours.time_zone)


# --- inactivity ---------------------------------------------------------------------------------


def enabled_inactivity_policies() -> list[InactivityPolicy]:
    return list(
        InactivityPolicy.objects.filter(enabled=True, department__enabled=True).select_related(
            "department"
        )
    )


# Holding a chat (Room.held_at) comes with the routing work; until both are in one tree, the
# rule works without it.
_ROOMS_CAN_BE_HELD = any(field.name == "held_at" for field in Room._meta.get_fields())


def _silent_rooms(policy: InactivityPolicy) -> QuerySet[Room]:
    """Served rooms of the policy's department waiting on the contact: every contact message
    has its answer, so the last message is the agent's."""
    rooms = Room.objects.filter(
        department_id=policy.department_id,
        status=Room.Status.TAKEN,
        awaiting_reply_since__isnull=True,
        last_message_at__isnull=False,
    ).select_related("contact")
    if _ROOMS_CAN_BE_HELD:
        # A chat on hold waits for the contact on purpose: it is not abandoned.
        rooms = rooms.filter(held_at__isnull=True)
    return rooms


def _warned(**conditions) -> Exists:
    return Exists(
        InactivityWarning.objects.filter(
            room=OuterRef("pk"), silent_since=OuterRef("last_message_at"), **conditions
        )
    )


def rooms_to_warn(policy: InactivityPolicy, now: datetime, *, limit: int = 500) -> list[Room]:
    """Silent long enough to warn the agent, and not yet warned for this silence."""
    if not policy.warning_minutes:
        return []
    warn_after = timedelta(minutes=policy.timeout_minutes - policy.warning_minutes)
    rooms = _silent_rooms(policy).filter(last_message_at__lte=now - warn_after)
    return list(rooms.exclude(_warned()).order_by("last_message_at", "pk")[:limit])


def rooms_to_close(policy: InactivityPolicy, now: datetime, *, limit: int = 500) -> list[Room]:
    """Silent past the timeout; with a warning configured, only once the agent has had the
    whole warning time (a sweeper that was down warns first, then closes)."""
    rooms = _silent_rooms(policy).filter(
        last_message_at__lte=now - timedelta(minutes=policy.timeout_minutes)
    )
    if policy.warning_minutes:
        warned_before = now - timedelta(minutes=policy.warning_minutes)
        rooms = rooms.filter(_warned(warned_at__lte=warned_before))
    return list(rooms.order_by("last_message_at", "pk")[:limit])


# --- satisfaction -------------------------------------------------------------------------------


def with_ratings(rooms: QuerySet[Room]) -> QuerySet[Room]:
    """The rooms with their survey read in the same query (`room.survey`, if any)."""
    return rooms.select_related("survey")
