"""Departments and agents over the API: everyone with access reads, managers write."""

from django.db.models import Exists, OuterRef
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from accounts import services
from accounts.api.filters import AgentFilter, DepartmentFilter
from accounts.api.serializers import (
    AgentOutputSerializer,
    CreateAgentInputSerializer,
    CreateDepartmentInputSerializer,
    DepartmentOutputSerializer,
    UpdateAgentInputSerializer,
    UpdateDepartmentInputSerializer,
)
from accounts.models import AGENT_ROLE, MANAGER_ROLE, Department, User
from omnichannel.api import IsAgentOrManager, ManagerWrites, validated


@extend_schema(tags=["departments"])
class DepartmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAgentOrManager, ManagerWrites]
    serializer_class = DepartmentOutputSerializer
    filterset_class = DepartmentFilter
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["name"]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Department.objects.order_by("name")

    @extend_schema(request=CreateDepartmentInputSerializer, responses=DepartmentOutputSerializer)
    def create(self, request, *args, **kwargs):
        data = validated(CreateDepartmentInputSerializer, request.data)
        department = services.add_department(request.user, **data)
        return Response(DepartmentOutputSerializer(department).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UpdateDepartmentInputSerializer, responses=DepartmentOutputSerializer)
    def partial_update(self, request, *args, **kwargs):
        department = self.get_object()
        data = validated(UpdateDepartmentInputSerializer, request.data)
        department = services.update_department(request.user, department, **data)
        return Response(DepartmentOutputSerializer(department).data)


def _agents():
    roles = User.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name__in=[AGENT_ROLE, MANAGER_ROLE]
    )
    return (
        User.objects.filter(Exists(roles))
        .prefetch_related("groups", "departments")
        .order_by("username")
    )


@extend_schema(tags=["agents"])
class AgentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Agents: managers create them and change anything; an agent switches their own queue
    and status."""

    serializer_class = AgentOutputSerializer
    filterset_class = AgentFilter
    ordering_fields = ["username", "status", "id"]
    ordering = ["username"]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return _agents()

    def get_permissions(self):
        if self.action == "create":
            return [IsAgentOrManager(), ManagerWrites()]
        return [IsAgentOrManager()]

    @extend_schema(request=CreateAgentInputSerializer, responses=AgentOutputSerializer)
    def create(self, request, *args, **kwargs):
        data = validated(CreateAgentInputSerializer, request.data)
        agent = services.create_agent(
            request.user,
            username=data["username"],
            password=data["password"],
            name=data["name"],
            email=data["email"],
            departments=data["departments"],
            manager=data["role"] == "manager",
            max_chats=data.get("max_chats"),
        )
        return Response(self._render(agent), status=status.HTTP_201_CREATED)

    @extend_schema(request=UpdateAgentInputSerializer, responses=AgentOutputSerializer)
    def partial_update(self, request, *args, **kwargs):
        agent = self.get_object()
        data = validated(UpdateAgentInputSerializer, request.data)
        if "role" in data:
            data["manager"] = data.pop("role") == "manager"
        agent = services.update_agent(request.user, agent, **data)
        return Response(self._render(agent))

    def _render(self, agent: User) -> dict:
        return AgentOutputSerializer(_agents().get(pk=agent.pk)).data
