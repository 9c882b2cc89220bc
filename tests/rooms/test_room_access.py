"""The one access check of a room (rooms.selectors.get_room_for), read through a compiled
statement: who gets a room and who gets a 404."""

import pytest
from django.http import Http404

from rooms.models import Room
from rooms.selectors import get_room_for


@pytest.fixture
def room_of_sales_served_by_alex(write_as_contact, other_department, agent):
    """A Sales chat that Alex (a Support agent) serves, as after a transfer."""
    room = write_as_contact(visitor="sales-visitor", to=other_department).room
    Room.objects.filter(pk=room.pk).update(agent=agent, status=Room.Status.TAKEN)
    return room


@pytest.mark.django_db
def test_an_agent_gets_a_room_of_their_department(queued_room, other_agent):
    assert get_room_for(other_agent, queued_room.pk).pk == queued_room.pk


@pytest.mark.django_db
def test_an_agent_of_another_department_gets_a_404(queued_room, outsider_agent):
    with pytest.raises(Http404):
        get_room_for(outsider_agent, queued_room.pk)


@pytest.mark.django_db
def test_an_agent_gets_the_room_they_serve_outside_their_departments(
    room_of_sales_served_by_alex, agent
):
    room = get_room_for(agent, room_of_sales_served_by_alex.pk, information=True)

    assert room.agent == agent


@pytest.mark.django_db
def test_a_colleague_does_not_get_a_room_their_colleague_serves_elsewhere(
    room_of_sales_served_by_alex, other_agent
):
    with pytest.raises(Http404):
        get_room_for(other_agent, room_of_sales_served_by_alex.pk)


@pytest.mark.django_db
def test_a_manager_gets_a_room_of_any_department(room_of_sales_served_by_alex, supervisor):
    assert get_room_for(supervisor, room_of_sales_served_by_alex.pk).pk == (
        room_of_sales_served_by_alex.pk
    )


@pytest.mark.django_db
def test_a_missing_room_is_a_404_as_one_not_theirs(agent):
    with pytest.raises(Http404):
        get_room_for(agent, 987654321)


@pytest.mark.django_db
def test_a_room_id_past_the_column_range_is_a_404(agent):
    with pytest.raises(Http404):
        get_room_for(agent, 7235307072540028090300865985082)


@pytest.mark.django_db
def test_an_inactive_agent_gets_a_404(queued_room, other_agent):
    other_agent.is_active = False

    with pytest.raises(Http404):
        get_room_for(other_agent, queued_room.pk)
