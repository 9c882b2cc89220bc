"""What the API reads and writes of contacts."""

from rest_framework import serializers

from directory.models import Channel, Contact
from omnichannel.api import InputSerializer


class IdentityOutputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    external_id = serializers.CharField()


class ContactOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    identities = IdentityOutputSerializer(many=True, source="identities.all")
    custom = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_custom(self, contact: Contact) -> dict[str, str]:
        return {row.field.key: row.value for row in contact.field_values.all()}


class ContactSummaryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class IdentityInputSerializer(InputSerializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    external_id = serializers.CharField(max_length=255)


class CreateContactInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    identities = IdentityInputSerializer(many=True, required=False, default=list, max_length=20)


class UpdateContactInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    custom = serializers.DictField(
        child=serializers.CharField(max_length=1000, allow_blank=True),
        required=False,
        help_text="Custom field values by the field's key; an empty string clears one.",
    )
