"""`/api/v1/calls/`: call records pushed by external telephony systems, and read back.

Reporting (POST) is for LiveChat Managers and for accounts given the "Can add call" permission
(a telephony system's service account with a token). Reading follows directory.selectors:
managers see every call; agents the calls of contacts they may see, the calls they took, and
the calls reported for their departments.
"""

import django_filters
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from accounts.models import Department, User
from directory import services
from directory.models import Call, Channel
from directory.selectors import calls_visible_to
from omnichannel.api import IdFilter, InputSerializer, IsAgentOrManager, validated


class CallPermission(permissions.BasePermission):
    """Reading: agents and managers. Reporting: managers and holders of directory.add_call."""

    message = _("Only LiveChat Managers and telephony accounts can report calls.")

    def has_permission(self, request, view) -> bool:
        if request.method == "POST":
            return services.may_record_calls(request.user)
        return IsAgentOrManager().has_permission(request, view)


class CallFilter(django_filters.FilterSet):
    contact = IdFilter(field_name="contact_id")
    direction = django_filters.ChoiceFilter(choices=Call.Direction.choices)
    outcome = django_filters.ChoiceFilter(choices=Call.Outcome.choices)
    agent = IdFilter(field_name="agent_id")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    external_id = django_filters.CharFilter(max_length=255)

    class Meta:
        model = Call
        fields: list[str] = []


class CallContactOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    phone = serializers.CharField()


class CallAgentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class CallDepartmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class CallOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    contact = CallContactOutputSerializer()
    direction = serializers.ChoiceField(choices=Call.Direction.choices)
    outcome = serializers.ChoiceField(choices=Call.Outcome.choices)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.IntegerField()
    agent = CallAgentOutputSerializer(allow_null=True)
    department = CallDepartmentOutputSerializer(allow_null=True)
    recording_url = serializers.CharField()
    external_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class RecordCallInputSerializer(InputSerializer):
    """Who was called (one of: contact_id, contact_phone, contact_channel + contact_external_id)
    and what happened."""

    external_id = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text=_("The telephony system's id of the call; a repeated push is stored once."),
    )
    contact_id = serializers.IntegerField(required=False, min_value=1)
    contact_phone = serializers.CharField(
        max_length=40,
        required=False,
        help_text=_("Finds the contact with this number, or adds one."),
    )
    contact_channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    contact_external_id = serializers.CharField(max_length=255, required=False)
    contact_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The name for a contact the call adds."),
    )
    direction = serializers.ChoiceField(choices=Call.Direction.choices)
    outcome = serializers.ChoiceField(choices=Call.Outcome.choices)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    duration_seconds = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=7 * 24 * 3600,
        help_text=_("Seconds of the call; computed from start and end when left out."),
    )
    agent = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The username of the agent who took or made the call."),
    )
    department = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    recording_url = serializers.URLField(
        max_length=500, required=False, allow_blank=True, default=""
    )

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        ways = [
            "contact_id" in attrs,
            bool(attrs.get("contact_phone")),
            "contact_channel" in attrs or "contact_external_id" in attrs,
        ]
        if sum(ways) != 1:
            raise serializers.ValidationError(
                {
                    "contact_id": [
                        _(
                            "Identify the contact one way: contact_id, contact_phone, or "
                            "contact_channel with contact_external_id."
                        )
                    ]
                },
                code="contact_required",
            )
        return attrs


@extend_schema(tags=["calls"])
class CallViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CallOutputSerializer
    permission_classes = [CallPermission]
    filterset_class = CallFilter
    ordering_fields = ["started_at", "duration_seconds", "id"]
    ordering = ["-started_at", "-id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return calls_visible_to(self.request.user)

    @extend_schema(
        request=RecordCallInputSerializer,
        responses={201: CallOutputSerializer, 200: CallOutputSerializer},
        description=_(
            "Report a call. 201 when stored, 200 when this external_id was reported before "
            "(the first record is returned unchanged)."
        ),
    )
    def create(self, request, *args, **kwargs):
        data = validated(RecordCallInputSerializer, request.data)
        # One transaction: a call refused by the service adds no contact either.
        with transaction.atomic():
            contact = services.contact_for_call(
                contact_id=data.get("contact_id"),
                phone=data.get("contact_phone", ""),
                channel=data.get("contact_channel", ""),
                external_id=data.get("contact_external_id", ""),
                name=data["contact_name"],
            )
            call, created = services.record_call(
                request.user,
                contact,
                direction=data["direction"],
                outcome=data["outcome"],
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                duration_seconds=data["duration_seconds"],
                agent=data["agent"],
                department=data["department"],
                recording_url=data["recording_url"],
                external_id=data.get("external_id") or None,
            )
        return Response(
            CallOutputSerializer(call).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


router = SimpleRouter()
router.register("calls", CallViewSet, basename="call")
urlpatterns = router.urls
