"""The Contacts tab: search, sort, pagination, and a contact's page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.models import Channel
from directory.services import get_or_create_contact

pytestmark = pytest.mark.django_db

CONTACTS = reverse("contact-center")


def listed(client, **params) -> str:
    """The results region only (what htmx swaps in), without the sidebar's queued chats."""
    response = client.get(
        CONTACTS, params, headers={"HX-Request": "true", "HX-Target": "contact-results"}
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def three(write_as_contact):
    """Three Support contacts with names, e-mails and phones to search by."""
    made = {}
    for visitor, name, email, phone in (
        ("v1", "Ana Lopez", "ana@example.com", "+34 600 111 222"),
        ("v2", "Bruno Diaz", "bruno@shop.test", "+1 (555) 010-0200"),
        ("v3", "Carla Ruiz", "carla@example.org", ""),
    ):
        contact, _ = get_or_create_contact(
            channel=Channel.LIVECHAT,
            external_id=f"token-{visitor}",
            name=name,
            email=email,
            phone=phone,
        )
        write_as_contact(visitor=visitor)
        made[name.split()[0].lower()] = contact
    return made


def test_agent_finds_a_contact_by_name(client, agent, three):
    client.force_login(agent)

    page = listed(client, q="bruno")

    assert "Bruno Diaz" in page
    assert "Ana Lopez" not in page


def test_agent_finds_a_contact_by_email(client, agent, three):
    client.force_login(agent)

    page = listed(client, q="example.org")

    assert "Carla Ruiz" in page
    assert "Bruno Diaz" not in page


def test_agent_finds_a_contact_by_phone_written_any_way(client, agent, three):
    client.force_login(agent)

    page = listed(client, q="555 010-0200")

    assert "Bruno Diaz" in page
    assert "Ana Lopez" not in page


def test_agent_finds_a_contact_by_channel_identity(client, agent, three):
    client.force_login(agent)

    page = listed(client, q="token-v3")

    assert "Carla Ruiz" in page
    assert "Ana Lopez" not in page


def test_agent_sorts_contacts_by_name_both_ways(client, agent, three):
    client.force_login(agent)

    ascending = listed(client, sort="name")
    descending = listed(client, sort="-name")

    assert ascending.index("Ana Lopez") < ascending.index("Bruno Diaz") < ascending.index("Carla")
    assert descending.index("Carla Ruiz") < descending.index("Bruno") < descending.index("Ana")


def test_agent_pages_through_contacts(client, agent, write_as_contact):
    for number in range(30):
        write_as_contact(visitor=f"p{number}", name=f"Person {number:02d}")
    client.force_login(agent)

    first = listed(client, sort="name")
    second = listed(client, sort="name", page=2)

    assert "Person 00" in first and "Person 24" in first and "Person 25" not in first
    assert "Person 25" in second and "Person 29" in second and "Person 00" not in second
    assert "Page 2 of 2" in second


def test_contacts_page_queries_do_not_grow_with_the_page(client, agent, write_as_contact):
    write_as_contact(visitor="first", name="First")
    client.force_login(agent)
    client.get(CONTACTS)
    with CaptureQueriesContext(connection) as one:
        client.get(CONTACTS)
    for number in range(25):
        write_as_contact(visitor=f"q{number}", name=f"Person {number:02d}")

    with CaptureQueriesContext(connection) as many:
        client.get(CONTACTS)

    assert len(many) == len(one)


@pytest.mark.parametrize(
    "text",
    ["foo & | ! ( ' \"", "a:* <-> b", "\\", "%_", "'); DROP TABLE x; --", "x\x00y", "é" * 300],
)
def test_search_input_never_errors(client, agent, three, text):
    client.force_login(agent)

    response = client.get(CONTACTS, {"q": text})

    assert response.status_code == 200


def test_htmx_search_returns_only_the_results(client, agent, three):
    client.force_login(agent)

    response = client.get(
        CONTACTS, {"q": "ana"}, headers={"HX-Request": "true", "HX-Target": "contact-results"}
    )

    page = response.content.decode()
    assert "Ana Lopez" in page
    assert "<html" not in page


def test_contact_page_shows_details_identities_rooms_and_tags(
    client, agent, support_contact, close
):
    close(support_contact.rooms.get(), comment="Refunded", tags=["Billing"])
    client.force_login(agent)

    page = client.get(reverse("contact-center-contact", args=[support_contact.pk])).content.decode()

    assert "Ana Lopez" in page
    assert "token-ana" in page
    assert "Website chat" in page
    assert "billing" in page
    assert reverse("contact-center-chat", args=[support_contact.rooms.get().pk]) in page


def test_sidebar_links_to_the_contact_center(client, agent):
    client.force_login(agent)

    page = client.get(reverse("home")).content.decode()

    assert reverse("contact-center") in page
    assert "Contact Center" in page


def test_contacts_without_a_name_sort_after_the_named_ones(client, agent, write_as_contact):
    write_as_contact(visitor="guest")
    write_as_contact(visitor="zoe", name="Zoe Zed")
    client.force_login(agent)

    page = listed(client, sort="name")

    assert page.index("Zoe Zed") < page.index("guest-")
