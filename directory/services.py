"""The only writers of directory's models."""

from django.db import IntegrityError, transaction

from directory.errors import InvalidContact
from directory.models import Channel, Contact, ContactIdentity, GuestNumber
from omnichannel import events


def get_or_create_contact(
    *, channel: str, external_id: str, name: str = "", email: str = "", phone: str = ""
) -> tuple[Contact, bool]:
    """The contact known by this channel identity, created (with a guest number) when new.

    Race-safe: a concurrent creator loses on the identity's unique constraint and reads the
    winner's contact.
    """
    if channel not in Channel.values or not external_id:
        raise InvalidContact()
    identity = (
        ContactIdentity.objects.select_related("contact")
        .filter(channel=channel, external_id=external_id)
        .first()
    )
    if identity is not None:
        return identity.contact, False
    name = name.strip()[:200]
    try:
        with transaction.atomic():
            guest_number = None if name else GuestNumber.objects.create().pk
            contact = Contact.objects.create(
                name=name, email=email, phone=phone, guest_number=guest_number
            )
            ContactIdentity.objects.create(
                contact=contact, channel=channel, external_id=external_id
            )
            events.record("contact.created", contact=contact, data={"channel": channel})
    except IntegrityError:
        identity = ContactIdentity.objects.select_related("contact").get(
            channel=channel, external_id=external_id
        )
        return identity.contact, False
    return contact, True


def rename_contact_if_nameless(contact: Contact, name: str) -> Contact:
    """Give a guest the name they typed later; a name already known is kept."""
    name = name.strip()[:200]
    if not name or contact.name:
        return contact
    with transaction.atomic():
        Contact.objects.filter(pk=contact.pk, name="").update(name=name)
        contact.name = name
        events.record("contact.updated", contact=contact, data={"fields": ["name"]})
    return contact
