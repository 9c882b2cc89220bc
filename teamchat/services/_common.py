"""What every team chat service shares: validation, membership checks, system messages."""

import re
from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import User
from rooms.formatting import MESSAGE_MAX_LENGTH
from teamchat.errors import (
    ChatArchived,
    DuplicateName,
    InvalidName,
    MessageTooLong,
    NotAllowed,
    NotMember,
    NotOwner,
)
from teamchat.models import (
    NAME_MAX_LENGTH,
    Chat,
    ChatMessage,
    Membership,
    Team,
)

_NAME = re.compile(rf"[\w.-]{{1,{NAME_MAX_LENGTH}}}")


def files_allowed() -> bool:
    return bool(getattr(settings, "TEAMCHAT_ALLOW_FILES", False))


# --- helpers ------------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise InvalidName()
    return name


def _check_name_free(name: str, *, chat: Chat | None = None, team: Team | None = None) -> None:
    """Names are unique, whatever their case, among channels, groups and teams."""
    chats = Chat.objects.exclude(kind=Chat.Kind.DIRECT).filter(name__iexact=name)
    teams = Team.objects.filter(name__iexact=name)
    if chat is not None:
        chats = chats.exclude(pk=chat.pk)
    if team is not None:
        teams = teams.exclude(pk=team.pk)
        chats = chats.exclude(team=team, is_team_main=True)
    if chats.exists() or teams.exists():
        raise _duplicate(name)


def _duplicate(name: str) -> DuplicateName:
    return DuplicateName(
        _("The name “%(name)s” is already taken by another channel, group or team.")
        % {"name": name}
    )


def _clean_text(text: str) -> str:
    text = (text or "").replace("\x00", "").strip()
    if len(text) > MESSAGE_MAX_LENGTH:
        raise MessageTooLong(
            _("Messages are limited to %(limit)s characters; this one has %(length)s.")
            % {"limit": MESSAGE_MAX_LENGTH, "length": len(text)}
        )
    return text


def _others(by: User, users: Iterable[User]) -> list[User]:
    seen: dict[int, User] = {}
    for user in users:
        if user.pk != by.pk and user.is_active:
            seen.setdefault(user.pk, user)
    return list(seen.values())


def _membership(user: User, chat: Chat) -> Membership:
    found = Membership.objects.filter(chat=chat, user=user).first()
    if found is None:
        raise NotMember()
    return found


def _require_owner(user: User, chat: Chat) -> Membership:
    membership = _membership(user, chat)
    if not membership.is_owner:
        raise NotOwner()
    return membership


def _require_open(chat: Chat) -> None:
    # Read again: an archive may have committed since the caller loaded the chat.
    if Chat.objects.filter(pk=chat.pk, archived_at__isnull=False).exists():
        raise ChatArchived()


def _not_direct(chat: Chat) -> None:
    if chat.is_direct:
        raise NotAllowed(_("The members of a direct message cannot change."))


def _system(chat: Chat, code: str, *, actor: User | None, **data) -> ChatMessage:
    if actor is not None:
        data.setdefault("actor", actor.display_name)
    return ChatMessage.objects.create(
        chat=chat, kind=ChatMessage.Kind.SYSTEM, author=actor, system_code=code, system_data=data
    )


def _add_member(chat: Chat, user: User, role: str = Membership.Role.MEMBER) -> bool:
    """Add a membership; False when the user already had one. Starts with nothing unread."""
    latest = ChatMessage.objects.filter(chat=chat).order_by("-id").values_list("id", flat=True)
    _, created = Membership.objects.get_or_create(
        chat=chat,
        user=user,
        defaults={"role": role, "last_read_message_id": latest.first()},
    )
    return created


def _team_member_ids(team: Team) -> set[int]:
    return set(
        Membership.objects.filter(chat__team=team, chat__is_team_main=True).values_list(
            "user_id", flat=True
        )
    )
