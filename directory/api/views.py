"""Contacts over the API: search, read, create, update; an agent sees the contacts of the
rooms they may see, a manager every contact."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from directory import services
from directory.api.filters import ContactFilter
from directory.api.serializers import (
    ContactOutputSerializer,
    CreateContactInputSerializer,
    UpdateContactInputSerializer,
)
from directory.models import Contact
from directory.selectors import clean_search_text, contacts_visible_to, search_contacts
from omnichannel.api import validated


def _with_details(contacts):
    return contacts.prefetch_related("identities", "field_values__field")


@extend_schema(tags=["contacts"])
class ContactViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ContactOutputSerializer
    filterset_class = ContactFilter
    ordering_fields = ["name", "email", "created_at", "updated_at", "id"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        text = clean_search_text(self.request.query_params.get("search", ""))
        if self.action == "list" and text:
            return _with_details(search_contacts(self.request.user, text=text))
        return _with_details(contacts_visible_to(self.request.user))

    @extend_schema(request=CreateContactInputSerializer, responses=ContactOutputSerializer)
    def create(self, request, *args, **kwargs):
        data = validated(CreateContactInputSerializer, request.data)
        contact = services.create_contact(
            request.user,
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            identities=[(item["channel"], item["external_id"]) for item in data["identities"]],
        )
        return Response(self._render(contact), status=status.HTTP_201_CREATED)

    @extend_schema(request=UpdateContactInputSerializer, responses=ContactOutputSerializer)
    def partial_update(self, request, *args, **kwargs):
        contact = self.get_object()
        data = validated(UpdateContactInputSerializer, request.data)
        custom = data.pop("custom", None)
        contact = services.update_contact(request.user, contact, details=data, custom=custom)
        return Response(self._render(contact))

    def _render(self, contact: Contact) -> dict:
        return ContactOutputSerializer(_with_details(Contact.objects).get(pk=contact.pk)).data
