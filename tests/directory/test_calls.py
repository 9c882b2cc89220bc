"""Calls: recorded through the service and the REST API, listed per contact and in the tab."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from directory.errors import CallNotAllowed, InvalidCall
from directory.models import Call, Contact
from directory.services import record_call
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CALLS_API = "/api/v1/calls/"


def started(minutes_ago: int = 10) -> str:
    return (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()


@pytest.fixture
def api(supervisor):
    client = APIClient()
    client.force_authenticate(supervisor)
    return client


@pytest.fixture
def telephony():
    """A telephony system's service account: no role, only 'Can add call', with a token."""
    account = UserFactory(username="pbx")
    account.user_permissions.add(Permission.objects.get(codename="add_call"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=account).key}")
    return client


def test_call_is_listed_in_the_calls_tab(client, agent, support_contact, record):
    record(support_contact, outcome=Call.Outcome.MISSED, recording_url="https://pbx.test/r/1.mp3")
    client.force_login(agent)

    page = client.get(reverse("contact-center-calls")).content.decode()

    assert "Ana Lopez" in page
    assert "Missed" in page
    assert "https://pbx.test/r/1.mp3" in page


def test_calls_are_listed_on_the_contact_page(client, agent, support_contact, record):
    record(support_contact, direction=Call.Direction.OUTBOUND, duration_seconds=185)
    client.force_login(agent)

    page = client.get(reverse("contact-center-contact", args=[support_contact.pk])).content.decode()

    assert "Outbound" in page
    assert "3 min 5 s" in page


def test_calls_tab_filters_by_outcome_and_contact(client, agent, support_contact, record):
    record(support_contact, outcome=Call.Outcome.BUSY)
    client.force_login(agent)

    busy = client.get(reverse("contact-center-calls"), {"outcome": "busy", "q": "ana"})
    answered = client.get(reverse("contact-center-calls"), {"outcome": "answered"})

    assert "1 call" in busy.content.decode()
    assert "0 calls" in answered.content.decode()


def test_agent_cannot_record_a_call(agent, support_contact):
    with pytest.raises(CallNotAllowed):
        record_call(
            agent,
            support_contact,
            direction="inbound",
            outcome="answered",
            started_at=timezone.now(),
        )


def test_a_call_cannot_end_before_it_starts(supervisor, support_contact):
    now = timezone.now()
    with pytest.raises(InvalidCall) as raised:
        record_call(
            supervisor,
            support_contact,
            direction="inbound",
            outcome="answered",
            started_at=now,
            ended_at=now - timedelta(seconds=1),
        )

    assert "ended_at" in raised.value.errors


def test_api_records_a_call_for_a_known_phone_number(api, support_contact, supervisor):
    Contact.objects.filter(pk=support_contact.pk).update(phone="+34600112233")

    response = api.post(
        CALLS_API,
        {
            "contact_phone": "+34 600 11 22 33",
            "direction": "inbound",
            "outcome": "answered",
            "started_at": started(10),
            "ended_at": started(7),
            "agent": supervisor.username,
            "recording_url": "https://pbx.test/rec/42.wav",
            "external_id": "pbx-42",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["contact"]["id"] == support_contact.pk
    assert body["duration_seconds"] == 180
    assert body["agent"]["username"] == supervisor.username


def test_api_adds_a_contact_for_an_unknown_number(api):
    response = api.post(
        CALLS_API,
        {
            "contact_phone": "+1 555 0100",
            "contact_name": "New Caller",
            "direction": "inbound",
            "outcome": "missed",
            "started_at": started(),
        },
        format="json",
    )

    assert response.status_code == 201
    assert Contact.objects.get(phone="+15550100").name == "New Caller"


def test_api_stores_a_repeated_push_once(api, support_contact):
    payload = {
        "contact_id": support_contact.pk,
        "direction": "outbound",
        "outcome": "no_answer",
        "started_at": started(),
        "external_id": "pbx-7",
    }

    first = api.post(CALLS_API, payload, format="json")
    again = api.post(CALLS_API, payload, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Call.objects.count() == 1


def test_api_refuses_invalid_input_with_field_errors(api):
    response = api.post(
        CALLS_API,
        {"direction": "sideways", "outcome": "answered", "started_at": "soon"},
        format="json",
    )

    assert response.status_code == 400
    assert {"direction", "started_at"} <= set(response.json()["fields"])
    assert not Call.objects.exists()


def test_api_refuses_a_call_without_a_contact(api):
    response = api.post(
        CALLS_API,
        {"direction": "inbound", "outcome": "answered", "started_at": started()},
        format="json",
    )

    assert response.status_code == 400
    assert "contact_id" in response.json()["fields"]


def test_telephony_account_records_calls_with_its_token(telephony, support_contact):
    response = telephony.post(
        CALLS_API,
        {
            "contact_channel": "livechat",
            "contact_external_id": "token-ana",
            "direction": "inbound",
            "outcome": "voicemail",
            "started_at": started(),
        },
        format="json",
    )

    assert response.status_code == 201
    assert Call.objects.get().contact == support_contact


def test_agent_cannot_report_calls_over_the_api(agent, support_contact):
    client = APIClient()
    client.force_authenticate(agent)

    response = client.post(
        CALLS_API,
        {
            "contact_id": support_contact.pk,
            "direction": "inbound",
            "outcome": "answered",
            "started_at": started(),
        },
        format="json",
    )

    assert response.status_code == 403
    assert not Call.objects.exists()


def test_agent_reads_only_calls_of_contacts_they_may_see(
    agent, support_contact, sales_contact, record
):
    mine = record(support_contact)
    record(sales_contact)
    client = APIClient()
    client.force_authenticate(agent)

    listed = client.get(CALLS_API).json()
    hidden = client.get(f"{CALLS_API}{Call.objects.exclude(pk=mine.pk).get().pk}/")

    assert [call["id"] for call in listed["results"]] == [mine.pk]
    assert hidden.status_code == 404


def test_manager_reads_every_call(api, support_contact, sales_contact, record):
    record(support_contact)
    record(sales_contact)

    listed = api.get(CALLS_API).json()

    assert listed["count"] == 2
