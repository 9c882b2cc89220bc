"""Bad input gets the right 4xx, a clear message and a stable code, and writes nothing."""

import pytest
from django.test import override_settings
from rest_framework.settings import api_settings

from accounts.models import Department, User
from directory.models import Contact
from rooms.models import Message

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


def test_unknown_field_is_refused_by_name(api_as, supervisor):
    response = api_as(supervisor).post(f"{V1}/departments/", {"name": "Billing", "colour": "red"})

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"
    assert response.json()["fields"] == {"colour": ["Unknown field."]}
    assert not Department.objects.filter(name="Billing").exists()


def test_wrong_type_is_refused_with_the_field(api_as, supervisor, agent):
    response = api_as(supervisor).patch(f"{V1}/agents/{agent.pk}/", {"max_chats": "many"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "max_chats" in response.json()["fields"]


def test_body_that_is_not_json_is_a_parse_error(api_as, supervisor):
    response = api_as(supervisor).generic(
        "POST", f"{V1}/departments/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_body_that_is_a_list_is_refused(api_as, supervisor):
    response = api_as(supervisor).post(f"{V1}/departments/", ["Billing"])

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_oversize_payload_is_refused_before_it_is_read(api_as, agent, taken_room, settings):
    settings.API_MAX_BODY_BYTES = 1000

    response = api_as(agent).post(f"{V1}/rooms/{taken_room.pk}/messages/", {"text": "x" * 2000})

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not Message.objects.filter(room=taken_room, kind=Message.Kind.AGENT).exists()


def test_form_encoded_body_is_an_unsupported_media_type(api_as, supervisor):
    response = api_as(supervisor).post(
        f"{V1}/departments/", {"name": "Billing"}, format="multipart"
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "department=abc",
        "created_after=yesterday",
        "channel=pigeon",
        "ordering=password",
    ],
)
def test_invalid_filter_is_refused(api_as, supervisor, query):
    response = api_as(supervisor).get(f"{V1}/rooms/?{query}")

    assert response.status_code == 400
    assert response.json()["fields"]


def test_invalid_page_is_not_found(api_as, supervisor):
    response = api_as(supervisor).get(f"{V1}/rooms/?page=99")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_someone_elses_room_is_not_found(api_as, outsider_agent, taken_room):
    response = api_as(outsider_agent).post(f"{V1}/rooms/{taken_room.pk}/close/", {"comment": "x"})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    taken_room.refresh_from_db()
    assert taken_room.status == "taken"


def test_missing_room_and_foreign_room_answer_alike(api_as, outsider_agent, taken_room):
    client = api_as(outsider_agent)

    foreign = client.get(f"{V1}/rooms/{taken_room.pk}/")
    missing = client.get(f"{V1}/rooms/999999/")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_invalid_agent_creation_leaves_no_user(api_as, supervisor):
    response = api_as(supervisor).post(
        f"{V1}/agents/", {"username": "weak", "password": "123", "departments": []}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_agent"
    assert not User.objects.filter(username="weak").exists()


def test_agent_creation_with_an_unknown_department_leaves_no_user(api_as, supervisor):
    response = api_as(supervisor).post(
        f"{V1}/agents/",
        {"username": "newbie", "password": "a-Strong-pass-123", "departments": [424242]},
    )

    assert response.status_code == 400
    assert "departments" in response.json()["fields"]
    assert not User.objects.filter(username="newbie").exists()


def test_invalid_contact_email_is_refused_per_field(api_as, agent):
    response = api_as(agent).post(f"{V1}/contacts/", {"name": "Ada", "email": "not-an-email"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_contact_details"
    assert "email" in response.json()["fields"]
    assert not Contact.objects.filter(name="Ada").exists()


def test_throttled_token_gets_429_with_retry_after(api_as, agent):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "2/min"}
    client = api_as(agent)
    with override_settings(REST_FRAMEWORK={**_rest_settings(), "DEFAULT_THROTTLE_RATES": rates}):
        statuses = [client.get(f"{V1}/tags/").status_code for _ in range(3)]
        last = client.get(f"{V1}/tags/")

    assert statuses == [200, 200, 429]
    assert last.json()["code"] == "throttled"
    assert int(last["Retry-After"]) > 0


def test_throttle_counts_each_token_apart(api_as, agent, other_agent):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "1/min"}
    with override_settings(REST_FRAMEWORK={**_rest_settings(), "DEFAULT_THROTTLE_RATES": rates}):
        api_as(agent).get(f"{V1}/tags/")
        response = api_as(other_agent).get(f"{V1}/tags/")

    assert response.status_code == 200


def _rest_settings() -> dict:
    from django.conf import settings

    return dict(settings.REST_FRAMEWORK)
