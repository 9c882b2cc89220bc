"""Rooms over the API: filters, ordering, pagination, metrics, the queue actions, history."""

from datetime import timedelta

import pytest
from django.utils import timezone

from directory.models import Channel
from directory.services import get_or_create_contact
from queues.services import take_room
from rooms.models import Message, Room
from rooms.services import close_room, post_agent_message, receive_contact_message

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/rooms/"


def ids(response) -> list[int]:
    return [room["id"] for room in response.json()["results"]]


@pytest.fixture
def three_rooms(write_as_contact, agent, supervisor, other_department):
    """A queued room, one the agent serves, one closed with a tag (in Support), and a queued
    room of Sales."""
    queued = write_as_contact(visitor="q").room
    served = take_room(agent, write_as_contact(visitor="s").room)
    closed = take_room(agent, write_as_contact(visitor="c").room)
    closed = close_room(agent, closed, comment="Refund sent", tags=["Billing"])
    sales = write_as_contact(visitor="x", to=other_department).room
    return {"queued": queued, "served": served, "closed": closed, "sales": sales}


def test_manager_lists_every_room_newest_first(api_as, supervisor, three_rooms):
    response = api_as(supervisor).get(ROOMS)

    expected = [three_rooms[k].pk for k in ("sales", "closed", "served", "queued")]
    assert ids(response) == expected
    assert response.json()["count"] == 4


def test_agent_lists_only_rooms_of_their_departments(api_as, agent, three_rooms):
    response = api_as(agent).get(ROOMS)

    assert three_rooms["sales"].pk not in ids(response)
    assert len(ids(response)) == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=queued", ["sales", "queued"]),
        ("status=closed", ["closed"]),
        ("tag=billing", ["closed"]),
        ("tag=BILLING", ["closed"]),
        ("channel=livechat&status=taken", ["served"]),
        ("channel=api", []),
    ],
)
def test_manager_filters_rooms(api_as, supervisor, three_rooms, query, expected):
    response = api_as(supervisor).get(f"{ROOMS}?{query}")

    assert ids(response) == [three_rooms[name].pk for name in expected]


def test_manager_filters_rooms_by_department_agent_and_contact(api_as, supervisor, three_rooms):
    client = api_as(supervisor)
    sales = three_rooms["sales"]
    served = three_rooms["served"]

    assert ids(client.get(f"{ROOMS}?department={sales.department_id}")) == [sales.pk]
    assert ids(client.get(f"{ROOMS}?agent={served.agent_id}&status=taken")) == [served.pk]
    assert ids(client.get(f"{ROOMS}?contact={served.contact_id}")) == [served.pk]


def test_manager_filters_rooms_by_created_and_closed_dates(api_as, supervisor, three_rooms):
    old = three_rooms["queued"]
    Room.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    client = api_as(supervisor)
    since = (timezone.now() - timedelta(days=1)).isoformat()

    created = client.get(ROOMS, {"created_before": since})
    closed = client.get(ROOMS, {"closed_after": since})

    assert ids(created) == [old.pk]
    assert ids(closed) == [three_rooms["closed"].pk]


def test_manager_orders_rooms_by_a_chosen_field(api_as, supervisor, three_rooms):
    response = api_as(supervisor).get(f"{ROOMS}?ordering=id")

    assert ids(response) == sorted(room.pk for room in three_rooms.values())


def test_manager_pages_through_rooms(api_as, supervisor, three_rooms):
    client = api_as(supervisor)

    first = client.get(f"{ROOMS}?page_size=3").json()
    second = client.get(first["next"]).json()

    assert first["count"] == 4
    assert len(first["results"]) == 3
    assert len(second["results"]) == 1
    assert second["next"] is None


def test_page_size_is_capped_at_one_hundred(api_as, supervisor, three_rooms):
    response = api_as(supervisor).get(f"{ROOMS}?page_size=100000")

    assert response.status_code == 200
    assert len(ids(response)) == 4


def test_room_carries_its_metrics(api_as, agent, three_rooms):
    served = three_rooms["served"]
    post_agent_message(agent, served, text="Hello!")

    body = api_as(agent).get(f"{ROOMS}{served.pk}/").json()

    metrics = body["metrics"]
    assert metrics["taken_at"] is not None
    assert metrics["first_response_at"] is not None
    assert metrics["first_response_seconds"] >= 0
    assert metrics["average_response_seconds"] >= 0
    assert metrics["response_count"] == 1
    assert metrics["queue_seconds"] >= 0
    assert body["agent"]["username"] == agent.username


def test_closed_room_shows_comment_and_tags(api_as, agent, three_rooms):
    body = api_as(agent).get(f"{ROOMS}{three_rooms['closed'].pk}/").json()

    assert body["status"] == "closed"
    assert body["closing_comment"] == "Refund sent"
    assert body["tags"] == ["billing"]


@pytest.mark.parametrize("page_size", [5, 20])
def test_room_list_queries_do_not_grow_with_page_size(
    api_as, supervisor, write_as_contact, agent, django_assert_num_queries, page_size
):
    for n in range(25):
        room = write_as_contact(visitor=f"v{n}").room
        if n % 2:
            close_room(supervisor, room, comment="ok", tags=["a", "b"])
    client = api_as(supervisor)
    client.get(ROOMS)  # warm: nothing cached differs between the two page sizes

    # token+user, groups, count, page, tags
    with django_assert_num_queries(5):
        response = client.get(f"{ROOMS}?page_size={page_size}&status=closed&ordering=-queued_at")

    assert len(response.json()["results"]) == min(page_size, 12)


@pytest.mark.parametrize("page_size", [5, 20])
def test_agent_room_list_queries_do_not_grow_with_page_size(
    api_as, agent, write_as_contact, django_assert_num_queries, page_size
):
    for n in range(25):
        write_as_contact(visitor=f"v{n}")
    client = api_as(agent)

    with django_assert_num_queries(5):
        response = client.get(f"{ROOMS}?page_size={page_size}")

    assert len(response.json()["results"]) == page_size


# --- actions --------------------------------------------------------------------------------


def test_agent_takes_a_queued_room(api_as, agent, queued_room):
    response = api_as(agent).post(f"{ROOMS}{queued_room.pk}/take/")

    assert response.status_code == 200
    assert response.json()["status"] == "taken"
    assert response.json()["agent"]["id"] == agent.pk


def test_second_taker_gets_409_and_the_room_stays_with_the_first(
    api_as, agent, other_agent, queued_room
):
    api_as(agent).post(f"{ROOMS}{queued_room.pk}/take/")

    response = api_as(other_agent).post(f"{ROOMS}{queued_room.pk}/take/")

    assert response.status_code == 409
    assert response.json()["code"] == "room_already_taken"
    queued_room.refresh_from_db()
    assert queued_room.agent == agent


def test_agent_returns_their_room_to_the_queue(api_as, agent, taken_room):
    response = api_as(agent).post(f"{ROOMS}{taken_room.pk}/return-to-queue/")

    assert response.status_code == 200
    assert response.json()["status"] == "queued"
    assert response.json()["agent"] is None


def test_returning_a_queued_room_is_a_conflict(api_as, supervisor, queued_room):
    response = api_as(supervisor).post(f"{ROOMS}{queued_room.pk}/return-to-queue/")

    assert response.status_code == 409
    assert response.json()["code"] == "not_in_queue"


def test_agent_closes_with_comment_and_tags(api_as, agent, taken_room):
    response = api_as(agent).post(
        f"{ROOMS}{taken_room.pk}/close/", {"comment": "Solved", "tags": [" VIP ", "refund"]}
    )

    assert response.status_code == 200
    assert response.json()["tags"] == ["refund", "vip"]
    assert response.json()["closing_comment"] == "Solved"


def test_closing_without_a_comment_is_refused_and_room_stays_open(api_as, agent, taken_room):
    response = api_as(agent).post(f"{ROOMS}{taken_room.pk}/close/", {"comment": "   "})

    assert response.status_code == 400
    assert response.json()["code"] == "comment_required"
    taken_room.refresh_from_db()
    assert taken_room.status == Room.Status.TAKEN


def test_closing_without_the_comment_field_names_it(api_as, agent, taken_room):
    response = api_as(agent).post(f"{ROOMS}{taken_room.pk}/close/", {"tags": ["x"]})

    assert response.status_code == 400
    assert response.json()["fields"] == {"comment": ["This field is required."]}
    assert response.json()["code"] == "required"


def test_closing_a_closed_room_is_a_conflict(api_as, agent, taken_room):
    close_room(agent, taken_room, comment="done")

    response = api_as(agent).post(f"{ROOMS}{taken_room.pk}/close/", {"comment": "again"})

    assert response.status_code == 409
    assert response.json()["code"] == "room_closed"


# --- messages -------------------------------------------------------------------------------


def test_agent_reads_history_newest_first_with_a_cursor(api_as, agent, taken_room):
    for n in range(4):
        post_agent_message(agent, taken_room, text=f"reply {n}")
    client = api_as(agent)

    first = client.get(f"{ROOMS}{taken_room.pk}/messages/?page_size=3").json()
    rest = client.get(first["next"]).json()

    texts = [m["text"] for m in first["results"] + rest["results"]]
    assert texts[:4] == ["reply 3", "reply 2", "reply 1", "reply 0"]
    assert "Hello, I need help" in texts
    assert rest["next"] is None


def test_system_messages_carry_code_and_data(api_as, agent, taken_room):
    body = api_as(agent).get(f"{ROOMS}{taken_room.pk}/messages/").json()

    system = [m for m in body["results"] if m["kind"] == "system"]
    assert system[0]["system_code"] == "taken"
    assert system[0]["system_data"]["agent"] == agent.display_name


def test_agent_posts_a_reply(api_as, agent, taken_room):
    response = api_as(agent).post(f"{ROOMS}{taken_room.pk}/messages/", {"text": "**Hi**"})

    assert response.status_code == 201
    assert response.json()["kind"] == "agent"
    assert "<strong>Hi</strong>" in response.json()["html"]


def test_agent_cannot_send_a_file(api_as, agent, taken_room):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4 test", content_type="application/pdf")

    response = api_as(agent).post(
        f"{ROOMS}{taken_room.pk}/messages/",
        {"text": "see file", "file": upload},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "agent_files_not_allowed"
    assert not Message.objects.filter(room=taken_room, text="see file").exists()


def test_empty_reply_is_refused(api_as, agent, taken_room):
    response = api_as(agent).post(f"{ROOMS}{taken_room.pk}/messages/", {"text": "  "})

    assert response.status_code == 400
    assert response.json()["code"] == "empty_message"


def test_too_long_reply_is_refused_with_the_limit(api_as, agent, taken_room):
    response = api_as(agent).post(f"{ROOMS}{taken_room.pk}/messages/", {"text": "x" * 5001})

    assert response.status_code == 400
    assert response.json()["code"] == "message_too_long"
    assert "5000" in response.json()["detail"]


def test_agent_not_serving_cannot_reply(api_as, other_agent, taken_room):
    response = api_as(other_agent).post(f"{ROOMS}{taken_room.pk}/messages/", {"text": "me too"})

    assert response.status_code == 403
    assert response.json()["code"] == "not_serving_room"


def test_retrying_a_message_that_did_not_fail_is_refused(api_as, agent, taken_room):
    reply = post_agent_message(agent, taken_room, text="fine")

    response = api_as(agent).post(f"{ROOMS}{taken_room.pk}/messages/{reply.pk}/retry/")

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"


def test_message_of_another_room_is_not_found(api_as, agent, taken_room, write_as_contact):
    other = take_room(agent, write_as_contact(visitor="other").room)
    reply = post_agent_message(agent, other, text="elsewhere")

    response = api_as(agent).post(f"{ROOMS}{taken_room.pk}/messages/{reply.pk}/retry/")

    assert response.status_code == 404


# --- queue and tags -------------------------------------------------------------------------


def test_queue_lists_rooms_the_agent_may_take_oldest_first(
    api_as, agent, write_as_contact, other_department
):
    first = write_as_contact(visitor="first").room
    second = write_as_contact(visitor="second").room
    write_as_contact(visitor="sales", to=other_department)

    response = api_as(agent).get("/api/v1/queue/")

    assert ids(response) == [first.pk, second.pk]


def test_agent_with_queue_off_sees_an_empty_queue(api_as, supervisor, queued_room):
    response = api_as(supervisor).get("/api/v1/queue/")

    assert response.json()["results"] == []


def test_tags_are_listed_by_name(api_as, agent, taken_room):
    close_room(agent, taken_room, comment="done", tags=["zeta", "alpha"])

    response = api_as(agent).get("/api/v1/tags/")

    assert [tag["name"] for tag in response.json()["results"]] == ["alpha", "zeta"]


def test_api_room_shows_its_channel_and_source(api_as, supervisor, department):
    contact, _ = get_or_create_contact(channel=Channel.API, external_id="sms:1")
    receive_contact_message(
        contact=contact, channel=Channel.API, department=department, text="hi", source="sms"
    )

    body = api_as(supervisor).get(f"{ROOMS}?channel=api").json()["results"][0]

    assert body["channel"] == "api"
    assert body["source"] == "sms"


def test_time_filter_with_an_unusual_offset_is_compared_in_utc(api_as, supervisor, three_rooms):
    response = api_as(supervisor).get(ROOMS, {"created_after": "2000-01-01T00:00:00+22:03"})

    assert response.status_code == 200
    assert response.json()["count"] == 4


def test_time_filter_out_of_range_is_refused(api_as, supervisor):
    response = api_as(supervisor).get(ROOMS, {"created_after": "0001-01-01T00:00:00+05:00"})

    assert response.status_code == 400
    assert "created_after" in response.json()["fields"]
