"""What the API reads and writes of rooms, messages and tags."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import DepartmentSummaryOutputSerializer
from directory.api.serializers import ContactSummaryOutputSerializer
from directory.models import Channel
from omnichannel.api import InputSerializer
from rooms.models import Attachment, Message, Room

PRIORITY_NAMES = [priority.name.lower() for priority in Room.Priority]


class AgentSummaryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class RoomMetricsOutputSerializer(serializers.Serializer):
    """Times in seconds; null until the thing measured has happened."""

    queue_seconds = serializers.SerializerMethodField()
    taken_at = serializers.DateTimeField(allow_null=True)
    first_response_at = serializers.DateTimeField(allow_null=True)
    first_response_seconds = serializers.SerializerMethodField()
    average_response_seconds = serializers.SerializerMethodField()
    response_count = serializers.IntegerField()

    @extend_schema_field(serializers.FloatField())
    def get_queue_seconds(self, room: Room) -> float:
        return round(room.queue_time.total_seconds(), 3)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_first_response_seconds(self, room: Room) -> float | None:
        value = room.first_response_time
        return None if value is None else round(value.total_seconds(), 3)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_average_response_seconds(self, room: Room) -> float | None:
        value = room.average_response_time
        return None if value is None else round(value.total_seconds(), 3)


class RoomOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Room.Status.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    source = serializers.CharField()
    department = DepartmentSummaryOutputSerializer()
    agent = AgentSummaryOutputSerializer(allow_null=True)
    contact = ContactSummaryOutputSerializer()
    tags = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    queued_at = serializers.DateTimeField()
    taken_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    closed_by = serializers.IntegerField(source="closed_by_id", allow_null=True)
    closing_comment = serializers.CharField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    priority = serializers.ChoiceField(
        source="priority_name",
        choices=PRIORITY_NAMES,
        help_text="Served first: urgent, then high, normal, low.",
    )
    first_response_due_at = serializers.DateTimeField(
        allow_null=True, help_text="When the first answer is due (the SLA); null without one."
    )
    service_level = serializers.ChoiceField(
        choices=[("", "-"), ("near", "near"), ("past", "past")],
        help_text="Unanswered and near or past the first-response due time; empty otherwise.",
    )
    on_hold = serializers.BooleanField()
    metrics = RoomMetricsOutputSerializer(source="*")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, room: Room) -> list[str]:
        return [tag.name for tag in room.tags.all()]


class AttachmentOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, attachment: Attachment) -> str:
        return reverse("room-attachment", args=[attachment.message.room_id, attachment.token])


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    room = serializers.IntegerField(source="room_id")
    kind = serializers.ChoiceField(choices=Message.Kind.choices)
    author = AgentSummaryOutputSerializer(allow_null=True)
    text = serializers.CharField()
    html = serializers.CharField()
    system_code = serializers.CharField()
    system_data = serializers.DictField()
    delivery_status = serializers.ChoiceField(
        choices=[("", "-"), *Message.Delivery.choices],
        help_text="Agent messages only: how far the channel carried it.",
    )
    delivery_error = serializers.CharField()
    attachments = AttachmentOutputSerializer(many=True, source="attachments.all")
    created_at = serializers.DateTimeField()


class PostMessageInputSerializer(InputSerializer):
    """The composer's rules: text only (agents cannot send files)."""

    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=100_000)


class CloseRoomInputSerializer(InputSerializer):
    comment = serializers.CharField(allow_blank=True, max_length=100_000)
    tags = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=200),
        required=False,
        default=list,
        max_length=50,
    )


class TagOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
