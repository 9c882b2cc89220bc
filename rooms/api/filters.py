import django_filters
from django.db.models import Exists, OuterRef

from directory.models import Channel
from omnichannel.api import IdFilter
from rooms.models import Room


class RoomFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Room.Status.choices)
    department = IdFilter(field_name="department_id")
    agent = IdFilter(field_name="agent_id")
    contact = IdFilter(field_name="contact_id")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    tag = django_filters.CharFilter(method="filter_tag", max_length=50)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    closed_after = django_filters.IsoDateTimeFilter(field_name="closed_at", lookup_expr="gte")
    closed_before = django_filters.IsoDateTimeFilter(field_name="closed_at", lookup_expr="lt")

    class Meta:
        model = Room
        fields = ["status", "channel"]

    def filter_tag(self, queryset, name, value):
        # EXISTS, not a join: a join would repeat a room once per matching tag.
        tagged = Room.tags.through.objects.filter(
            room_id=OuterRef("pk"), tag__name=" ".join(value.split()).lower()
        )
        return queryset.filter(Exists(tagged))
