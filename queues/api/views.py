"""The queue over the API: the rooms the caller may take; taking, returning, transferring,
holding and resuming a room; its priority and SLA."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action

from accounts.models import Department, User
from omnichannel.api import validated
from queues import services
from queues.api.serializers import (
    SlaPolicyOutputSerializer,
    TransferRoomInputSerializer,
    UpdateRoomInputSerializer,
)
from queues.errors import InvalidSla, NotEligible
from queues.models import SlaPolicy
from queues.selectors import queued_rooms_for
from rooms.api.serializers import RoomOutputSerializer
from rooms.api.views import RoomViewSet, with_tags


@extend_schema(tags=["rooms"])
class QueueRoomViewSet(RoomViewSet):
    """Rooms, with the queue's actions: take, return to the queue, transfer, hold, resume;
    and their priority and SLA."""

    @extend_schema(request=UpdateRoomInputSerializer, responses=RoomOutputSerializer)
    def partial_update(self, request, pk=None):
        """Set the room's priority and/or SLA policy (the serving agent, a manager of its
        department, or while it waits an agent of it)."""
        room = self.get_object()
        data = validated(UpdateRoomInputSerializer, request.data)
        changes: dict = {}
        if "priority" in data:
            changes["priority"] = data["priority"]
        if "sla_policy" in data:
            policy_id = data["sla_policy"]
            policy = SlaPolicy.objects.filter(pk=policy_id).first() if policy_id else None
            if policy_id and policy is None:
                raise InvalidSla(_("There is no SLA policy %(id)s.") % {"id": policy_id})
            changes["sla_policy"] = policy
        room = services.set_service_level(request.user, room, **changes)
        return self.render(room)

    @extend_schema(request=None, responses=RoomOutputSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        """Take a queued room: 409 `room_already_taken` when another agent took it first, 400
        `max_chats_reached` while the caller serves their maximum of simultaneous chats (chats
        on hold left out; a maximum of 0 takes none)."""
        room = services.take_room(request.user, self.get_object())
        return self.render(room)

    @extend_schema(request=None, responses=RoomOutputSerializer)
    @action(detail=True, methods=["post"], url_path="return-to-queue")
    def return_to_queue(self, request, pk=None):
        """Put the room back in its department's queue."""
        room = services.return_to_queue(request.user, self.get_object())
        return self.render(room)

    @extend_schema(request=TransferRoomInputSerializer, responses=RoomOutputSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """Give the room to an eligible agent of its department or send it to another
        department's queue, with a comment (the serving agent, or a manager)."""
        room = self.get_object()
        data = validated(TransferRoomInputSerializer, request.data)
        seen = {"expected_status": room.status, "expected_agent_id": room.agent_id}
        if "agent" in data:
            agent = User.objects.filter(pk=data["agent"]).first()
            if agent is None:
                raise NotEligible(_("There is no agent %(id)s.") % {"id": data["agent"]})
            room = services.transfer_to_agent(
                request.user, room, agent, comment=data["comment"], **seen
            )
        else:
            department = Department.objects.filter(pk=data["department"]).first()
            if department is None:
                raise NotEligible(_("There is no department %(id)s.") % {"id": data["department"]})
            room = services.transfer_room(
                request.user, room, department, comment=data["comment"], **seen
            )
        return self.render(room)

    @extend_schema(request=None, responses=RoomOutputSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        """Put the serving agent's room on hold: out of their active count until resumed or
        the contact writes."""
        room = services.put_on_hold(request.user, self.get_object())
        return self.render(room)

    @extend_schema(request=None, responses=RoomOutputSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Take the serving agent's room off hold (400 `max_chats_reached` at their maximum of
        simultaneous chats)."""
        room = services.resume_room(request.user, self.get_object())
        return self.render(room)


@extend_schema(tags=["queue"])
class QueueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The queued rooms the caller may take, in serving order: priority, due time, wait."""

    serializer_class = RoomOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return with_tags(queued_rooms_for(self.request.user).select_related("agent"))


@extend_schema(tags=["queue"])
class SlaPolicyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The SLA policies a room's `sla_policy` may name."""

    serializer_class = SlaPolicyOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return SlaPolicy.objects.order_by("first_response_minutes", "name")
