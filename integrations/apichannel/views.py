"""`POST /api/v1/inbound/<channel key>/messages/`: an external system's user wrote.

The request is signed like our outbound webhooks (HMAC-SHA256 with the channel's secret over
``<timestamp>.<raw body>``); the signature is checked before the body is read as JSON.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status, throttling
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.apichannel import selectors, services
from integrations.webhooks import transport
from omnichannel.api import InputSerializer, PayloadTooLarge, RuntimeRate, max_body_bytes, validated


class InboundMessageInputSerializer(InputSerializer):
    contact_id = serializers.CharField(
        max_length=200, help_text=_("Your id of the person who wrote (stable per person).")
    )
    contact_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    message_id = serializers.CharField(
        max_length=200, help_text=_("Your id of this message: a repeat is refused with 409.")
    )
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=100_000)
    sent_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    meta = serializers.DictField(required=False, default=dict)


class InboundMessageOutputSerializer(serializers.Serializer):
    message = serializers.IntegerField(source="pk")
    room = serializers.IntegerField(source="room_id")
    contact = serializers.IntegerField(source="room.contact_id")


class InvalidSignature(exceptions.AuthenticationFailed):
    default_detail = _(
        "Missing or wrong signature: sign '<timestamp>.<body>' with the channel's secret "
        "(HMAC-SHA256) and send X-Omnichannel-Timestamp and X-Omnichannel-Signature."
    )
    default_code = "invalid_signature"


class ChannelRateThrottle(RuntimeRate, throttling.SimpleRateThrottle):
    """Per API channel: its requests per minute."""

    scope = "inbound"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": view.kwargs.get("key", "")}


class InboundMessageView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ChannelRateThrottle]

    def get_authenticate_header(self, request) -> str:
        return 'HMAC-SHA256 realm="api-channel"'

    @extend_schema(
        tags=["inbound"],
        operation_id="inbound_message_create",
        auth=[],
        parameters=[
            OpenApiParameter(
                transport.TIMESTAMP_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Unix time in seconds; at most 5 minutes from ours.",
            ),
            OpenApiParameter(
                transport.SIGNATURE_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="sha256=<hex HMAC-SHA256 of '<timestamp>.<raw body>'>.",
            ),
        ],
        request=InboundMessageInputSerializer,
        responses={201: InboundMessageOutputSerializer},
    )
    def post(self, request, key: str):
        """A contact's message from an external system: opens or joins their room."""
        channel = selectors.channel_for_key(key)
        if channel is None or not channel.enabled:
            raise exceptions.NotFound()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_body_bytes():
            raise PayloadTooLarge()
        body = request.body
        if not transport.signature_is_valid(
            channel.secret,
            request.headers.get(transport.TIMESTAMP_HEADER, ""),
            request.headers.get(transport.SIGNATURE_HEADER, ""),
            body,
        ):
            raise InvalidSignature()
        data = validated(InboundMessageInputSerializer, request.data)
        message = services.receive_inbound_message(
            channel,
            contact_id=data["contact_id"],
            contact_name=data["contact_name"],
            message_id=data["message_id"],
            text=data["text"],
            sent_at=data["sent_at"],
            meta=data["meta"],
        )
        output = InboundMessageOutputSerializer(message).data
        return Response(output, status=status.HTTP_201_CREATED)
