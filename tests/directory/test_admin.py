"""Directory in admin: a manager defines custom fields, edits contacts through the service,
merges two contacts with an action."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from directory.models import Contact, ContactEdit, ContactMerge, CustomField

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, supervisor):
    supervisor.is_superuser = True  # the console's permissions are another colleague's concern
    supervisor.save()
    client.force_login(supervisor)
    return client


def test_manager_defines_a_choice_field(admin_client):
    response = admin_client.post(
        reverse("admin:directory_customfield_add"),
        {
            "label": "Plan",
            "key": "plan",
            "kind": "choice",
            "choices": "Free\nPro",
            "required": "on",
            "help_text": "",
            "position": 1,
            "enabled": "on",
        },
    )

    assert response.status_code == 302
    field = CustomField.objects.get(key="plan")
    assert field.choice_list == ["Free", "Pro"]
    assert field.required


def test_a_choice_field_needs_options(admin_client):
    response = admin_client.post(
        reverse("admin:directory_customfield_add"),
        {"label": "Plan", "key": "plan", "kind": "choice", "choices": " \n", "position": 0},
    )

    assert response.status_code == 200
    assert "A choice field needs at least one option." in response.content.decode()
    assert not CustomField.objects.exists()


def test_contact_change_form_saves_through_the_service_with_history(
    admin_client, supervisor, support_contact, fields
):
    url = reverse("admin:directory_contact_change", args=[support_contact.pk])

    page = admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {
            "name": "Ana L.",
            "email": "ana@example.com",
            "phone": "",
            "cf_seats": "4",
            "cf_plan": "Pro",
            "cf_renewal": "",
            "cf_note": "",
            **inline_management_forms(page),
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    support_contact.refresh_from_db()
    assert support_contact.name == "Ana L."
    edits = set(ContactEdit.objects.filter(by=supervisor).values_list("field", flat=True))
    assert edits == {"name", "email", "custom:seats", "custom:plan"}


def test_contact_change_form_shows_service_errors(admin_client, support_contact, fields):
    url = reverse("admin:directory_contact_change", args=[support_contact.pk])
    page = admin_client.get(url).content.decode()

    response = admin_client.post(
        url,
        {
            "name": "Ana",
            "email": "",
            "phone": "",
            "cf_seats": "many",
            **inline_management_forms(page),
        },
    )

    assert response.status_code == 200
    assert "Enter a number." in response.content.decode()
    assert not ContactEdit.objects.exists()


def test_merge_action_asks_which_to_keep_then_merges(admin_client, write_as_contact, close):
    keep = write_as_contact(visitor="a", name="Keep Me").room.contact
    close(keep.rooms.get())
    drop = write_as_contact(visitor="b", name="Drop Me").room.contact
    changelist = reverse("admin:directory_contact_changelist")
    selected = {"action": "merge_contacts", ACTION_CHECKBOX_NAME: [keep.pk, drop.pk]}

    confirm = admin_client.post(changelist, selected)
    done = admin_client.post(changelist, {**selected, "confirm": "yes", "survivor": keep.pk})

    assert "Merge contacts" in confirm.content.decode()
    assert done.status_code == 302
    assert list(Contact.objects.all()) == [keep]
    assert keep.rooms.count() == 2
    assert ContactMerge.objects.get().merged_contact_id == drop.pk


def inline_management_forms(page: str) -> dict:
    """The hidden management fields of the change form's read-only inlines, as the page has them."""
    import re

    data = {}
    for name, value in re.findall(
        r'name="([^"]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]*value="(\d*)"', page
    ):
        data[name] = value
    for match in re.finditer(
        r'<input[^>]+name="([^"]+-\d+-(?:id|contact))"[^>]*value="([^"]*)"', page
    ):
        data[match.group(1)] = match.group(2)
    return data
