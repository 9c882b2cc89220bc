"""Rooms and their messages over the API. Taking and returning a room are queue actions,
added by `queues.api` (rooms cannot import queues)."""

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, pagination, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from omnichannel.api import BoundedJSONParser, validated
from rooms import services
from rooms.api.filters import RoomFilter
from rooms.api.serializers import (
    CloseRoomInputSerializer,
    MessageOutputSerializer,
    PostMessageInputSerializer,
    RoomOutputSerializer,
    TagOutputSerializer,
)
from rooms.models import Message, Room, Tag
from rooms.selectors import get_room_for, rooms_visible_to

ROOM_ORDERING = ["created_at", "queued_at", "taken_at", "closed_at", "last_message_at", "id"]


def with_tags(rooms):
    return rooms.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))


@extend_schema(tags=["rooms"])
class RoomViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The rooms the caller may see: a manager every room, an agent those of their
    departments and the ones they serve."""

    serializer_class = RoomOutputSerializer
    filterset_class = RoomFilter
    ordering_fields = ROOM_ORDERING
    ordering = ["-created_at", "-id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return with_tags(rooms_visible_to(self.request.user))

    def get_object(self) -> Room:
        return get_room_for(self.request.user, int(self.kwargs["pk"]))

    def render(self, room: Room) -> Response:
        fresh = with_tags(Room.objects.select_related("contact", "department", "agent"))
        return Response(RoomOutputSerializer(fresh.get(pk=room.pk)).data)

    @extend_schema(request=CloseRoomInputSerializer, responses=RoomOutputSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the room with a comment (required) and tags (optional)."""
        room = self.get_object()
        data = validated(CloseRoomInputSerializer, request.data)
        room = services.close_room(request.user, room, comment=data["comment"], tags=data["tags"])
        return self.render(room)


class MessagePagination(pagination.CursorPagination):
    """Newest first; `next` goes further back in the history."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"


class MultiPartParser(parsers.MultiPartParser):
    """Accepted only so that a file upload gets the composer's own refusal, not a 415."""


@extend_schema(
    tags=["rooms"],
    parameters=[OpenApiParameter("room_id", int, OpenApiParameter.PATH)],
)
class RoomMessageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A room's history, and the serving agent's replies."""

    serializer_class = MessageOutputSerializer
    pagination_class = MessagePagination
    filter_backends: list = []
    lookup_value_regex = "[0-9]+"

    parser_classes = [BoundedJSONParser, MultiPartParser]

    def get_room(self) -> Room:
        return get_room_for(self.request.user, int(self.kwargs["room_id"]))

    def get_queryset(self):
        return (
            # Thread replies are the agents' internal notes, kept out of the history.
            Message.objects.filter(room=self.get_room(), thread_parent__isnull=True)
            .select_related("author")
            .prefetch_related("attachments")
        )

    @extend_schema(request=PostMessageInputSerializer, responses=MessageOutputSerializer)
    def create(self, request, room_id=None):
        """Post the serving agent's reply (text only: agents cannot send files)."""
        room = self.get_room()
        files = list(request.FILES.values())
        if files:
            # The composer's rule, stated by the service: agents cannot send files.
            services.post_agent_message(request.user, room, text="", files=files)
        data = validated(PostMessageInputSerializer, request.data)
        message = services.post_agent_message(request.user, room, text=data["text"])
        return Response(self._render(message), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=MessageOutputSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, room_id=None, pk=None):
        """Send a failed agent message again."""
        message = self.get_queryset().filter(pk=pk).first()
        if message is None:
            raise Http404
        message = services.retry_message(request.user, message)
        return Response(self._render(message))

    def _render(self, message: Message) -> dict:
        fresh = self.get_queryset().get(pk=message.pk)
        return MessageOutputSerializer(fresh).data


@extend_schema(tags=["tags"])
class TagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TagOutputSerializer
    ordering_fields = ["name", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return Tag.objects.order_by("name")
