"""The queue over the API: the rooms the caller may take, and taking or returning a room."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action

from queues import services
from queues.selectors import queued_rooms_for
from rooms.api.serializers import RoomOutputSerializer
from rooms.api.views import RoomViewSet, with_tags


@extend_schema(tags=["rooms"])
class QueueRoomViewSet(RoomViewSet):
    """Rooms, with the queue's actions: take and return to the queue."""

    @extend_schema(request=None, responses=RoomOutputSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        """Take a queued room (409 when another agent took it first)."""
        room = services.take_room(request.user, self.get_object())
        return self.render(room)

    @extend_schema(request=None, responses=RoomOutputSerializer)
    @action(detail=True, methods=["post"], url_path="return-to-queue")
    def return_to_queue(self, request, pk=None):
        """Put the room back in its department's queue."""
        room = services.return_to_queue(request.user, self.get_object())
        return self.render(room)


@extend_schema(tags=["queue"])
class QueueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The queued rooms the caller may take, oldest first."""

    serializer_class = RoomOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return with_tags(queued_rooms_for(self.request.user).select_related("agent"))
