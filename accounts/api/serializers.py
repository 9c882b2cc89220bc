"""What the API reads and writes of departments and agents."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import MANAGER_ROLE, Department, User
from omnichannel.api import InputSerializer

ROLES = (("agent", _("LiveChat Agent")), ("manager", _("LiveChat Manager")))


class DepartmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField()
    enabled = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class DepartmentSummaryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class CreateDepartmentInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class UpdateDepartmentInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)


def role_of(user: User) -> str:
    """From the prefetched groups: the highest role the user has."""
    return "manager" if any(g.name == MANAGER_ROLE for g in user.groups.all()) else "agent"


class AgentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")
    email = serializers.EmailField()
    role = serializers.SerializerMethodField()
    departments = DepartmentSummaryOutputSerializer(many=True, source="departments.all")
    queue_enabled = serializers.BooleanField()
    status = serializers.ChoiceField(choices=User.Status.choices)
    max_chats = serializers.IntegerField()
    is_active = serializers.BooleanField()

    @extend_schema_field(serializers.ChoiceField(choices=ROLES))
    def get_role(self, user: User) -> str:
        return role_of(user)


class CreateAgentInputSerializer(InputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    name = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    departments = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), many=True, required=False, default=list
    )
    role = serializers.ChoiceField(choices=ROLES, required=False, default="agent")
    max_chats = serializers.IntegerField(min_value=1, max_value=100, required=False)


class UpdateAgentInputSerializer(InputSerializer):
    """Managers may change every field; an agent only their own queue switch and status."""

    name = serializers.CharField(max_length=300, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=ROLES, required=False)
    departments = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), many=True, required=False
    )
    max_chats = serializers.IntegerField(min_value=1, max_value=100, required=False)
    queue_enabled = serializers.BooleanField(required=False)
    status = serializers.ChoiceField(choices=User.Status.choices, required=False)
