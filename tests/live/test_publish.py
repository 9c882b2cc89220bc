"""Live events too big for the channel layer reach their groups as a hint to fetch instead."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from omnichannel.realtime import MAX_EVENT_BYTES, publish, publish_each


def listening(group: str):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return lambda: async_to_sync(layer.receive)(channel)["event"]


@pytest.fixture
def huge_fragment() -> dict:
    return {"type": "message.created", "html": "x" * (MAX_EVENT_BYTES + 1)}


def test_an_event_too_big_for_the_layer_is_published_as_a_refresh(huge_fragment):
    received = listening("room.1")

    publish(["room.1"], huge_fragment)

    event = received()
    assert (event["type"], event["reason"], event["for"]) == (
        "refresh",
        "too_big",
        "message.created",
    )


def test_each_group_gets_its_own_event_and_a_refresh_for_one_too_big(huge_fragment):
    first, second = listening("visitor.1"), listening("visitor.2")

    publish_each(
        [("visitor.1", {"type": "queue.position", "position": 1}), ("visitor.2", huge_fragment)]
    )

    assert first() == {"type": "queue.position", "position": 1}
    assert second()["type"] == "refresh"
