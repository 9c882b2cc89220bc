"""Take it! respects the agent's maximum of simultaneous chats, as routing does: chats on hold
left out, a maximum of 0 takes none; the room page, the API and the sidebar say why."""

import pytest
from django.urls import reverse

from accounts.models import User
from queues.errors import MaxChatsReached
from queues.services import put_on_hold, take_room
from rooms.models import Room

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/rooms/"


@pytest.fixture
def at_maximum(agent, write_as_contact):
    """The agent may serve two chats at once and serves two."""
    User.objects.filter(pk=agent.pk).update(max_chats=2)
    agent.refresh_from_db()
    return [take_room(agent, write_as_contact(visitor=f"busy-{n}").room) for n in range(2)]


@pytest.fixture
def waiting(write_as_contact):
    return write_as_contact(visitor="waiting").room


def test_taking_at_the_maximum_is_refused(at_maximum, agent, waiting):
    with pytest.raises(MaxChatsReached, match="maximum of 2 chats"):
        take_room(agent, waiting)


def test_refused_take_leaves_the_chat_in_the_queue(at_maximum, agent, waiting):
    with pytest.raises(MaxChatsReached):
        take_room(agent, waiting)

    waiting.refresh_from_db()
    assert (waiting.status, waiting.agent_id) == (Room.Status.QUEUED, None)
    assert not waiting.messages.filter(system_code="taken").exists()


def test_a_chat_on_hold_frees_a_place_to_take_another(at_maximum, agent, waiting):
    put_on_hold(agent, at_maximum[0])

    room = take_room(agent, waiting)

    assert (room.status, room.agent_id) == (Room.Status.TAKEN, agent.pk)


def test_a_maximum_of_zero_takes_no_chat(agent, waiting):
    User.objects.filter(pk=agent.pk).update(max_chats=0)
    agent.refresh_from_db()

    with pytest.raises(MaxChatsReached, match="maximum of simultaneous chats is 0"):
        take_room(agent, waiting)


def test_the_check_under_lock_refuses_even_when_the_early_check_passed(agent, waiting):
    """The maximum lowered after the agent's row was read: the locked count decides."""
    User.objects.filter(pk=agent.pk).update(max_chats=0)

    with pytest.raises(MaxChatsReached):
        take_room(agent, waiting)


def test_room_page_shows_take_it_disabled_with_the_reason(client, at_maximum, agent, waiting):
    client.force_login(agent)

    page = client.get(reverse("room", args=[waiting.pk])).content.decode()

    assert 'disabled aria-describedby="take-refusal"' in page
    assert "You serve your maximum of 2 chats" in page
    assert reverse("room-take", args=[waiting.pk]) not in page


def test_room_page_offers_take_it_below_the_maximum(client, agent, write_as_contact, waiting):
    User.objects.filter(pk=agent.pk).update(max_chats=2)
    take_room(agent, write_as_contact(visitor="one").room)
    client.force_login(agent)

    page = client.get(reverse("room", args=[waiting.pk])).content.decode()

    assert reverse("room-take", args=[waiting.pk]) in page
    assert "take-refusal" not in page


def test_posting_take_at_the_maximum_shows_the_reason(client, at_maximum, agent, waiting):
    client.force_login(agent)

    response = client.post(reverse("room-take", args=[waiting.pk]), follow=True)

    assert response.status_code == 200
    assert "You serve your maximum of 2 chats" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == Room.Status.QUEUED


def test_api_take_at_the_maximum_is_a_400_with_its_code(api_as, at_maximum, agent, waiting):
    response = api_as(agent).post(f"{ROOMS}{waiting.pk}/take/")

    assert response.status_code == 400
    assert response.json()["code"] == "max_chats_reached"
    assert "maximum of 2 chats" in response.json()["detail"]


def test_api_resume_at_the_maximum_is_a_400_with_its_code(api_as, at_maximum, agent, waiting):
    put_on_hold(agent, at_maximum[0])
    take_room(agent, waiting)

    response = api_as(agent).post(f"{ROOMS}{at_maximum[0].pk}/resume/")

    assert response.status_code == 400
    assert response.json()["code"] == "max_chats_reached"


def test_sidebar_says_the_agent_is_at_their_maximum(client, at_maximum, agent, waiting):
    client.force_login(agent)

    page = client.get(reverse("omnichannel-sidebar")).content.decode()

    assert "data-take-limit" in page
    assert "You serve your maximum of 2 chats" in page


def test_sidebar_says_nothing_of_the_maximum_below_it(client, agent, write_as_contact, waiting):
    User.objects.filter(pk=agent.pk).update(max_chats=2)
    take_room(agent, write_as_contact(visitor="one").room)
    client.force_login(agent)

    page = client.get(reverse("omnichannel-sidebar")).content.decode()

    assert "data-take-limit" not in page
