"""Editing a contact: details and custom fields, field errors, and the recorded history."""

import pytest
from django.urls import reverse
from django.utils import translation

from directory.errors import InvalidContactDetails
from directory.models import ContactEdit, ContactFieldValue
from directory.services import update_contact
from omnichannel.models import Event

pytestmark = pytest.mark.django_db


def edit_url(contact) -> str:
    return reverse("contact-center-contact-edit", args=[contact.pk])


def form_data(**values) -> dict:
    data = {"name": "Ana Lopez", "email": "", "phone": "", "cf_seats": "3"}
    data.update(values)
    return data


def test_agent_edits_details_and_is_sent_to_the_contact_page(
    client, agent, support_contact, fields
):
    client.force_login(agent)

    response = client.post(
        edit_url(support_contact),
        form_data(email="ana@example.com", phone="+34 600-11-22-33", cf_plan="Pro"),
    )

    assert response.status_code == 302
    support_contact.refresh_from_db()
    assert support_contact.email == "ana@example.com"
    assert support_contact.phone == "+34600112233"
    assert (
        ContactFieldValue.objects.get(contact=support_contact, field=fields["plan"]).value == "Pro"
    )


def test_every_changed_value_is_recorded_with_who_old_and_new(agent, support_contact, fields):
    update_contact(agent, support_contact, details={"name": "Ana María López"}, custom={"seats": 5})

    edits = {edit.field: edit for edit in ContactEdit.objects.filter(contact=support_contact)}
    assert set(edits) == {"name", "custom:seats"}
    assert (edits["name"].old_value, edits["name"].new_value) == ("Ana Lopez", "Ana María López")
    assert (edits["custom:seats"].old_value, edits["custom:seats"].new_value) == ("", "5")
    assert edits["name"].by == agent


def test_saving_unchanged_values_records_nothing(agent, support_contact, fields):
    update_contact(agent, support_contact, details={"name": "Ana Lopez"}, custom={"seats": "2"})
    before = ContactEdit.objects.count()

    update_contact(agent, support_contact, details={"name": "Ana Lopez"}, custom={"seats": "2.0"})

    assert ContactEdit.objects.count() == before


def test_an_edit_records_a_contact_updated_event(agent, support_contact, fields):
    update_contact(agent, support_contact, details={"email": "new@example.com"})

    event = Event.objects.filter(name="contact.updated").latest("id")
    assert event.contact_id == support_contact.pk
    assert event.data == {"fields": ["email"]}


def test_contact_page_shows_the_edit_history(client, agent, support_contact, fields):
    update_contact(agent, support_contact, details={"email": "history@example.com"})
    client.force_login(agent)

    page = client.get(reverse("contact-center-contact", args=[support_contact.pk])).content.decode()

    assert "Edit history" in page
    assert "history@example.com" in page
    assert agent.display_name in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cf_seats", "many", "Enter a number."),
        ("cf_renewal", "31/02/2026", "Enter a valid date"),
        ("cf_plan", "Gold", "Gold is not one of the options."),
        ("cf_seats", "", "This field is required."),
        ("email", "not-an-address", "Enter a valid email address."),
        ("phone", "call me maybe", "Enter a phone number"),
    ],
)
def test_invalid_values_get_field_errors_and_nothing_is_saved(
    client, agent, support_contact, fields, field, value, message
):
    client.force_login(agent)

    response = client.post(edit_url(support_contact), form_data(**{field: value}))

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert f'id="id_{field}_error"' in page
    assert not ContactEdit.objects.exists()


def test_service_names_each_invalid_custom_value(agent, support_contact, fields):
    with pytest.raises(InvalidContactDetails) as raised:
        update_contact(
            agent, support_contact, custom={"seats": "NaN", "renewal": "soon", "nope": "x"}
        )

    assert set(raised.value.errors) == {"seats", "renewal", "nope"}


def test_numbers_and_dates_are_stored_in_one_spelling(agent, support_contact, fields):
    update_contact(agent, support_contact, custom={"seats": "12.50", "renewal": "2026-03-01"})

    stored = dict(
        ContactFieldValue.objects.filter(contact=support_contact).values_list("field__key", "value")
    )
    assert stored == {"seats": "12.5", "renewal": "2026-03-01"}


def test_clearing_an_optional_value_removes_it_and_is_recorded(agent, support_contact, fields):
    update_contact(agent, support_contact, custom={"seats": 1, "note": "VIP"})

    update_contact(agent, support_contact, custom={"note": ""})

    assert not ContactFieldValue.objects.filter(field=fields["note"]).exists()
    last = ContactEdit.objects.filter(field="custom:note").first()
    assert (last.old_value, last.new_value) == ("VIP", "")


def test_disabled_fields_are_not_offered(client, agent, support_contact, fields):
    fields["note"].enabled = False
    fields["note"].save()
    client.force_login(agent)

    page = client.get(edit_url(support_contact)).content.decode()

    assert 'name="cf_seats"' in page
    assert 'name="cf_note"' not in page


def test_numbers_are_read_in_the_users_language(agent, support_contact, fields):
    with translation.override("es"):
        update_contact(agent, support_contact, custom={"seats": "12,5"})

    assert ContactFieldValue.objects.get(field=fields["seats"]).value == "12.5"
