"""Redis stops while an agent is connected and contacts keep writing (our own redis-server,
never the shared one): nothing is refused, lost or doubled, and the live view catches up."""

import secrets

import pytest
import requests
from websockets.exceptions import ConnectionClosed

from directory.models import Channel
from integrations.apichannel.services import create_api_channel
from integrations.facebook.models import WebhookEvent
from rooms.models import Message
from tests.facebook.conftest import APP_SECRET, entry, payload, text_message
from tests.integration.faults import (
    OwnRedis,
    acme_page,
    agent_socket,
    answered_500,
    api_channel_posts,
    daphne,
    environment,
    facebook_posts,
    next_frame,
    socket_opens,
    visitor_posts,
    wait_until,
)
from tests.live.test_consumers import session_cookie
from tests.servers import database_url_for_servers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

API_SECRET = "api-channel-secret-0123456789"


@pytest.fixture
def own_redis(tmp_path):
    redis = OwnRedis(tmp_path)
    redis.start()
    yield redis
    redis.crash()


@pytest.fixture
def channels(department):
    create_api_channel(name="SMS", key="sms", department=department, secret=API_SECRET)
    acme_page(department)


def test_contacts_keep_writing_while_redis_is_down_and_the_live_view_catches_up(
    own_redis, channels, agent, tmp_path
):
    env = environment(database_url_for_servers(), REDIS_URL=own_redis.url)
    cookie = session_cookie(agent).decode()
    with daphne(env, tmp_path / "daphne.log") as (base_url, server):
        with agent_socket(base_url, cookie) as before:
            first = visitor_posts(base_url, secrets.token_urlsafe(32), "Before the outage")
            assert first.status_code == 201
            assert next_frame(before, "queue.added")["type"] == "queue.added"

            own_redis.crash()

            # The tab's socket ends (live.js shows "Reconnecting…" and retries with back-off).
            with pytest.raises(ConnectionClosed):
                next_frame(before, "never", timeout=15)

        answers = []
        widget_texts = [f"During the outage, visitor {n}" for n in range(5)]
        for text in widget_texts:
            answers.append(visitor_posts(base_url, secrets.token_urlsafe(32), text))
        api_texts = [f"During the outage, API message {n}" for n in range(3)]
        for n, text in enumerate(api_texts):
            answers.append(api_channel_posts(base_url, "sms", API_SECRET, f"out-{n}", text))
        mids = [f"m_outage_{n}" for n in range(2)]
        for mid in mids:
            body = payload(entry(text_message(f"Facebook {mid}", mid=mid, psid=f"90{mid[-1]}")))
            answers.append(facebook_posts(base_url, body, APP_SECRET))
        assert [a.status_code for a in answers] == [201] * 8 + [200] * 2
        assert all(a.elapsed.total_seconds() < 5 for a in answers), [a.elapsed for a in answers]

        own_redis.start()

        # A reconnecting tab gets a socket again (no server restart) and live events flow...
        wait_until(
            lambda: socket_opens(base_url, cookie),
            timeout=20,
            what="a socket after Redis returned",
        )
        with agent_socket(base_url, cookie) as after:
            visitor_posts(base_url, secrets.token_urlsafe(32), "After the outage")
            assert next_frame(after, "queue.added")["type"] == "queue.added"
        # ...and re-fetches its fragments: every chat written during the outage is listed.
        sidebar = _get(base_url, "/rooms/sidebar/", cookie)
        log = server.output()

    for text in widget_texts:
        message = Message.objects.get(text=text, channel=Channel.LIVECHAT)
        assert f'data-queued-room="{message.room_id}"' in sidebar
    for text in api_texts:
        message = Message.objects.get(text=text, channel=Channel.API)
        assert f'data-queued-room="{message.room_id}"' in sidebar
    # Facebook calls are kept raw and queued for the worker, once each.
    stored = WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED)
    assert sorted(e.body.split('"mid": "')[1].split('"')[0] for e in stored) == mids
    assert Message.objects.filter(text__startswith="During the outage").count() == 8
    assert "Could not publish" in log  # the failure is logged...
    assert answered_500(log) == []  # ...never answered as 500


def _get(base_url: str, path: str, cookie: str) -> str:
    response = requests.get(
        base_url + path, headers={"Cookie": cookie, "HX-Request": "true"}, timeout=10
    )
    assert response.status_code == 200, response.status_code
    return response.text
