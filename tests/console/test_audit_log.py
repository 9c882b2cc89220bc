"""The audit log in the console, and what a supervisor limited to some departments sees of it."""

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from omnichannel.models import Event
from rooms.models import Room

pytestmark = pytest.mark.django_db

EVENTS = reverse("admin:omnichannel_event_changelist")


def event_url(room: Room) -> str:
    event = Event.objects.filter(room_id=room.pk).first()
    return reverse("admin:omnichannel_event_change", args=[event.pk])


def test_limited_manager_sees_the_log_of_their_departments_rooms(
    client, support_manager, queued_room
):
    client.force_login(support_manager)

    page = client.get(EVENTS).content.decode()

    assert event_url(queued_room) in page


def test_limited_manager_does_not_see_the_log_of_another_departments_rooms(
    client, support_manager, sales_room
):
    client.force_login(support_manager)

    page = client.get(EVENTS).content.decode()

    assert event_url(sales_room) not in page


def test_limited_manager_cannot_open_another_departments_log_entry_by_url(
    client, support_manager, sales_room
):
    client.force_login(support_manager)

    response = client.get(event_url(sales_room))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_manager_of_every_department_sees_every_rooms_log(client, manager, sales_room):
    client.force_login(manager)

    page = client.get(EVENTS).content.decode()

    assert event_url(sales_room) in page


def test_limited_manager_sees_only_their_own_admin_edits(
    client, support_manager, manager, sales_room
):
    LogEntry.objects.log_actions(
        user_id=manager.pk,
        queryset=[sales_room.contact],
        action_flag=ADDITION,
        change_message="",
        single_object=True,
    )
    client.force_login(support_manager)

    page = client.get(reverse("admin:admin_logentry_changelist")).content.decode()

    assert sales_room.contact.display_name not in page


def test_change_log_names_an_api_token_by_its_first_characters(client, manager, agent):
    from rest_framework.authtoken.models import Token, TokenProxy

    token = TokenProxy.objects.get(pk=Token.objects.create(user=agent).pk)
    LogEntry.objects.create(
        user=manager,
        content_type=ContentType.objects.get_for_model(TokenProxy, for_concrete_model=False),
        object_id=str(agent.pk),
        object_repr=token.key,
        action_flag=ADDITION,
    )
    client.force_login(manager)

    page = client.get(reverse("admin:admin_logentry_changelist")).content.decode()

    assert token.key not in page
    assert f"{token.key[:4]}…" in page


def test_audit_log_filters_by_a_range_of_days(client, manager, queued_room):
    client.force_login(manager)

    response = client.get(
        EVENTS, {"created_at__from": "2001-01-01", "created_at__to": "2001-01-31"}
    )

    assert response.status_code == 200
    assert event_url(queued_room) not in response.content.decode()
