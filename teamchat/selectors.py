"""Shared reads of team chat, and the one access check.

A user sees a chat when they are a member of it, or when it is a public channel outside any
team, in a public team, or in a team they belong to. Private groups, direct messages and the
chats of private teams are invisible to everyone else: every list, search, directory, page and
socket subscription reads through `chats_visible_to` / `teams_visible_to`.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from omnichannel.compiled import CompiledGet
from rooms.message_actions import summarise_reactions as shared_summary
from teamchat.models import (
    Chat,
    ChatMessage,
    DisplayPreference,
    Membership,
    Reaction,
    Team,
)

SEARCH_LIMIT = 5
MESSAGES_LIMIT = 100


# --- access -------------------------------------------------------------------------------------


def _usable(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def member_chat_ids(user: User) -> QuerySet:
    return Membership.objects.filter(user=user).values("chat_id")


def member_team_ids(user: User) -> QuerySet:
    return Membership.objects.filter(user=user, chat__is_team_main=True).values("chat__team_id")


def chats_visible_to(user: User) -> QuerySet[Chat]:
    """Every chat the user may see: theirs, and the public channels they may join."""
    if not _usable(user):
        return Chat.objects.none()
    public = Q(kind=Chat.Kind.CHANNEL) & (
        Q(team__isnull=True) | Q(team__private=False) | Q(team_id__in=member_team_ids(user))
    )
    # Subqueries, not joins: one row per chat, no DISTINCT.
    return Chat.objects.filter(public | Q(pk__in=member_chat_ids(user))).select_related("team")


def get_chat_for(user: User, chat_id: int) -> Chat:
    """The chat if this user may see it; 404 alike for missing and not theirs."""
    chat = chats_visible_to(user).filter(pk=chat_id).first()
    if chat is None:
        raise Http404
    return chat


def can_watch(user: User, chat_id: int) -> bool:
    """May this user's socket join the chat's group (its live messages)?"""
    return chats_visible_to(user).filter(pk=chat_id).exists()


def teams_visible_to(user: User) -> QuerySet[Team]:
    if not _usable(user):
        return Team.objects.none()
    return Team.objects.filter(Q(private=False) | Q(pk__in=member_team_ids(user)))


def get_team_for(user: User, team_id: int) -> Team:
    team = teams_visible_to(user).filter(pk=team_id).first()
    if team is None:
        raise Http404
    return team


def membership_of(user: User, chat: Chat) -> Membership | None:
    if not _usable(user):
        return None
    return Membership.objects.filter(chat=chat, user=user).first()


def is_member(user: User, chat: Chat) -> bool:
    return Membership.objects.filter(chat=chat, user=user).exists()


def main_chat_of(team: Team) -> Chat:
    return Chat.objects.select_related("team").get(team=team, is_team_main=True)


def team_membership(user: User, team: Team) -> Membership | None:
    return Membership.objects.filter(chat__team=team, chat__is_team_main=True, user=user).first()


# --- titles -------------------------------------------------------------------------------------


def direct_titles(chats: list[Chat], viewer: User) -> None:
    """Set `title` on each chat: its name, or for a direct message the other members' names."""
    direct_ids = [chat.pk for chat in chats if chat.is_direct]
    others: dict[int, list[User]] = defaultdict(list)
    if direct_ids:
        rows = (
            Membership.objects.filter(chat_id__in=direct_ids)
            .exclude(user=viewer)
            .select_related("user")
            .order_by("user__username")
        )
        for row in rows:
            others[row.chat_id].append(row.user)
    for chat in chats:
        if chat.is_direct:
            people = others.get(chat.pk, [])
            chat.title = ", ".join(person.display_name for person in people) or viewer.display_name
            chat.direct_users = people
        else:
            chat.title = chat.name


# --- the sidebar --------------------------------------------------------------------------------


# Read for every page the sidebar shows on: compiled once (omnichannel.compiled).
_display_preference = CompiledGet(lambda: DisplayPreference.objects.all(), "user")


def display_preferences(user: User) -> DisplayPreference:
    """The user's Display options, or the defaults (unsaved) when they never chose any."""
    found = _display_preference.get(user=user)
    return found or DisplayPreference(user=user)


@dataclass
class SidebarGroup:
    key: str
    label: str
    items: list[Membership] = field(default_factory=list)


def _activity(membership: Membership) -> datetime:
    chat = membership.chat
    return chat.last_message_at or chat.created_at


def sidebar_for(user: User) -> dict:
    """The user's chats for the sidebar, ordered and grouped as their Display options say."""
    preferences = display_preferences(user)
    memberships = list(
        Membership.objects.filter(user=user).select_related("chat", "chat__team").order_by("id")
    )
    chats = [membership.chat for membership in memberships]
    direct_titles(chats, user)
    if preferences.sort == DisplayPreference.Sort.NAME:
        memberships.sort(key=lambda m: (m.chat.title.casefold(), m.chat_id))
    else:
        memberships.sort(key=lambda m: (_activity(m), m.chat_id), reverse=True)
    if preferences.unread_on_top:
        # A stable sort keeps the chosen order within the unread and the read ones.
        memberships.sort(key=lambda m: not (m.unread_count or m.mention_count))
    if preferences.group_by_type:
        groups = [
            SidebarGroup("channels", _("Channels")),
            SidebarGroup("direct", _("Direct messages")),
            SidebarGroup("teams", _("Teams")),
        ]
        by_key = {group.key: group for group in groups}
        for membership in memberships:
            chat = membership.chat
            key = "teams" if chat.team_id else "direct" if chat.is_direct else "channels"
            by_key[key].items.append(membership)
        groups = [group for group in groups if group.items]
    else:
        groups = [SidebarGroup("all", _("Chats"), memberships)] if memberships else []
    return {"preferences": preferences, "groups": groups}


# --- messages -----------------------------------------------------------------------------------


def with_details(messages: QuerySet[ChatMessage]) -> QuerySet[ChatMessage]:
    return messages.select_related("author", "pinned_by").prefetch_related(
        Prefetch(
            "reactions", queryset=Reaction.objects.select_related("user"), to_attr="reaction_list"
        ),
        "files",
    )


def summarise_reactions(messages: list[ChatMessage]) -> list[ChatMessage]:
    """Give each message `reaction_summary` (see `rooms.message_actions`)."""
    shared_summary(messages)
    return messages


def messages_of(chat: Chat, *, after_id: int | None = None) -> list[ChatMessage]:
    """The chat's latest messages outside threads, oldest first (or those after an id)."""
    messages = with_details(ChatMessage.objects.filter(chat=chat, thread_parent__isnull=True))
    if after_id:
        found = list(messages.filter(id__gt=after_id).order_by("id")[:MESSAGES_LIMIT])
    else:
        found = list(messages.order_by("-id")[:MESSAGES_LIMIT])
        found.reverse()
    return summarise_reactions(found)


def get_message_for(user: User, chat_id: int, message_id: int) -> ChatMessage:
    """A message of a chat the user may see; 404 otherwise."""
    chat = get_chat_for(user, chat_id)
    message = with_details(ChatMessage.objects.filter(chat=chat, pk=message_id)).first()
    if message is None:
        raise Http404
    message.chat = chat
    return summarise_reactions([message])[0]


def message_with_details(message_id: int) -> ChatMessage | None:
    found = with_details(ChatMessage.objects.filter(pk=message_id).select_related("chat")).first()
    return summarise_reactions([found])[0] if found else None


def thread_of(parent: ChatMessage) -> list[ChatMessage]:
    replies = with_details(ChatMessage.objects.filter(thread_parent=parent)).order_by("id")
    return summarise_reactions(list(replies[:500]))


def pinned_of(chat: Chat) -> list[ChatMessage]:
    pinned = with_details(
        ChatMessage.objects.filter(chat=chat, pinned_at__isnull=False, deleted_at__isnull=True)
    ).order_by("-pinned_at")
    return summarise_reactions(list(pinned[:100]))


def members_of(chat: Chat) -> list[Membership]:
    return list(
        Membership.objects.filter(chat=chat)
        .select_related("user")
        .order_by("-role", Lower("user__username"))
    )


def thread_participant_ids(parent: ChatMessage) -> set[int]:
    """Who follows a thread: the author of its first message and everyone who replied."""
    ids = set(
        ChatMessage.objects.filter(thread_parent=parent, author__isnull=False).values_list(
            "author_id", flat=True
        )
    )
    if parent.author_id:
        ids.add(parent.author_id)
    return ids


# --- people -------------------------------------------------------------------------------------


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True)


def users_by_username(names: list[str]) -> tuple[list[User], list[str]]:
    """The active users with these user names (any case), and the names nobody has."""
    wanted = {name.lower(): name for name in names}
    found = list(active_users().annotate(lower=Lower("username")).filter(lower__in=list(wanted)))
    known = {user.username.lower() for user in found}
    return found, [original for lower, original in wanted.items() if lower not in known]


def direct_chat_between(user_ids: list[int]) -> Chat | None:
    key = "-".join(str(pk) for pk in sorted(set(user_ids)))
    return Chat.objects.filter(kind=Chat.Kind.DIRECT, direct_key=key).first()


# --- Search and Directory -----------------------------------------------------------------------


def _clean_query(text: str) -> str:
    return " ".join((text or "").replace("\x00", " ").split())[:100]


@dataclass
class SearchResult:
    kind: str
    label: str
    url: str
    meta: str = ""
    icon: str = "#"


def search(user: User, text: str, *, limit: int = SEARCH_LIMIT) -> list[SearchResult]:
    """What the user may open whose name matches: chats, teams, people, direct messages."""
    query = _clean_query(text)
    if not query or not _usable(user):
        return []
    results: list[SearchResult] = []
    chats = (
        chats_visible_to(user)
        .exclude(kind=Chat.Kind.DIRECT)
        .filter(is_team_main=False, name__icontains=query)
        .order_by(Lower("name"))[:limit]
    )
    for chat in chats:
        results.append(
            SearchResult(
                chat.kind,
                chat.name,
                reverse("teamchat-chat", args=[chat.pk]),
                chat.get_kind_display() + (f" · {chat.team.name}" if chat.team else ""),
                "#" if chat.kind == Chat.Kind.CHANNEL else "\U0001f512",
            )
        )
    for team in (
        teams_visible_to(user).filter(name__icontains=query).order_by(Lower("name"))[:limit]
    ):
        results.append(
            SearchResult(
                "team",
                team.name,
                reverse("teamchat-team", args=[team.pk]),
                _("Team"),
                "\U0001f465",
            )
        )
    people = Q(username__icontains=query) | Q(first_name__icontains=query)
    people |= Q(last_name__icontains=query)
    direct = list(
        Chat.objects.filter(kind=Chat.Kind.DIRECT, pk__in=member_chat_ids(user))
        .filter(
            Exists(
                Membership.objects.filter(chat=OuterRef("pk"))
                .exclude(user=user)
                .filter(user__in=active_users().filter(people))
            )
        )
        .order_by("-last_message_at")[:limit]
    )
    direct_titles(direct, user)
    for chat in direct:
        results.append(
            SearchResult(
                "direct",
                chat.title,
                reverse("teamchat-chat", args=[chat.pk]),
                _("Direct message"),
                "@",
            )
        )
    for person in active_users().filter(people).order_by(Lower("username"))[:limit]:
        results.append(
            SearchResult(
                "user",
                person.display_name,
                reverse("teamchat-user", args=[person.username]),
                f"@{person.username}",
                "\U0001f464",
            )
        )
    return results


DIRECTORY_SORTS = {
    "name": (Lower("name").asc(), "id"),
    "-name": (Lower("name").desc(), "-id"),
    "members": ("-member_total", Lower("name").asc()),
    "activity": ("-last_message_at", Lower("name").asc()),
    "created": ("-created_at", "-id"),
}
USER_SORTS = {
    "name": (Lower("username").asc(),),
    "-name": (Lower("username").desc(),),
    "status": ("status", Lower("username").asc()),
    "created": ("-date_joined",),
}


def directory_channels(user: User, text: str = "", sort: str = "name") -> QuerySet[Chat]:
    """Channels and groups the user may see (never direct messages), with member counts."""
    chats = chats_visible_to(user).exclude(kind=Chat.Kind.DIRECT).filter(is_team_main=False)
    query = _clean_query(text)
    if query:
        chats = chats.filter(name__icontains=query)
    chats = chats.annotate(
        member_total=Count("memberships"),
        joined=Exists(Membership.objects.filter(chat=OuterRef("pk"), user=user)),
    )
    return chats.order_by(*DIRECTORY_SORTS.get(sort, DIRECTORY_SORTS["name"]))


def directory_teams(user: User, text: str = "", sort: str = "name") -> QuerySet[Team]:
    teams = teams_visible_to(user)
    query = _clean_query(text)
    if query:
        teams = teams.filter(name__icontains=query)
    main = Chat.objects.filter(team=OuterRef("pk"), is_team_main=True)
    teams = teams.annotate(
        member_total=Count("chats__memberships", filter=Q(chats__is_team_main=True), distinct=True),
        channel_total=Count("chats", filter=Q(chats__is_team_main=False), distinct=True),
        joined=Exists(
            Membership.objects.filter(chat__team=OuterRef("pk"), chat__is_team_main=True, user=user)
        ),
        last_message_at=main.values("last_message_at")[:1],
    )
    return teams.order_by(*DIRECTORY_SORTS.get(sort, DIRECTORY_SORTS["name"]))


def directory_users(text: str = "", sort: str = "name") -> QuerySet[User]:
    users = active_users()
    query = _clean_query(text)
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    return users.order_by(*USER_SORTS.get(sort, USER_SORTS["name"]))


def team_chats_for(user: User, team: Team) -> QuerySet[Chat]:
    """The team's chats this user may see, main chat first."""
    return (
        chats_visible_to(user)
        .filter(team=team)
        .annotate(
            member_total=Count("memberships"),
            joined=Exists(Membership.objects.filter(chat=OuterRef("pk"), user=user)),
        )
        .order_by("-is_team_main", Lower("name"))
    )
