"""Chats and teams: creating, joining, leaving, members and roles, renaming, archiving."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from omnichannel import events
from teamchat.errors import (
    ChatArchived,
    InvalidMembers,
    LastOwner,
    NotAllowed,
    NotOwner,
)
from teamchat.models import (
    Chat,
    Membership,
    Team,
)
from teamchat.selectors import (
    can_watch,
    direct_chat_between,
    main_chat_of,
)
from teamchat.services._common import (
    _add_member,
    _check_name_free,
    _clean_name,
    _duplicate,
    _membership,
    _not_direct,
    _others,
    _require_open,
    _require_owner,
    _system,
    _team_member_ids,
)

DIRECT_MAX_MEMBERS = 8


# --- chats and teams ----------------------------------------------------------------------------


def create_chat(
    by: User,
    *,
    name: str,
    private: bool = False,
    members: Iterable[User] = (),
    team: Team | None = None,
) -> Chat:
    """A public channel or a private group (of a team, when given); the creator owns it."""
    name = _clean_name(name)
    others = _others(by, members)
    if team is not None:
        main = main_chat_of(team)
        _membership(by, main)
        if main.is_archived:
            raise ChatArchived()
        team_ids = _team_member_ids(team)
        outsiders = [user.username for user in others if user.pk not in team_ids]
        if outsiders:
            raise InvalidMembers(
                _("Not in the team %(team)s: %(names)s.")
                % {"team": team.name, "names": ", ".join(outsiders)}
            )
    _check_name_free(name)
    try:
        with transaction.atomic():
            chat = Chat.objects.create(
                kind=Chat.Kind.GROUP if private else Chat.Kind.CHANNEL,
                name=name,
                team=team,
                created_by=by,
            )
            _add_member(chat, by, Membership.Role.OWNER)
            for user in others:
                _add_member(chat, user)
            note = _system(chat, "created", actor=by)
            events.record(
                "chat.created",
                actor=by,
                data={
                    "chat": chat.pk,
                    "members": [by.pk, *(u.pk for u in others)],
                    "system": note.pk,
                },
            )
    except IntegrityError:
        raise _duplicate(name) from None
    return chat


def create_team(
    by: User, *, name: str, private: bool = False, members: Iterable[User] = ()
) -> Team:
    """A team and its main chat (a channel, or a private group for a private team)."""
    name = _clean_name(name)
    others = _others(by, members)
    _check_name_free(name)
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name, private=private, created_by=by)
            chat = Chat.objects.create(
                kind=Chat.Kind.GROUP if private else Chat.Kind.CHANNEL,
                name=name,
                team=team,
                is_team_main=True,
                created_by=by,
            )
            _add_member(chat, by, Membership.Role.OWNER)
            for user in others:
                _add_member(chat, user)
            note = _system(chat, "team_created", actor=by)
            events.record(
                "chat.created",
                actor=by,
                data={
                    "chat": chat.pk,
                    "team": team.pk,
                    "members": [by.pk, *(u.pk for u in others)],
                    "system": note.pk,
                },
            )
    except IntegrityError:
        raise _duplicate(name) from None
    return team


def open_direct(by: User, *, users: Iterable[User]) -> Chat:
    """The direct conversation between these agents and `by`, created on first use."""
    others = _others(by, users)
    if not others:
        raise InvalidMembers(_("Choose at least one other person."))
    if len(others) + 1 > DIRECT_MAX_MEMBERS:
        raise InvalidMembers(
            _("A direct message has at most %(count)s people; create a private group instead.")
            % {"count": DIRECT_MAX_MEMBERS}
        )
    ids = sorted({by.pk, *(user.pk for user in others)})
    existing = direct_chat_between(ids)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            chat = Chat.objects.create(
                kind=Chat.Kind.DIRECT, direct_key="-".join(map(str, ids)), created_by=by
            )
            for user in [by, *others]:
                _add_member(chat, user)
            events.record("chat.created", actor=by, data={"chat": chat.pk, "members": ids})
    except IntegrityError:
        # Someone opened the same conversation at the same moment.
        existing = direct_chat_between(ids)
        if existing is None:
            raise
        return existing
    return chat


def join_chat(user: User, chat: Chat) -> Membership:
    """Join a public channel (a team's main channel joins its team)."""
    if chat.kind != Chat.Kind.CHANNEL or not can_watch(user, chat.pk):
        raise NotAllowed(_("This room is private: ask one of its owners to add you."))
    _require_open(chat)
    with transaction.atomic():
        if _add_member(chat, user):
            note = _system(chat, "joined", actor=user)
            events.record(
                "chat.member_joined",
                actor=user,
                data={"chat": chat.pk, "users": [user.pk], "system": note.pk},
            )
    return Membership.objects.get(chat=chat, user=user)


def join_team(user: User, team: Team) -> Membership:
    return join_chat(user, main_chat_of(team))


def _departure(chat: Chat, user: User) -> list[int]:
    """Delete the user's membership (and, leaving a team, of its chats); the chat ids left."""
    scope = {"chat__team": chat.team_id} if chat.is_team_main else {"chat": chat}
    chats = Membership.objects.filter(user=user, **scope)
    left = list(chats.values_list("chat_id", flat=True))
    Membership.objects.filter(user=user, chat_id__in=left).delete()
    return left


def leave_chat(user: User, chat: Chat) -> list[int]:
    """Leave a chat (a team's main chat: the whole team). The last owner must hand over first.

    Locks the chat's owner rows (PostgreSQL) so two owners never both leave as 'not the last'.
    """
    _not_direct(chat)
    with transaction.atomic():
        owners = list(
            Membership.objects.select_for_update()
            .filter(chat=chat, role=Membership.Role.OWNER)
            .order_by("pk")
            .values_list("user_id", flat=True)
        )
        membership = _membership(user, chat)
        others = Membership.objects.filter(chat=chat).exclude(user=user).exists()
        if membership.is_owner and owners == [user.pk] and others:
            raise LastOwner()
        left = _departure(chat, user)
        note = _system(chat, "left", actor=user)
        events.record(
            "chat.member_left",
            actor=user,
            data={"chat": chat.pk, "user": user.pk, "chats": left, "system": note.pk},
        )
    return left


def add_members(by: User, chat: Chat, *, users: Iterable[User]) -> list[User]:
    """Invite people: any member of a public channel may; only owners of a private one."""
    _not_direct(chat)
    _require_open(chat)
    membership = _membership(by, chat)
    if (chat.is_private or chat.is_team_main) and not membership.is_owner:
        raise NotOwner()
    others = _others(by, users)
    if chat.team_id and not chat.is_team_main:
        team_ids = _team_member_ids(chat.team)
        outsiders = [user.username for user in others if user.pk not in team_ids]
        if outsiders:
            raise InvalidMembers(
                _("Add them to the team first: %(names)s.") % {"names": ", ".join(outsiders)}
            )
    with transaction.atomic():
        added = [user for user in others if _add_member(chat, user)]
        if not added:
            raise InvalidMembers(_("They are already members."))
        note = _system(chat, "added", actor=by, names=[user.display_name for user in added])
        events.record(
            "chat.member_added",
            actor=by,
            data={"chat": chat.pk, "users": [u.pk for u in added], "system": note.pk},
        )
    return added


def remove_member(by: User, chat: Chat, *, user: User) -> list[int]:
    """An owner removes someone (from a team: from all its chats)."""
    _not_direct(chat)
    _require_owner(by, chat)
    if user.pk == by.pk:
        raise NotAllowed(_("Leave the room instead."))
    _membership(user, chat)
    with transaction.atomic():
        left = _departure(chat, user)
        note = _system(chat, "removed", actor=by, name=user.display_name)
        events.record(
            "chat.member_removed",
            actor=by,
            data={"chat": chat.pk, "user": user.pk, "chats": left, "system": note.pk},
        )
    return left


def set_role(by: User, chat: Chat, *, user: User, role: str) -> Membership:
    """An owner makes a member an owner, or an owner a member (never the last owner)."""
    if role not in Membership.Role.values:
        raise NotAllowed(_("Unknown role."))
    _not_direct(chat)
    _require_owner(by, chat)
    with transaction.atomic():
        owners = list(
            Membership.objects.select_for_update()
            .filter(chat=chat, role=Membership.Role.OWNER)
            .order_by("pk")
            .values_list("user_id", flat=True)
        )
        target = _membership(user, chat)
        if target.role == role:
            return target
        if role == Membership.Role.MEMBER and owners == [user.pk]:
            raise LastOwner(_("A room keeps at least one owner."))
        Membership.objects.filter(pk=target.pk).update(role=role)
        code = "owner_set" if role == Membership.Role.OWNER else "owner_unset"
        note = _system(chat, code, actor=by, name=user.display_name)
        events.record(
            "chat.role_changed",
            actor=by,
            data={"chat": chat.pk, "user": user.pk, "role": role, "system": note.pk},
        )
    target.role = role
    return target


def rename_chat(by: User, chat: Chat, *, name: str) -> Chat:
    """An owner renames a channel or group (a team's main chat renames the team)."""
    _not_direct(chat)
    _require_open(chat)
    _require_owner(by, chat)
    name = _clean_name(name)
    if name == chat.name:
        return chat
    team = chat.team if chat.is_team_main else None
    _check_name_free(name, chat=chat, team=team)
    previous = chat.name
    try:
        with transaction.atomic():
            Chat.objects.filter(pk=chat.pk).update(name=name)
            if team is not None:
                Team.objects.filter(pk=team.pk).update(name=name)
            note = _system(chat, "renamed", actor=by, previous=previous, name=name)
            events.record(
                "chat.renamed",
                actor=by,
                data={"chat": chat.pk, "from": previous, "to": name, "system": note.pk},
            )
    except IntegrityError:
        raise _duplicate(name) from None
    chat.name = name
    return chat


def set_archived(by: User, chat: Chat, *, archived: bool) -> Chat:
    """An owner archives a chat (read-only for everyone) or brings it back."""
    _not_direct(chat)
    _require_owner(by, chat)
    now = timezone.now()
    with transaction.atomic():
        chats = Chat.objects.filter(pk=chat.pk, archived_at__isnull=archived)
        if not chats.update(archived_at=now if archived else None):
            return chat
        note = _system(chat, "archived" if archived else "unarchived", actor=by)
        events.record(
            "chat.archived" if archived else "chat.unarchived",
            actor=by,
            data={"chat": chat.pk, "system": note.pk},
        )
    chat.archived_at = now if archived else None
    return chat
