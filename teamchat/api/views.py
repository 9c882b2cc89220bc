"""Team chat over the API: the chats and teams the caller may see, joining, leaving, inviting,
messages and read state. Reads go through `teamchat.selectors` (a private chat is a 404 to
anyone outside it), writes through `teamchat.services`."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, pagination, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from omnichannel.api import validated
from teamchat import selectors, services
from teamchat.api.filters import ChatFilter
from teamchat.api.serializers import (
    ChatMessageOutputSerializer,
    ChatOutputSerializer,
    CreateChatInputSerializer,
    CreateDirectInputSerializer,
    CreateTeamInputSerializer,
    InviteInputSerializer,
    PostChatMessageInputSerializer,
    TeamOutputSerializer,
)
from teamchat.errors import InvalidMembers, NotMember
from teamchat.models import Chat, ChatMessage, Membership, Team


def _users(names: list[str]) -> list[User]:
    """The active users with these user names; a 400 naming the unknown ones."""
    found, unknown = selectors.users_by_username(names)
    if unknown:
        raise InvalidMembers(_("Nobody is called %(names)s.") % {"names": ", ".join(unknown)})
    return found


def chats_for(user: User):
    """The chats the user may see, with their member count and the user's own counts."""
    mine = Membership.objects.filter(chat=OuterRef("pk"), user=user)
    return (
        selectors.chats_visible_to(user)
        .annotate(
            member_total=Count("memberships", distinct=True),
            joined=Exists(mine),
            unread_total=Coalesce(
                Subquery(mine.values("unread_count")[:1]), Value(0), output_field=IntegerField()
            ),
            mention_total=Coalesce(
                Subquery(mine.values("mention_count")[:1]), Value(0), output_field=IntegerField()
            ),
        )
        .select_related("team")
    )


@extend_schema(tags=["team chat"])
class ChatViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Channels, private groups, direct messages and team chats the caller may see: their own,
    and the public channels they may join. Anyone else's private chat is a 404."""

    serializer_class = ChatOutputSerializer
    filterset_class = ChatFilter
    ordering_fields = ["name", "created_at", "last_message_at", "id"]
    ordering = ["name", "id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator's own call
            return Chat.objects.none()
        return chats_for(self.request.user)

    def get_object(self) -> Chat:
        chat = self.get_queryset().filter(pk=int(self.kwargs["pk"])).first()
        if chat is None:
            raise exceptions.NotFound()
        selectors.direct_titles([chat], self.request.user)
        return chat

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        selectors.direct_titles(page, request.user)
        return self.get_paginated_response(ChatOutputSerializer(page, many=True).data)

    def render(self, chat: Chat, code: int = status.HTTP_200_OK) -> Response:
        self.kwargs["pk"] = chat.pk
        return Response(ChatOutputSerializer(self.get_object()).data, status=code)

    @extend_schema(request=CreateChatInputSerializer, responses={201: ChatOutputSerializer})
    def create(self, request):
        """Create a public channel, or a private group with `private`; the caller owns it."""
        data = validated(CreateChatInputSerializer, request.data)
        team = None
        if data.get("team") is not None:
            team = selectors.teams_visible_to(request.user).filter(pk=data["team"]).first()
            if team is None:
                raise exceptions.ValidationError(
                    {"team": [_("No such team, or not one you may see.")]}, code="invalid_team"
                )
        chat = services.create_chat(
            request.user,
            name=data["name"],
            private=data["private"],
            members=_users(data["members"]),
            team=team,
        )
        return self.render(chat, status.HTTP_201_CREATED)

    @extend_schema(request=CreateDirectInputSerializer, responses={200: ChatOutputSerializer})
    @action(detail=False, methods=["post"])
    def direct(self, request):
        """The direct conversation with these people (and the caller), opened on first use."""
        data = validated(CreateDirectInputSerializer, request.data)
        chat = services.open_direct(request.user, users=_users(data["members"]))
        return self.render(chat)

    @extend_schema(request=None, responses=ChatOutputSerializer)
    @action(detail=True, methods=["post"])
    def join(self, request, pk=None):
        """Join a public channel (a team's main chat: join the team)."""
        chat = self.get_object()
        services.join_chat(request.user, chat)
        return self.render(chat)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        """Leave the chat (a team's main chat: the whole team)."""
        services.leave_chat(request.user, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=InviteInputSerializer, responses=ChatOutputSerializer)
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Add people: any member of a public channel may; only owners of a private one."""
        chat = self.get_object()
        data = validated(InviteInputSerializer, request.data)
        services.add_members(request.user, chat, users=_users(data["members"]))
        return self.render(chat)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """The caller has read the chat: their unread and mention counts go to zero."""
        chat = self.get_object()
        if not selectors.is_member(request.user, chat):
            raise NotMember()
        services.mark_read(request.user, chat)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatMessagePagination(pagination.CursorPagination):
    """Newest first; `next` goes further back in the history."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"


THREAD_PARAMETER = OpenApiParameter(
    "thread",
    int,
    OpenApiParameter.QUERY,
    required=False,
    description="The replies of this thread instead of the chat's own messages.",
)


@extend_schema(
    tags=["team chat"],
    parameters=[OpenApiParameter("chat_id", int, OpenApiParameter.PATH)],
)
class ChatMessageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A chat's messages (outside threads, or one thread's replies), and writing in it."""

    serializer_class = ChatMessageOutputSerializer
    pagination_class = ChatMessagePagination
    filter_backends: list = []

    def get_chat(self) -> Chat:
        chat = selectors.chats_visible_to(self.request.user)
        chat = chat.filter(pk=int(self.kwargs["chat_id"])).first()
        if chat is None:
            raise exceptions.NotFound()
        return chat

    def _thread(self) -> int | None:
        raw = self.request.query_params.get("thread")
        if raw in (None, ""):
            return None
        if not raw.isdigit() or not 0 < int(raw) < 2**63:
            raise exceptions.ValidationError(
                {"thread": [_("'thread' must be a message id.")]}, code="invalid"
            )
        return int(raw)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChatMessage.objects.none()
        thread = self._thread()
        messages = ChatMessage.objects.filter(chat=self.get_chat())
        if thread is None:
            messages = messages.filter(thread_parent__isnull=True)
        else:
            messages = messages.filter(thread_parent_id=thread)
        return selectors.with_details(messages)

    @extend_schema(parameters=[THREAD_PARAMETER])
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        selectors.summarise_reactions(page)
        return self.get_paginated_response(ChatMessageOutputSerializer(page, many=True).data)

    @extend_schema(
        request=PostChatMessageInputSerializer, responses={201: ChatMessageOutputSerializer}
    )
    def create(self, request, chat_id=None):
        """Write in the chat (a member only); with `thread`, reply in that thread."""
        chat = self.get_chat()
        data = validated(PostChatMessageInputSerializer, request.data)
        message = services.post_message(
            request.user, chat, text=data["text"], thread=data.get("thread")
        )
        fresh = selectors.message_with_details(message.pk)
        return Response(ChatMessageOutputSerializer(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["team chat"])
class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Teams the caller may see: the public ones and their own."""

    serializer_class = TeamOutputSerializer
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["name", "id"]
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Team.objects.none()
        main = Chat.objects.filter(team=OuterRef("pk"), is_team_main=True).values("pk")[:1]
        teams = selectors.directory_teams(self.request.user)
        return teams.annotate(main_chat_id=Subquery(main)).order_by("name", "id")

    def get_object(self):
        team = self.get_queryset().filter(pk=int(self.kwargs["pk"])).first()
        if team is None:
            raise exceptions.NotFound()
        return team

    def render(self, team_id: int, code: int = status.HTTP_200_OK) -> Response:
        self.kwargs["pk"] = team_id
        return Response(TeamOutputSerializer(self.get_object()).data, status=code)

    @extend_schema(request=CreateTeamInputSerializer, responses={201: TeamOutputSerializer})
    def create(self, request):
        """Create a team (and its main chat); the caller owns it."""
        data = validated(CreateTeamInputSerializer, request.data)
        team = services.create_team(
            request.user,
            name=data["name"],
            private=data["private"],
            members=_users(data["members"]),
        )
        return self.render(team.pk, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TeamOutputSerializer)
    @action(detail=True, methods=["post"])
    def join(self, request, pk=None):
        """Join a public team."""
        team = self.get_object()
        services.join_team(request.user, team)
        return self.render(team.pk)
