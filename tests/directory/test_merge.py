"""Merging two contacts who are one person: everything moves, nothing is lost, it is recorded."""

import pytest
from django.urls import reverse

from directory.errors import MergeConflict, MergeNotAllowed
from directory.models import Call, Contact, ContactFieldValue, ContactIdentity, ContactMerge
from directory.services import merge_contacts, update_contact
from omnichannel.models import Event
from rooms.models import Room

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(write_as_contact, close, fields, supervisor, record):
    """Ana (website chat, one closed room) and a guest with a second closed room and a call."""
    ana = write_as_contact(visitor="ana", name="Ana Lopez").room.contact
    close(ana.rooms.get())
    guest_room = write_as_contact(visitor="ana-phone").room
    guest = guest_room.contact
    close(guest_room)
    update_contact(supervisor, ana, custom={"seats": 2, "plan": "Free"})
    update_contact(
        supervisor, guest, details={"phone": "+34 600 000 001"}, custom={"seats": 9, "note": "VIP"}
    )
    record(guest)
    return ana, guest


def test_merge_moves_identities_rooms_and_calls(supervisor, twins):
    ana, guest = twins
    rooms_before = Room.objects.count()

    merge_contacts(supervisor, ana, guest)

    assert set(ContactIdentity.objects.values_list("external_id", flat=True)) == {
        "token-ana",
        "token-ana-phone",
    }
    assert set(ContactIdentity.objects.values_list("contact", flat=True)) == {ana.pk}
    assert Room.objects.filter(contact=ana).count() == 2 == rooms_before
    assert Call.objects.get().contact == ana
    assert not Contact.objects.filter(pk=guest.pk).exists()


def test_merge_keeps_the_survivors_values_and_fills_the_gaps(supervisor, twins):
    ana, guest = twins

    merge_contacts(supervisor, ana, guest)

    values = dict(ContactFieldValue.objects.filter(contact=ana).values_list("field__key", "value"))
    assert values == {"seats": "2", "plan": "Free", "note": "VIP"}
    ana.refresh_from_db()
    assert ana.phone == "+34600000001"


def test_merge_is_recorded_and_shown_on_the_contact_page(client, supervisor, twins):
    ana, guest = twins

    merge_contacts(supervisor, ana, guest)

    record = ContactMerge.objects.get()
    assert (record.survivor, record.merged_contact_id, record.by) == (ana, guest.pk, supervisor)
    assert record.moved["rooms.room"] == 1
    assert Event.objects.filter(name="contact.merged", contact_id=ana.pk).exists()
    client.force_login(supervisor)
    page = client.get(reverse("contact-center-contact", args=[ana.pk])).content.decode()
    assert f"merged {guest.display_name} (#{guest.pk}) into this contact" in page


def test_merge_refuses_two_open_rooms_on_one_channel_and_changes_nothing(
    supervisor, write_as_contact
):
    first = write_as_contact(visitor="x").room.contact
    second = write_as_contact(visitor="y").room.contact

    with pytest.raises(MergeConflict):
        merge_contacts(supervisor, first, second)

    assert Contact.objects.filter(pk=second.pk).exists()
    assert Room.objects.filter(contact=second).count() == 1
    assert not ContactMerge.objects.exists()


def test_agent_cannot_merge(agent, twins):
    ana, guest = twins

    with pytest.raises(MergeNotAllowed):
        merge_contacts(agent, ana, guest)


def test_a_contact_cannot_be_merged_with_itself(supervisor, twins):
    with pytest.raises(MergeConflict):
        merge_contacts(supervisor, twins[0], twins[0])


def test_manager_merges_from_the_contact_page_after_reviewing(client, supervisor, twins):
    ana, guest = twins
    client.force_login(supervisor)
    url = reverse("contact-center-contact-merge", args=[ana.pk])

    found = client.get(url, {"q": "600 000 001"}).content.decode()
    review = client.get(url, {"other": guest.pk}).content.decode()
    response = client.post(url, {"other": guest.pk})

    assert f"?other={guest.pk}" in found
    assert "Chats</dt><dd>1</dd>" in review
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=guest.pk).exists()


def test_agent_gets_no_merge_page(client, agent, twins):
    client.force_login(agent)

    response = client.get(reverse("contact-center-contact-merge", args=[twins[0].pk]))

    assert response.status_code == 404
