"""The only writers of accounts' models."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.errors import (
    AgentExists,
    DepartmentExists,
    InvalidAgent,
    ManagerRequired,
    QueueNotAllowed,
    UnknownDepartment,
)
from accounts.models import (
    AGENT_ROLE,
    MANAGER_ROLE,
    AgentConnection,
    Department,
    DepartmentAgent,
    User,
    validate_time_zone,
)
from accounts.selectors import (
    forget_roles,
    is_manager,
    may_manage,
    queue_refusal_reason,
    supervised_department_ids,
)
from omnichannel import events


def set_queue_enabled(user: User, *, enabled: bool) -> User:
    """Switch the agent's Omnichannel queue on or off; only eligible agents may switch it on."""
    if enabled:
        reason = queue_refusal_reason(user)
        if reason:
            raise QueueNotAllowed(reason)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(queue_enabled=enabled)
        user.queue_enabled = enabled
        events.record("agent.queue_changed", actor=user, data={"enabled": enabled})
    return user


def set_status(user: User, *, status: str) -> User:
    if status not in User.Status.values:
        raise InvalidAgent(_("Unknown status: %(status)s") % {"status": status})
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(status=status)
        user.status = status
        events.record("agent.status_changed", actor=user, data={"status": status})
    return user


def set_preferences(user: User, *, language: str, time_zone: str) -> User:
    """The user's own language and time zone; empty means the browser's / the center's."""
    if language and language not in dict(settings.LANGUAGES):
        raise InvalidAgent(_("Unknown language: %(language)s") % {"language": language})
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        raise InvalidAgent(error.messages[0]) from None
    User.objects.filter(pk=user.pk).update(language=language, time_zone=time_zone)
    user.language, user.time_zone = language, time_zone
    return user


def create_department(
    *, name: str, slug: str | None = None, description: str = ""
) -> tuple[Department, bool]:
    """Create a department, or return the one with that slug. Returns (department, created)."""
    name = name.strip()
    slug = slugify(slug or name)
    if not name or not slug:
        raise UnknownDepartment(_("A department needs a name made of letters or digits."))
    with transaction.atomic():
        department, created = Department.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )
    return department, created


def provision_agent(
    *,
    username: str,
    password: str,
    department_slugs: Iterable[str] = (),
    manager: bool = False,
    queue_on: bool = False,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    superuser: bool = False,
) -> tuple[User, bool]:
    """Create or update an agent with the LiveChat Agent role. Returns (user, created).

    Idempotent: running it again with the same arguments changes nothing.
    """
    username = username.strip()
    if not username:
        raise InvalidAgent(_("A user name is required."))
    slugs = list(dict.fromkeys(department_slugs))
    departments = list(Department.objects.filter(slug__in=slugs))
    missing = sorted(set(slugs) - {d.slug for d in departments})
    if missing:
        raise UnknownDepartment(_("Unknown department: %(slugs)s") % {"slugs": ", ".join(missing)})
    candidate = User(username=username, first_name=first_name, last_name=last_name, email=email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        raise InvalidAgent(" ".join(error.messages)) from None

    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first_name, "last_name": last_name, "email": email},
        )
        changed = []
        if created or not user.check_password(password):
            user.set_password(password)
            changed.append("password")
        for field, value in (
            ("first_name", first_name),
            ("last_name", last_name),
            ("email", email),
        ):
            if value and getattr(user, field) != value:
                setattr(user, field, value)
                changed.append(field)
        staff = manager or superuser
        if staff and not user.is_staff:
            user.is_staff = True
            changed.append("is_staff")
        if superuser and not user.is_superuser:
            user.is_superuser = True
            changed.append("is_superuser")
        if changed:
            user.save(update_fields=None if created else changed)
        roles = [AGENT_ROLE] + ([MANAGER_ROLE] if manager else [])
        user.groups.add(*Group.objects.filter(name__in=roles))
        for department in departments:
            DepartmentAgent.objects.get_or_create(department=department, agent=user)
        if queue_on and departments and not user.queue_enabled:
            User.objects.filter(pk=user.pk).update(queue_enabled=True)
            user.queue_enabled = True
        events.record(
            "agent.provisioned",
            data={"username": username, "created": created, "departments": slugs},
        )
    return user, created


def set_agent_departments(agent: User, departments: Iterable[Department]) -> None:
    """Make the agent's memberships exactly these departments."""
    wanted = {d.pk for d in departments}
    with transaction.atomic():
        DepartmentAgent.objects.filter(agent=agent).exclude(department_id__in=wanted).delete()
        current = set(
            DepartmentAgent.objects.filter(agent=agent).values_list("department_id", flat=True)
        )
        DepartmentAgent.objects.bulk_create(
            DepartmentAgent(agent=agent, department_id=pk) for pk in wanted - current
        )
        if not wanted and agent.queue_enabled:
            User.objects.filter(pk=agent.pk).update(queue_enabled=False)
            agent.queue_enabled = False
        events.record(
            "agent.departments_changed",
            actor=None,
            data={"agent": agent.pk, "departments": sorted(wanted)},
        )


def agent_connected(user: User, *, channel_name: str) -> None:
    """A tab opened its socket: remember it, and show an offline agent as online."""
    with transaction.atomic():
        AgentConnection.objects.get_or_create(agent=user, channel_name=channel_name)
        went_online = User.objects.filter(pk=user.pk, status=User.Status.OFFLINE).update(
            status=User.Status.ONLINE
        )
        if went_online:
            events.record("agent.status_changed", actor=user, data={"status": "online"})


def agent_seen(user: User, *, channel_name: str) -> None:
    AgentConnection.objects.filter(agent=user, channel_name=channel_name).update(
        last_seen_at=timezone.now()
    )


def agent_disconnected(user: User, *, channel_name: str) -> None:
    AgentConnection.objects.filter(agent=user, channel_name=channel_name).delete()


def settle_presence(user: User) -> bool:
    """After the grace period: an online agent with no socket left goes offline. True if so."""
    with transaction.atomic():
        if AgentConnection.objects.filter(agent=user).exists():
            return False
        went_offline = User.objects.filter(pk=user.pk, status=User.Status.ONLINE).update(
            status=User.Status.OFFLINE
        )
        if went_offline:
            events.record("agent.status_changed", actor=user, data={"status": "offline"})
    return bool(went_offline)


def expire_stale_connections(older_than: timedelta) -> int:
    """Forget sockets whose process died without saying so; settle their agents' presence."""
    cutoff = timezone.now() - older_than
    stale = AgentConnection.objects.filter(last_seen_at__lt=cutoff)
    agent_ids = set(stale.values_list("agent_id", flat=True))
    count, _ = stale.delete()
    for agent in User.objects.filter(pk__in=agent_ids):
        settle_presence(agent)
    return count


def notify_departments_changed(agent: User) -> None:
    """Tell live sockets that the agent's departments changed (admin edited the memberships)."""
    with transaction.atomic():
        events.record("agent.departments_changed", data={"agent": agent.pk})


def sign_out_everywhere(agent: User, *, by: User) -> int:
    """End every session of the agent; their open tabs are told and close. Returns sessions."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(agent.pk):
            ended.append(session.pk)
    with transaction.atomic():
        Session.objects.filter(pk__in=ended).delete()
        events.record("agent.signed_out", actor=by, data={"agent": agent.pk})
    return len(ended)


def _require_manager(by: User) -> None:
    if not is_manager(by):
        raise ManagerRequired()


def _require_rights_to_give(
    by: User, *, manager: bool | None, departments: list[Department] | None
) -> None:
    """Only a superuser makes or unmakes managers; a department-limited manager places agents
    only in the departments they supervise (the admin console applies the same rules)."""
    if by.is_superuser:
        return
    if manager is not None:
        raise ManagerRequired(_("Only a superuser can give or take the LiveChat Manager role."))
    scope = supervised_department_ids(by)
    if scope is None or departments is None:
        return
    if not departments or any(department.pk not in scope for department in departments):
        raise ManagerRequired(_("You can only place agents in the departments you supervise."))


def _split_name(name: str) -> tuple[str, str]:
    """A full name as (first, last) so that `get_full_name()` gives it back unchanged."""
    first, _space, last = " ".join(name.split()).partition(" ")
    return first[:150], last[:150]


def add_department(by: User, *, name: str, slug: str = "", description: str = "") -> Department:
    """A manager creates a department; DepartmentExists when the name or slug is taken."""
    _require_manager(by)
    name = name.strip()
    slug = slugify(slug or name)
    if not name or not slug:
        raise UnknownDepartment(_("A department needs a name made of letters or digits."))
    if Department.objects.filter(Q(name__iexact=name) | Q(slug=slug)).exists():
        raise DepartmentExists()
    try:
        with transaction.atomic():
            department = Department.objects.create(name=name, slug=slug, description=description)
            events.record(
                "department.created", actor=by, data={"department": department.pk, "slug": slug}
            )
    except IntegrityError:
        raise DepartmentExists() from None
    return department


def update_department(
    by: User,
    department: Department,
    *,
    name: str | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> Department:
    """A manager renames, describes, enables or disables a department (its slug stays)."""
    _require_manager(by)
    changes: dict = {}
    if name is not None:
        name = name.strip()
        if not name:
            raise UnknownDepartment(_("A department needs a name."))
        if Department.objects.filter(name__iexact=name).exclude(pk=department.pk).exists():
            raise DepartmentExists()
        changes["name"] = name
    if description is not None:
        changes["description"] = description
    if enabled is not None:
        changes["enabled"] = enabled
    if not changes:
        return department
    try:
        with transaction.atomic():
            Department.objects.filter(pk=department.pk).update(**changes)
            events.record(
                "department.updated",
                actor=by,
                data={"department": department.pk, "fields": sorted(changes)},
            )
    except IntegrityError:
        raise DepartmentExists() from None
    department.refresh_from_db()
    return department


def _set_manager_role(agent: User, manager: bool) -> None:
    group = Group.objects.filter(name=MANAGER_ROLE).first()
    if group is None:
        group = Group.objects.create(name=MANAGER_ROLE)
    if manager:
        agent.groups.add(group)
        User.objects.filter(pk=agent.pk).update(is_staff=True)
    else:
        agent.groups.remove(group)
        if not agent.is_superuser:
            User.objects.filter(pk=agent.pk).update(is_staff=False)


def create_agent(
    by: User,
    *,
    username: str,
    password: str,
    name: str = "",
    email: str = "",
    departments: Iterable[Department] = (),
    manager: bool = False,
    max_chats: int | None = None,
) -> User:
    """A manager creates a new agent (never touches an existing user: AgentExists)."""
    _require_manager(by)
    departments = list(departments)
    _require_rights_to_give(by, manager=True if manager else None, departments=departments)
    username = username.strip()
    if not username:
        raise InvalidAgent(_("A user name is required."))
    if User.objects.filter(username__iexact=username).exists():
        raise AgentExists()
    first_name, last_name = _split_name(name)
    candidate = User(username=username, first_name=first_name, last_name=last_name, email=email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        raise InvalidAgent(" ".join(error.messages)) from None
    try:
        with transaction.atomic():
            candidate.set_password(password)
            if max_chats is not None:
                candidate.max_chats = max_chats
            candidate.save()
            agent_group = Group.objects.get_or_create(name=AGENT_ROLE)[0]
            candidate.groups.add(agent_group)
            if manager:
                _set_manager_role(candidate, True)
            DepartmentAgent.objects.bulk_create(
                DepartmentAgent(agent=candidate, department=department)
                for department in departments
            )
            events.record(
                "agent.created",
                actor=by,
                data={"agent": candidate.pk, "departments": [d.pk for d in departments]},
            )
    except IntegrityError:
        raise AgentExists() from None
    candidate.refresh_from_db()
    return candidate


def update_agent(
    by: User,
    agent: User,
    *,
    name: str | None = None,
    email: str | None = None,
    manager: bool | None = None,
    departments: Iterable[Department] | None = None,
    max_chats: int | None = None,
    queue_enabled: bool | None = None,
    status: str | None = None,
) -> User:
    """Change an agent: a manager may change anything; an agent only their own queue switch
    and status. All or nothing: one transaction."""
    own_fields_only = name is None and email is None and manager is None
    own_fields_only = own_fields_only and departments is None and max_chats is None
    if not (is_manager(by) or (by.pk == agent.pk and own_fields_only)):
        raise ManagerRequired()
    if departments is not None:
        departments = list(departments)
    if not (by.pk == agent.pk and own_fields_only):
        # Beyond their own switch and status, a manager changes only the agents they manage.
        if not may_manage(by, agent):
            raise ManagerRequired(_("You cannot change this account."))
        role_change = None if manager is None or manager == is_manager(agent) else manager
        _require_rights_to_give(by, manager=role_change, departments=departments)
    with transaction.atomic():
        changes: dict = {}
        if name is not None:
            changes["first_name"], changes["last_name"] = _split_name(name)
        if email is not None:
            changes["email"] = email
        if max_chats is not None:
            changes["max_chats"] = max_chats
        if changes:
            User.objects.filter(pk=agent.pk).update(**changes)
        if manager is not None:
            _set_manager_role(agent, manager)
        if departments is not None:
            set_agent_departments(agent, departments)
        agent.refresh_from_db()
        forget_roles(agent)
        if queue_enabled is not None:
            set_queue_enabled(agent, enabled=queue_enabled)
        if status is not None:
            set_status(agent, status=status)
        if changes or manager is not None:
            events.record(
                "agent.updated",
                actor=by,
                data={
                    "agent": agent.pk,
                    "fields": sorted(changes) + (["role"] if manager is not None else []),
                },
            )
    return agent
