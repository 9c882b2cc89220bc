"""How a waiting chat reads in the Queued Chats list of every agent page."""

import pytest
from django.urls import reverse

from directory.models import Contact
from rooms.models import Room

pytestmark = pytest.mark.django_db


def queued_entry(page: str, room: Room) -> str:
    return page.split(f'<li data-queued-room="{room.pk}"', 1)[1].split("</li>", 1)[0]


def test_a_contacts_name_with_markup_is_listed_as_text(client, agent, queued_room):
    Contact.objects.filter(pk=queued_room.contact_id).update(name="<script>alert(1)</script>")
    client.force_login(agent)

    page = client.get(reverse("home")).content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in queued_entry(page, queued_room)


def test_the_chat_whose_page_is_open_is_marked_current_in_the_list(client, agent, write_as_contact):
    shown = write_as_contact(visitor="shown").room
    other = write_as_contact(visitor="other").room
    client.force_login(agent)

    page = client.get(reverse("room", args=[shown.pk])).content.decode()

    assert 'aria-current="page"' in queued_entry(page, shown)
    assert 'aria-current="page"' not in queued_entry(page, other)


def test_a_waiting_chat_says_its_department_how_long_it_waits_and_its_priority(
    client, agent, queued_room
):
    Room.objects.filter(pk=queued_room.pk).update(queue_seconds=200, priority=Room.Priority.URGENT)
    client.force_login(agent)

    page = client.get(reverse("home")).content.decode()

    entry = queued_entry(page, queued_room)
    assert f"{queued_room.department.name} · waiting 3 min" in entry
    assert '<span class="priority priority-urgent">Urgent</span>' in entry
