import django_filters

from teamchat.models import Chat


class ChatFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Chat.Kind.choices)
    member = django_filters.BooleanFilter(
        field_name="joined", help_text="Only the chats the caller is (or is not) a member of."
    )
    team = django_filters.NumberFilter(field_name="team_id", min_value=1, max_value=2**63 - 1)
    archived = django_filters.BooleanFilter(
        field_name="archived_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Chat
        fields = ["kind"]
