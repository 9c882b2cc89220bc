"""Satisfaction survey: the website visitor rates an ended conversation from 1 to 5."""

import pytest
from django.urls import reverse

from productivity.models import SurveyResponse

pytestmark = pytest.mark.django_db


def test_visitor_rates_their_ended_conversation(visitor, closed_visitor_room):
    response = visitor.rate(closed_visitor_room, 4, "Quick and kind")

    assert response.status_code == 201
    survey = SurveyResponse.objects.get(room=closed_visitor_room)
    assert (survey.rating, survey.comment) == (4, "Quick and kind")


@pytest.mark.parametrize("rating", ["0", "6", "", "four", "3.5"])
def test_rating_outside_1_to_5_is_refused_and_nothing_stored(visitor, closed_visitor_room, rating):
    response = visitor.rate(closed_visitor_room, rating)

    assert response.status_code == 400
    assert response.json() == {"detail": "Choose a rating from 1 to 5.", "code": "invalid_rating"}
    assert not SurveyResponse.objects.exists()


def test_conversation_still_going_cannot_be_rated(visitor, served_visitor_room):
    response = visitor.rate(served_visitor_room, 5)

    assert response.status_code == 400
    assert response.json()["code"] == "survey_not_open"
    assert not SurveyResponse.objects.exists()


def test_another_visitors_conversation_cannot_be_rated(other_visitor, closed_visitor_room):
    other_visitor.send("Hi, I am someone else")

    response = other_visitor.rate(closed_visitor_room, 1)

    assert response.status_code == 404
    assert not SurveyResponse.objects.exists()


def test_unknown_visitor_token_cannot_rate(visitor, closed_visitor_room, client):
    response = client.post(
        reverse("livechat:survey", args=["support"]),
        {"room": closed_visitor_room.pk, "rating": 5},
        headers={"X-Visitor-Token": "x" * 43},
    )

    assert response.status_code == 404


def test_conversation_is_rated_once(visitor, closed_visitor_room):
    visitor.rate(closed_visitor_room, 5)

    response = visitor.rate(closed_visitor_room, 1)

    assert response.json()["code"] == "already_rated"
    assert SurveyResponse.objects.get().rating == 5


def test_widget_offers_the_survey_once_the_conversation_ended(visitor, closed_visitor_room):
    fragment = visitor.conversation().content.decode()

    assert "How was this conversation?" in fragment
    assert fragment.count('type="radio" name="rating"') == 5
    assert '<label for="livechat-rating-5"' in fragment
    assert "5 \N{EN DASH} Excellent" in fragment


def test_widget_thanks_the_visitor_after_rating(visitor, closed_visitor_room):
    visitor.rate(closed_visitor_room, 4)

    fragment = visitor.conversation().content.decode()

    assert "Thank you for your rating (4 of 5)." in fragment
    assert 'name="rating"' not in fragment


def test_widget_offers_no_survey_while_the_conversation_goes_on(visitor, served_visitor_room):
    assert 'name="rating"' not in visitor.conversation().content.decode()


def test_rating_shows_in_the_room_information(client, agent, visitor, closed_visitor_room):
    visitor.rate(closed_visitor_room, 4, "Quick and kind")
    client.force_login(agent)

    info = client.get(reverse("room-information", args=[closed_visitor_room.pk])).content.decode()

    assert "4 of 5 (Good)" in info
    assert "Quick and kind" in info


def test_rating_shows_in_the_contacts_history(client, agent, visitor, closed_visitor_room):
    visitor.rate(closed_visitor_room, 2)
    client.force_login(agent)

    page = client.get(
        reverse("contact-center-contact", args=[closed_visitor_room.contact_id])
    ).content.decode()

    assert "2 of 5" in page


def test_contact_page_reads_every_rating_with_the_rooms(
    client, agent, visitor, closed_visitor_room, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from queues.services import take_room
    from rooms.services import close_room

    visitor.rate(closed_visitor_room, 2)
    client.force_login(agent)
    url = reverse("contact-center-contact", args=[closed_visitor_room.contact_id])
    client.get(url)
    with CaptureQueriesContext(connection) as one_rated:
        client.get(url)
    # Read now: the next request clears the connection's query log.
    queries_with_one_rating = len(one_rated)
    visitor.send("Back again")
    close_room(agent, take_room(agent, visitor.room()), comment="Done")
    visitor.rate(visitor.room(), 5)

    with django_assert_num_queries(queries_with_one_rating):
        page = client.get(url).content.decode()

    assert "2 of 5" in page
    assert "5 of 5" in page


def test_rating_updates_the_room_information_live(
    visitor, closed_visitor_room, django_capture_on_commit_callbacks
):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from omnichannel.realtime import room_group

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(room_group(closed_visitor_room.pk), channel)

    with django_capture_on_commit_callbacks(execute=True):
        visitor.rate(closed_visitor_room, 5)

    event = async_to_sync(layer.receive)(channel)["event"]
    assert event["type"] == "room.changed"
    assert event["event"] == "survey.submitted"
    assert "5 of 5" in event["info_html"]
