"""What the API reads and writes of the queue's own things: priorities, SLA policies,
transfers."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from omnichannel.api import InputSerializer
from rooms.api.serializers import PRIORITY_NAMES


class UpdateRoomInputSerializer(InputSerializer):
    """Change what decides a room's place in the queue; send only what changes."""

    priority = serializers.ChoiceField(choices=PRIORITY_NAMES, required=False)
    sla_policy = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="An SLA policy's id (the due time counts from the chat's arrival); null: none.",
    )


class TransferRoomInputSerializer(InputSerializer):
    """To an eligible agent of the room's department, or to another department: one of them."""

    agent = serializers.IntegerField(required=False, min_value=1)
    department = serializers.IntegerField(required=False, min_value=1)
    comment = serializers.CharField(allow_blank=True, max_length=100_000)

    def validate(self, data: dict) -> dict:
        if ("agent" in data) == ("department" in data):
            raise serializers.ValidationError(
                _("Name either an agent or a department to transfer the room to."),
                code="agent_or_department",
            )
        return data


class SlaPolicyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    first_response_minutes = serializers.IntegerField()
    warning_minutes = serializers.IntegerField()
