"""The OpenAPI schema describes the API, and the API keeps to it (Schemathesis, in-process)."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token

from integrations.apichannel.services import create_api_channel
from integrations.webhooks.services import create_subscription
from queues.services import take_room
from tests.factories import AgentFactory, DepartmentFactory, make_manager

SCHEMA_URL = "/api/schema/"


def test_schema_describes_every_resource(client):
    response = client.get(SCHEMA_URL, HTTP_ACCEPT="application/vnd.oai.openapi+json")

    paths = response.json()["paths"]
    assert response.json()["openapi"].startswith("3.")
    for path in [
        "/api/v1/departments/",
        "/api/v1/agents/{id}/",
        "/api/v1/contacts/",
        "/api/v1/rooms/{id}/take/",
        "/api/v1/rooms/{id}/return-to-queue/",
        "/api/v1/rooms/{id}/close/",
        "/api/v1/rooms/{room_id}/messages/",
        "/api/v1/queue/",
        "/api/v1/tags/",
        "/api/v1/webhooks/",
        "/api/v1/inbound/{key}/messages/",
    ]:
        assert path in paths, path


def test_schema_documents_the_error_shape_and_codes(client):
    schema = client.get(SCHEMA_URL, HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    take = schema["paths"]["/api/v1/rooms/{id}/take/"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "429"} <= set(take)
    assert take["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOutput")
    assert "Retry-After" in take["429"]["headers"]


def test_docs_page_renders(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


# --- Schemathesis ---------------------------------------------------------------------------

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]


@pytest.fixture
def populated(transactional_db, settings):
    """A manager with a token, rooms in each state, an API channel, a subscription."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "100000/min", "anon": "100000/min", "inbound": None},
    }
    from directory.models import Channel
    from directory.services import get_or_create_contact
    from rooms.services import post_agent_message, receive_contact_message

    department = DepartmentFactory(name="Support", slug="support")
    manager = make_manager(username="boss", departments=[department], queue_enabled=True)
    agent = AgentFactory(username="alex", departments=[department], queue_enabled=True)
    rooms = []
    for n in range(4):
        contact, _ = get_or_create_contact(channel=Channel.LIVECHAT, external_id=f"v{n}")
        message = receive_contact_message(
            contact=contact, channel=Channel.LIVECHAT, department=department, text=f"hi {n}"
        )
        rooms.append(message.room)
    take_room(agent, rooms[0])
    post_agent_message(agent, rooms[0], text="hello")
    create_api_channel(name="SMS", key="sms", department=department, secret="s" * 32)
    subscription = create_subscription(
        None, url="https://hooks.example.com/in", events=["room.taken"]
    )
    token, _ = Token.objects.get_or_create(user=manager)
    return {
        "headers": {"Authorization": f"Token {token.key}"},
        "ids": {
            "/api/v1/rooms/": rooms[1].pk,
            "/api/v1/webhooks/": subscription.pk,
            "/api/v1/departments/": department.pk,
            "/api/v1/agents/": agent.pk,
            "/api/v1/contacts/": rooms[2].contact_id,
        },
        "room_id": rooms[0].pk,
    }


def _known_path_parameters(path: str, populated: dict) -> dict:
    known = {}
    if "{room_id}" in path:
        known["room_id"] = populated["room_id"]
    if "{id}" in path:
        for prefix, pk in populated["ids"].items():
            if path.startswith(prefix) and "{room_id}" not in path:
                known["id"] = pk
    if "{key}" in path:
        known["key"] = "sms"
    return known


def _run(strategy, headers: dict, checks: list, examples: int) -> None:
    @given(case=strategy)
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks)

    exercise()


def _checks(names: list[str]) -> list:
    from schemathesis import checks as generic_checks
    from schemathesis.specs.openapi import checks as openapi_checks

    return [getattr(openapi_checks, name, None) or getattr(generic_checks, name) for name in names]


def test_api_keeps_to_its_schema_under_generated_requests(populated):
    """Positive cases against real and random ids, negative cases everywhere: no 5xx, and
    every response matches the documented status codes, content type, headers and body."""
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, get_wsgi_application())
    conformance = _checks(CHECKS)
    no_server_error = _checks(["not_a_server_error"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:
        known = _known_path_parameters(operation.path, populated)
        _run(
            operation.as_strategy(path_parameters=known),
            populated["headers"],
            conformance,
            examples=8,
        )
        _run(operation.as_strategy(), populated["headers"], conformance, examples=4)
        _run(
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
            populated["headers"],
            no_server_error,
            examples=4,
        )
