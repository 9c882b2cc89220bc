"""The supervisor's console for Messenger: pages with masked secrets, raw calls, re-process."""

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.facebook.models import Page, WebhookEvent
from rooms.models import Message
from tests.facebook.conftest import (
    ACCESS_TOKEN,
    APP_SECRET,
    VERIFY_TOKEN,
    entry,
    payload,
    text_message,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_page_form_never_shows_the_secrets(admin_client, page):
    html = admin_client.get(reverse("admin:facebook_page_change", args=[page.pk])).content.decode()

    for secret in (ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN):
        assert secret not in html
    assert "EAAG…7890" in html


def test_page_list_never_shows_the_secrets(admin_client, page):
    html = admin_client.get(reverse("admin:facebook_page_changelist")).content.decode()

    assert ACCESS_TOKEN not in html and "EAAG…7890" in html


def form_data(page, **changes) -> dict:
    data = {
        "page_id": page.page_id,
        "name": page.name,
        "department": page.department_id,
        "enabled": "on",
        "human_agent_tag": "on",
        "app_id": page.app_id,
        "access_token": "",
        "app_secret": "",
        "verify_token": "",
    }
    data.update(changes)
    return data


def test_saving_the_page_with_empty_secrets_keeps_them(admin_client, page):
    url = reverse("admin:facebook_page_change", args=[page.pk])

    response = admin_client.post(url, form_data(page, name="Acme Care"))

    assert response.status_code == 302
    page.refresh_from_db()
    assert page.name == "Acme Care"
    assert page.access_token == ACCESS_TOKEN and page.app_secret == APP_SECRET


def test_new_token_clears_the_token_stopped_working_flag(admin_client, page):
    Page.objects.filter(pk=page.pk).update(token_failed_at=timezone.now(), token_error="dead")
    url = reverse("admin:facebook_page_change", args=[page.pk])

    admin_client.post(url, form_data(page, access_token="EAAGbrandnewtoken55555"))

    page.refresh_from_db()
    assert page.access_token == "EAAGbrandnewtoken55555"
    assert page.token_failed_at is None


def test_page_whose_token_stopped_working_is_flagged_in_the_list(admin_client, page):
    Page.objects.filter(pk=page.pk).update(token_failed_at=timezone.now(), token_error="dead")

    html = admin_client.get(
        reverse("admin:facebook_page_changelist"), {"token": "failed"}
    ).content.decode()

    assert "stopped working" in html and "Acme Support" in html


def test_raw_calls_are_listed_and_reprocessed_from_admin(admin_client, deliver, page, tasks):
    deliver(payload(entry(text_message("Hi", mid="m_1"))))
    event = WebhookEvent.objects.get()

    listing = admin_client.get(reverse("admin:facebook_webhookevent_changelist"))
    response = admin_client.post(
        reverse("admin:facebook_webhookevent_changelist"),
        {"action": "reprocess_events", "_selected_action": [event.pk]},
    )
    tasks.run()

    assert listing.status_code == 200 and response.status_code == 302
    assert [r for name, r in tasks.ran] == ["processed", "processed"]
    assert Message.objects.filter(external_id="m_1").count() == 1
