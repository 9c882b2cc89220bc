import django_filters

from accounts.api.serializers import ROLES
from accounts.models import AGENT_ROLE, MANAGER_ROLE, Department, User
from omnichannel.api import IdFilter


class DepartmentFilter(django_filters.FilterSet):
    enabled = django_filters.BooleanFilter()
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100)

    class Meta:
        model = Department
        fields = ["enabled"]


class AgentFilter(django_filters.FilterSet):
    department = IdFilter(field_name="memberships__department_id")
    status = django_filters.ChoiceFilter(choices=User.Status.choices)
    queue_enabled = django_filters.BooleanFilter()
    is_active = django_filters.BooleanFilter()
    role = django_filters.ChoiceFilter(choices=ROLES, method="filter_role")
    search = django_filters.CharFilter(method="filter_search", max_length=100)

    class Meta:
        model = User
        fields = ["status", "queue_enabled", "is_active"]

    def filter_role(self, queryset, name, value):
        if value == "manager":
            return queryset.filter(groups__name=MANAGER_ROLE)
        return queryset.filter(groups__name=AGENT_ROLE).exclude(groups__name=MANAGER_ROLE)

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        text = value.replace("\x00", "").strip()
        return queryset.filter(
            Q(username__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(email__icontains=text)
        )
