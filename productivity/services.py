"""The only writers of productivity's models: canned responses, business hours, inactivity
rules and their sweep, satisfaction surveys, transcripts by e-mail."""

import itertools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Department, User
from accounts.selectors import is_manager, supervised_department_ids
from directory.models import Channel, Contact
from omnichannel import events
from omnichannel.errors import DomainError
from omnichannel.models import Event
from productivity import selectors
from productivity.errors import (
    AlreadyRated,
    InvalidCannedResponse,
    InvalidEmail,
    InvalidHours,
    InvalidInactivityPolicy,
    InvalidRating,
    NotAllowed,
    NotYourConversation,
    OverlappingHours,
    ShortcutTaken,
    SurveyCommentTooLong,
    SurveyNotOpen,
    TranscriptAlreadySent,
)
from productivity.models import (
    BusinessHours,
    CannedResponse,
    Holiday,
    InactivityPolicy,
    InactivityWarning,
    OfflineMessage,
    OpeningInterval,
    SurveyResponse,
    TranscriptRequest,
)
from rooms import services as room_services
from rooms.formatting import MESSAGE_MAX_LENGTH, render_message
from rooms.models import Room
from rooms.selectors import transcript_of

logger = logging.getLogger(__name__)

SHORTCUT_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
SURVEY_COMMENT_MAX_LENGTH = 2000
INACTIVITY_MAX_MINUTES = 7 * 24 * 60
INACTIVITY_COMMENT_MAX_LENGTH = room_services.COMMENT_MAX_LENGTH


def _may_supervise(by: User | None, department_id: int | None) -> bool:
    """A LiveChat Manager (or superuser) whose console scope includes the department; with
    no department, one whose scope is every department."""
    if by is None or not by.is_authenticated or not by.is_active:
        return False
    if not (by.is_superuser or is_manager(by)):
        return False
    scope = supervised_department_ids(by)
    if scope is None:
        return True
    return department_id is not None and department_id in scope


# --- canned responses ---------------------------------------------------------------------------


def clean_shortcut(raw: object) -> str:
    """The stored form of a shortcut: without the '!', lower case; refuses anything else."""
    shortcut = str(raw or "").strip().lstrip("!").lower()
    if not SHORTCUT_PATTERN.fullmatch(shortcut):
        raise InvalidCannedResponse(
            _("A shortcut is 1 to 50 letters, digits, '-' or '_', without spaces.")
        )
    return shortcut


def _scope_name(scope: str, department: Department | None) -> str:
    if scope == CannedResponse.Scope.PERSONAL:
        return _("your personal responses")
    if scope == CannedResponse.Scope.DEPARTMENT:
        return _("the responses of %(department)s") % {"department": department}
    return _("the global responses")


def _may_manage_canned(by: User, scope: str, department: Department | None, owner_id) -> bool:
    if scope == CannedResponse.Scope.PERSONAL:
        return owner_id == by.pk or _may_supervise(by, None)
    if scope == CannedResponse.Scope.DEPARTMENT:
        return _may_supervise(by, department.pk if department else None)
    return _may_supervise(by, None)


def check_canned_response(
    by: User,
    *,
    scope: str,
    shortcut: object,
    text: object,
    department: Department | None = None,
    owner: User | None = None,
    exclude_pk: int | None = None,
) -> tuple[str, str]:
    """Validate a canned response as it would be saved: (shortcut, text) in stored form.

    Raises InvalidCannedResponse, NotAllowed, or ShortcutTaken naming the scope.
    """
    if scope not in CannedResponse.Scope.values:
        raise InvalidCannedResponse(_("Choose personal, department or global."))
    if scope == CannedResponse.Scope.DEPARTMENT and department is None:
        raise InvalidCannedResponse(_("A department response needs its department."))
    if scope != CannedResponse.Scope.DEPARTMENT:
        department = None
    owner = (owner or by) if scope == CannedResponse.Scope.PERSONAL else None
    if not _may_manage_canned(by, scope, department, owner.pk if owner else None):
        raise NotAllowed(
            _("Only a LiveChat Manager of the department can change its shared responses.")
        )
    shortcut = clean_shortcut(shortcut)
    text = str(text or "").replace("\x00", "").strip()
    if not text:
        raise InvalidCannedResponse(_("Write the text of the response."))
    if len(text) > MESSAGE_MAX_LENGTH:
        raise InvalidCannedResponse(
            _("Responses are limited to %(limit)s characters.") % {"limit": MESSAGE_MAX_LENGTH}
        )
    same = CannedResponse.objects.filter(scope=scope, shortcut=shortcut)
    if scope == CannedResponse.Scope.PERSONAL:
        same = same.filter(owner=owner)
    elif scope == CannedResponse.Scope.DEPARTMENT:
        same = same.filter(department=department)
    if exclude_pk:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise _taken(shortcut, scope, department)
    return shortcut, text


def _taken(shortcut: str, scope: str, department: Department | None) -> ShortcutTaken:
    return ShortcutTaken(
        _("The shortcut !%(shortcut)s is already taken in %(scope)s.")
        % {"shortcut": shortcut, "scope": _scope_name(scope, department)}
    )


def create_canned_response(
    by: User,
    *,
    scope: str,
    shortcut: object,
    text: object,
    department: Department | None = None,
) -> CannedResponse:
    """Save a new canned response; a personal one belongs to `by`.

    The unique constraints per scope settle a race: the loser gets ShortcutTaken.
    """
    shortcut, text = check_canned_response(
        by, scope=scope, shortcut=shortcut, text=text, department=department
    )
    personal = scope == CannedResponse.Scope.PERSONAL
    department = department if scope == CannedResponse.Scope.DEPARTMENT else None
    try:
        with transaction.atomic():
            response = CannedResponse.objects.create(
                scope=scope,
                shortcut=shortcut,
                text=text,
                owner=by if personal else None,
                department=department,
                created_by=by,
            )
            events.record(
                "canned_response.created",
                actor=by,
                data={"id": response.pk, "scope": scope, "shortcut": shortcut},
            )
    except IntegrityError:
        raise _taken(shortcut, scope, department) from None
    return response


def update_canned_response(
    by: User, response: CannedResponse, *, shortcut: object, text: object
) -> CannedResponse:
    """Change a response's shortcut and text; its scope and owner stay."""
    shortcut, text = check_canned_response(
        by,
        scope=response.scope,
        shortcut=shortcut,
        text=text,
        department=response.department,
        owner=response.owner,
        exclude_pk=response.pk,
    )
    try:
        with transaction.atomic():
            CannedResponse.objects.filter(pk=response.pk).update(
                shortcut=shortcut, text=text, updated_at=timezone.now()
            )
            events.record(
                "canned_response.updated",
                actor=by,
                data={"id": response.pk, "scope": response.scope, "shortcut": shortcut},
            )
    except IntegrityError:
        raise _taken(shortcut, response.scope, response.department) from None
    response.refresh_from_db()
    return response


def delete_canned_response(by: User, response: CannedResponse) -> None:
    if not _may_manage_canned(by, response.scope, response.department, response.owner_id):
        raise NotAllowed()
    with transaction.atomic():
        CannedResponse.objects.filter(pk=response.pk).delete()
        events.record(
            "canned_response.deleted",
            actor=by,
            data={"id": response.pk, "scope": response.scope, "shortcut": response.shortcut},
        )


# --- business hours -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """One weekly opening: weekday 0 (Monday) to 6, closing at 00:00 meaning midnight."""

    weekday: int
    opens_at: time
    closes_at: time


def _seconds(moment: time, *, closing: bool = False) -> int:
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    return 24 * 3600 if closing and seconds == 0 else seconds


def _day_name(weekday: int) -> str:
    return str(OpeningInterval.Weekday(weekday).label)


def _span(interval: Interval) -> str:
    return f"{interval.opens_at:%H:%M}-{interval.closes_at:%H:%M}"


def check_time_zone(name: object) -> str:
    name = str(name or "").strip()
    if name not in selectors.time_zone_names():
        raise InvalidHours(_("Unknown time zone “%(zone)s”.") % {"zone": name[:64]})
    return name


def check_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """The intervals in day and time order; InvalidHours or OverlappingHours naming the day."""
    checked = []
    for interval in intervals:
        if interval.weekday not in OpeningInterval.Weekday.values:
            raise InvalidHours(_("Choose a day of the week."))
        if _seconds(interval.closes_at, closing=True) <= _seconds(interval.opens_at):
            raise InvalidHours(
                _("%(day)s %(span)s: an interval closes after it opens.")
                % {"day": _day_name(interval.weekday), "span": _span(interval)}
            )
        checked.append(interval)
    checked.sort(key=lambda i: (i.weekday, _seconds(i.opens_at)))
    for before, after in itertools.pairwise(checked):
        if before.weekday != after.weekday:
            continue
        if _seconds(after.opens_at) < _seconds(before.closes_at, closing=True):
            raise OverlappingHours(
                _("%(day)s: %(first)s and %(second)s overlap.")
                % {
                    "day": _day_name(before.weekday),
                    "first": _span(before),
                    "second": _span(after),
                }
            )
    return checked


def check_holidays(holidays: Iterable[tuple[date, str]]) -> list[tuple[date, str]]:
    checked: dict[date, str] = {}
    for day, name in holidays:
        if day in checked:
            raise InvalidHours(_("%(date)s is listed twice.") % {"date": day.isoformat()})
        checked[day] = str(name or "").strip()[:100]
    return sorted(checked.items())


def save_business_hours(
    by: User,
    department: Department,
    *,
    time_zone: object,
    enabled: bool = True,
    intervals: Sequence[Interval] | None = None,
    holidays: Sequence[tuple[date, str]] | None = None,
) -> BusinessHours:
    """Set a department's hours; `intervals` and `holidays`, when given, replace the old ones.

    Everything is checked before anything is written: bad input changes nothing.
    """
    if not _may_supervise(by, department.pk):
        raise NotAllowed(_("Only a LiveChat Manager of the department can change its hours."))
    time_zone = check_time_zone(time_zone)
    checked_intervals = check_intervals(intervals) if intervals is not None else None
    checked_holidays = check_holidays(holidays) if holidays is not None else None
    now = timezone.now()
    with transaction.atomic():
        hours = BusinessHours.objects.select_for_update().filter(department=department).first()
        if hours is None:
            hours = BusinessHours.objects.create(
                department=department, time_zone=time_zone, enabled=enabled, updated_at=now
            )
        else:
            BusinessHours.objects.filter(pk=hours.pk).update(
                time_zone=time_zone, enabled=enabled, updated_at=now
            )
        if checked_intervals is not None:
            OpeningInterval.objects.filter(hours=hours).delete()
            OpeningInterval.objects.bulk_create(
                OpeningInterval(
                    hours=hours, weekday=i.weekday, opens_at=i.opens_at, closes_at=i.closes_at
                )
                for i in checked_intervals
            )
        if checked_holidays is not None:
            Holiday.objects.filter(hours=hours).delete()
            Holiday.objects.bulk_create(
                Holiday(hours=hours, date=day, name=name) for day, name in checked_holidays
            )
        events.record(
            "business_hours.changed",
            actor=by,
            data={"department": department.pk, "time_zone": time_zone, "enabled": enabled},
        )
    hours.refresh_from_db()
    return hours


def note_offline_message(room: Room, *, email: str = "") -> OfflineMessage:
    """Mark a conversation as left outside business hours, with the visitor's e-mail if given.

    Once per room; a later e-mail fills an empty one, never replaces a given one.
    """
    email = _clean_email(email) if email else ""
    with transaction.atomic():
        offline, created = OfflineMessage.objects.get_or_create(
            room=room, defaults={"email": email}
        )
        if not created and email and not offline.email:
            OfflineMessage.objects.filter(pk=offline.pk, email="").update(email=email)
            offline.email = email
        if created:
            events.record(
                "room.left_offline",
                room=room,
                contact=room.contact_id,
                data={"email_given": bool(email)},
            )
    return offline


# --- inactivity ---------------------------------------------------------------------------------


def check_inactivity_policy(
    *, timeout_minutes: int, warning_minutes: int, closing_comment: object, tag: object
) -> tuple[int, int, str, str]:
    """The rule in stored form; InvalidInactivityPolicy saying what is wrong."""
    try:
        timeout_minutes, warning_minutes = int(timeout_minutes), int(warning_minutes)
    except (TypeError, ValueError):
        raise InvalidInactivityPolicy(_("Times are whole minutes.")) from None
    if not 1 <= timeout_minutes <= INACTIVITY_MAX_MINUTES:
        raise InvalidInactivityPolicy(
            _("Close after 1 to %(max)s minutes.") % {"max": INACTIVITY_MAX_MINUTES}
        )
    if not 0 <= warning_minutes < timeout_minutes:
        raise InvalidInactivityPolicy(
            _("The warning comes before the closing: fewer minutes than the timeout.")
        )
    comment = str(closing_comment or "").strip()
    if not comment:
        raise InvalidInactivityPolicy(_("Write the comment the closed chats get."))
    if len(comment) > INACTIVITY_COMMENT_MAX_LENGTH:
        raise InvalidInactivityPolicy(
            _("The comment is limited to %(limit)s characters.")
            % {"limit": INACTIVITY_COMMENT_MAX_LENGTH}
        )
    try:
        tags = room_services.normalise_tags([str(tag or "")])
    except DomainError as error:
        raise InvalidInactivityPolicy(error.message) from None
    return timeout_minutes, warning_minutes, comment, tags[0] if tags else ""


def save_inactivity_policy(
    by: User,
    department: Department,
    *,
    timeout_minutes: int,
    warning_minutes: int,
    closing_comment: str,
    tag: str = "",
    enabled: bool = True,
) -> InactivityPolicy:
    """Create or change the department's inactivity rule."""
    if not _may_supervise(by, department.pk):
        raise NotAllowed(_("Only a LiveChat Manager of the department can change this rule."))
    timeout_minutes, warning_minutes, comment, tag = check_inactivity_policy(
        timeout_minutes=timeout_minutes,
        warning_minutes=warning_minutes,
        closing_comment=closing_comment,
        tag=tag,
    )
    values = {
        "enabled": enabled,
        "timeout_minutes": timeout_minutes,
        "warning_minutes": warning_minutes,
        "closing_comment": comment,
        "tag": tag,
        "updated_at": timezone.now(),
    }
    with transaction.atomic():
        policy, _created = InactivityPolicy.objects.update_or_create(
            department=department, defaults=values
        )
        events.record(
            "inactivity_policy.changed",
            actor=by,
            data={
                "department": department.pk,
                **{k: v for k, v in values.items() if k != "updated_at"},
            },
        )
    return policy


def warn_of_inactivity(policy: InactivityPolicy, room: Room, *, now: datetime) -> bool:
    """Warn the serving agent (a system message in the room and a notice to them) that the
    chat closes soon; False when this silence was already warned of or the room closed.

    One warning per silence: the (room, silent_since) unique constraint settles races.
    """
    try:
        with transaction.atomic():
            still_silent = (
                Room.objects.select_for_update(of=("self",))
                .filter(
                    pk=room.pk,
                    status=Room.Status.TAKEN,
                    last_message_at=room.last_message_at,
                    awaiting_reply_since__isnull=True,
                )
                .values_list("pk", flat=True)
                .first()
            )
            if still_silent is None:
                return False
            InactivityWarning.objects.create(
                room=room, silent_since=room.last_message_at, warned_at=now
            )
            silent = policy.timeout_minutes - policy.warning_minutes
            room_services.post_system_notice(
                room, "inactivity_warning", minutes=silent, left=policy.warning_minutes
            )
            events.record(
                "room.inactivity_warned",
                room=room,
                contact=room.contact_id,
                data={
                    "agent": room.agent_id,
                    "minutes": silent,
                    "left": policy.warning_minutes,
                    "contact_name": room.contact.display_name,
                },
            )
    except (IntegrityError, DomainError):
        return False
    return True


def close_inactive_room(policy: InactivityPolicy, room: Room) -> bool:
    """Close a silent room with the rule's comment and tag; False when it changed meanwhile
    (the contact wrote, the agent closed or returned it)."""
    try:
        room_services.close_room_as_system(
            room,
            comment=policy.closing_comment,
            tags=[policy.tag] if policy.tag else [],
            reason="inactivity",
            silent_since=room.last_message_at,
            minutes=policy.timeout_minutes,
        )
    except DomainError:
        return False
    return True


def sweep_inactive_rooms(*, now: datetime | None = None) -> tuple[int, int]:
    """Warn of and close silent chats under every enabled rule: (warned, closed).

    Run by the sweeper (`manage.py dispatch_events --loop 15`); safe to run in several
    processes at once (each warning and each close is claimed once).
    """
    now = now or timezone.now()
    warned = closed = 0
    for policy in selectors.enabled_inactivity_policies():
        for room in selectors.rooms_to_close(policy, now):
            closed += close_inactive_room(policy, room)
        for room in selectors.rooms_to_warn(policy, now):
            warned += warn_of_inactivity(policy, room, now=now)
    return warned, closed


# --- satisfaction survey ------------------------------------------------------------------------


def _check_visitors_room(contact: Contact, room: Room) -> None:
    if room.contact_id != contact.pk or room.channel != Channel.LIVECHAT:
        raise NotYourConversation()


def clean_rating(raw: object) -> int:
    try:
        rating = int(str(raw).strip())
    except (TypeError, ValueError):
        raise InvalidRating() from None
    if not 1 <= rating <= 5:
        raise InvalidRating()
    return rating


def submit_survey(
    contact: Contact, room: Room, *, rating: object, comment: object = ""
) -> SurveyResponse:
    """The visitor's rating (1 to 5) and comment on their ended conversation; once per room."""
    _check_visitors_room(contact, room)
    rating = clean_rating(rating)
    comment = str(comment or "").replace("\x00", "").strip()
    if len(comment) > SURVEY_COMMENT_MAX_LENGTH:
        raise SurveyCommentTooLong(
            _("Comments are limited to %(limit)s characters.")
            % {"limit": SURVEY_COMMENT_MAX_LENGTH}
        )
    status, agent_id = Room.objects.filter(pk=room.pk).values_list("status", "agent_id").get()
    if status != Room.Status.CLOSED:
        raise SurveyNotOpen()
    if SurveyResponse.objects.filter(room=room).exists():
        raise AlreadyRated()
    try:
        with transaction.atomic():
            survey = SurveyResponse.objects.create(room=room, rating=rating, comment=comment)
            events.record(
                "survey.submitted",
                room=room,
                contact=contact,
                data={"rating": rating, "agent": agent_id},
            )
    except IntegrityError:
        raise AlreadyRated() from None
    return survey


# --- transcripts --------------------------------------------------------------------------------


def _clean_email(raw: object) -> str:
    email = str(raw or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidEmail() from None
    if len(email) > 254:
        raise InvalidEmail()
    return email


def request_transcript(contact: Contact, room: Room, *, email: object) -> TranscriptRequest:
    """The visitor wants the conversation by e-mail: sent when it ends, or now if it has.

    Locks the room row, as closing does: a close either sees this request or this request
    sees the room closed, so no request is left waiting for a close that already happened.
    """
    _check_visitors_room(contact, room)
    email = _clean_email(email)
    with transaction.atomic():
        current = Room.objects.select_for_update(of=("self",)).get(pk=room.pk)
        existing = TranscriptRequest.objects.filter(room=current).first()
        if existing and existing.status in (
            TranscriptRequest.Status.SENT,
            TranscriptRequest.Status.SENDING,
        ):
            raise TranscriptAlreadySent()
        if existing:
            TranscriptRequest.objects.filter(pk=existing.pk).update(
                email=email,
                status=TranscriptRequest.Status.PENDING,
                error="",
                requested_at=timezone.now(),
            )
            request_id = existing.pk
        else:
            request_id = TranscriptRequest.objects.create(room=current, email=email).pk
        events.record("transcript.requested", room=current, contact=contact, data={})
        if current.status == Room.Status.CLOSED:
            transaction.on_commit(lambda: _enqueue_transcript(request_id), robust=True)
    return TranscriptRequest.objects.get(pk=request_id)


def _enqueue_transcript(request_id: int) -> None:
    from productivity.tasks import send_transcript

    send_transcript.enqueue(request_id)


def schedule_transcript_on_close(event: Event) -> None:
    """Subscriber: a room closed; send the transcript its contact asked for, if any."""
    if event.name != "room.closed" or not event.room_id:
        return
    pending = TranscriptRequest.objects.filter(
        room_id=event.room_id, status=TranscriptRequest.Status.PENDING
    ).values_list("pk", flat=True)
    for request_id in pending:
        _enqueue_transcript(request_id)


def resend_pending_transcripts(older_than: timedelta = timedelta(minutes=1)) -> int:
    """The sweeper's safety net: requests of closed rooms still pending (a lost enqueue)."""
    cutoff = timezone.now() - older_than
    pending = list(
        TranscriptRequest.objects.filter(
            status=TranscriptRequest.Status.PENDING,
            room__status=Room.Status.CLOSED,
            room__closed_at__lte=cutoff,
            requested_at__lte=cutoff,
        ).values_list("pk", flat=True)[:100]
    )
    for request_id in pending:
        _enqueue_transcript(request_id)
    return len(pending)


def send_transcript(request_id: int) -> str:
    """Send one requested transcript (plain text and sanitised HTML): 'sent', 'failed' or
    'not claimed'. The claim is one conditional UPDATE, so two workers never send it twice."""
    claimed = TranscriptRequest.objects.filter(
        pk=request_id, status=TranscriptRequest.Status.PENDING, room__status=Room.Status.CLOSED
    ).update(status=TranscriptRequest.Status.SENDING)
    if not claimed:
        return "not claimed"
    request = TranscriptRequest.objects.select_related(
        "room__contact", "room__department", "room__agent"
    ).get(pk=request_id)
    room = request.room
    lines = [
        {"message": message, "html": render_message(message.text) if message.text else ""}
        for message in transcript_of(room)
    ]
    # Times as the department keeps them (its business hours' zone), else the center's.
    zone = (
        BusinessHours.objects.filter(department_id=room.department_id)
        .values_list("time_zone", flat=True)
        .first()
    ) or settings.TIME_ZONE
    context = {"room": room, "lines": lines, "department": room.department, "time_zone": zone}
    with timezone.override(zone):
        subject = " ".join(
            render_to_string("productivity/email/transcript_subject.txt", context).split()
        )
        email = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("productivity/email/transcript.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[request.email],
        )
        email.attach_alternative(
            render_to_string("productivity/email/transcript.html", context), "text/html"
        )
    try:
        email.send()
    except Exception as error:
        logger.exception("Could not send the transcript of room %s", room.pk)
        TranscriptRequest.objects.filter(pk=request_id).update(
            status=TranscriptRequest.Status.FAILED, error=str(error)[:1000]
        )
        return "failed"
    with transaction.atomic():
        TranscriptRequest.objects.filter(pk=request_id).update(
            status=TranscriptRequest.Status.SENT, sent_at=timezone.now(), error=""
        )
        events.record("transcript.sent", room=room, contact=room.contact_id, data={})
    return "sent"
