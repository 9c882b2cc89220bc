import django_filters
from django.db.models import Exists, OuterRef

from directory.models import Channel, Contact, ContactIdentity


class ContactFilter(django_filters.FilterSet):
    # Applied by the selector (name, e-mail, phone or a channel identity contains the text);
    # declared here so that it is validated and documented like every other filter.
    search = django_filters.CharFilter(method="searched_by_selector", max_length=200)
    channel = django_filters.ChoiceFilter(choices=Channel.choices, method="filter_channel")
    external_id = django_filters.CharFilter(method="filter_external_id", max_length=255)
    email = django_filters.CharFilter(lookup_expr="iexact", max_length=254)
    phone = django_filters.CharFilter(max_length=40)

    class Meta:
        model = Contact
        fields = ["email", "phone"]

    def searched_by_selector(self, queryset, name, value):
        return queryset

    def filter_channel(self, queryset, name, value):
        known = ContactIdentity.objects.filter(contact_id=OuterRef("pk"), channel=value)
        return queryset.filter(Exists(known))

    def filter_external_id(self, queryset, name, value):
        known = ContactIdentity.objects.filter(contact_id=OuterRef("pk"), external_id=value)
        return queryset.filter(Exists(known))
