import pytest

from accounts.services import set_queue_enabled
from queues.errors import NotEligible, NotInQueue, RoomAlreadyTaken
from queues.selectors import queued_rooms_for
from queues.services import return_to_queue, take_room
from rooms.errors import NotServingRoom, RoomClosed
from rooms.models import Room
from rooms.services import close_room

pytestmark = pytest.mark.django_db


def test_agent_takes_a_queued_chat(queued_room, agent):
    room = take_room(agent, queued_room)

    assert room.status == Room.Status.TAKEN
    assert room.agent == agent
    assert room.taken_at is not None


def test_second_taker_is_told_the_chat_is_taken(queued_room, agent, other_agent):
    take_room(agent, queued_room)

    with pytest.raises(RoomAlreadyTaken):
        take_room(other_agent, queued_room)
    queued_room.refresh_from_db()
    assert queued_room.agent == agent


def test_taken_chat_leaves_everyones_queued_list(queued_room, agent, other_agent):
    take_room(agent, queued_room)

    assert list(queued_rooms_for(other_agent)) == []


def test_agent_of_another_department_cannot_take(queued_room, outsider_agent):
    with pytest.raises(NotEligible, match="department you are not assigned to"):
        take_room(outsider_agent, queued_room)
    queued_room.refresh_from_db()
    assert queued_room.status == Room.Status.QUEUED


def test_agent_with_queue_disabled_cannot_take(queued_room, agent):
    set_queue_enabled(agent, enabled=False)

    with pytest.raises(NotEligible, match="Enable your Omnichannel queue"):
        take_room(agent, queued_room)


def test_user_without_agent_role_cannot_take(queued_room, plain_user):
    with pytest.raises(NotEligible, match="LiveChat Agent role"):
        take_room(plain_user, queued_room)


def test_closed_chat_cannot_be_taken(queued_room, agent, supervisor):
    close_room(supervisor, queued_room, comment="spam")

    with pytest.raises(RoomClosed):
        take_room(agent, queued_room)


def test_move_to_queue_clears_agent_and_requeues(taken_room, agent):
    room = return_to_queue(agent, taken_room)

    assert room.status == Room.Status.QUEUED
    assert room.agent is None
    assert room in queued_rooms_for(agent)


def test_move_to_queue_leaves_a_system_message_naming_the_agent(taken_room, agent):
    return_to_queue(agent, taken_room)

    last = taken_room.messages.order_by("-id").first()
    assert last.system_code == "returned"
    assert last.system_data["agent"] == agent.display_name


def test_move_to_queue_keeps_the_original_queue_time(taken_room, agent):
    queued_at = taken_room.queued_at
    first_wait = taken_room.queue_seconds

    room = return_to_queue(agent, taken_room)

    assert room.queued_at == queued_at
    assert room.queue_seconds == first_wait


def test_another_agent_cannot_move_my_chat_to_the_queue(taken_room, other_agent):
    with pytest.raises(NotServingRoom):
        return_to_queue(other_agent, taken_room)


def test_supervisor_can_move_an_agents_chat_to_the_queue(taken_room, supervisor, agent):
    room = return_to_queue(supervisor, taken_room)

    assert room.status == Room.Status.QUEUED
    assert room.messages.order_by("-id").first().system_data["agent"] == supervisor.display_name


def test_queued_chat_cannot_be_moved_to_the_queue_again(queued_room, agent):
    with pytest.raises(NotInQueue):
        return_to_queue(agent, queued_room)


def test_returned_chat_can_be_taken_again(taken_room, agent, other_agent):
    return_to_queue(agent, taken_room)

    room = take_room(other_agent, taken_room)

    assert room.agent == other_agent


def test_queued_chats_are_listed_oldest_first(write_as_contact, agent):
    first = write_as_contact(visitor="a").room
    second = write_as_contact(visitor="b").room

    assert list(queued_rooms_for(agent)) == [first, second]


def test_queued_chats_of_other_departments_are_not_listed(
    write_as_contact, agent, other_department
):
    write_as_contact(visitor="a", to=other_department)

    assert list(queued_rooms_for(agent)) == []


def test_agent_with_queue_off_sees_no_queued_chats(queued_room, agent):
    set_queue_enabled(agent, enabled=False)

    assert list(queued_rooms_for(agent)) == []
