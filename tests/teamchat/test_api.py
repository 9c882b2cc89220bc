"""Team chat over the REST API: what each caller may see, and what they may do."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from teamchat import services
from teamchat.models import Chat, Membership

pytestmark = pytest.mark.django_db

CHATS = "/api/v1/chats/"
TEAMS = "/api/v1/teams/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.fixture
def api_as():
    def client_for(user):
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# --- listing ----------------------------------------------------------------------------------


def test_member_lists_their_channel_group_direct_and_team(
    api_as, agent, channel, group, direct, private_team
):
    response = api_as(agent).get(CHATS)

    assert response.status_code == 200
    main = Chat.objects.get(team=private_team, is_team_main=True)
    assert set(ids(response)) == {channel.pk, group.pk, direct.pk, main.pk}


def test_outsider_sees_only_the_public_channel(
    api_as, outsider_agent, channel, group, direct, private_team
):
    response = api_as(outsider_agent).get(CHATS)

    assert ids(response) == [channel.pk]
    assert response.json()["results"][0]["member"] is False


def test_direct_message_is_titled_with_the_other_person(api_as, agent, other_agent, direct):
    response = api_as(agent).get(CHATS, {"kind": "direct"})

    assert [row["title"] for row in response.json()["results"]] == [other_agent.display_name]


def test_list_shows_the_callers_unread_and_mention_counts(api_as, agent, other_agent, channel):
    services.post_message(agent, channel, text="hello @blair")

    row = api_as(other_agent).get(CHATS).json()["results"][0]

    assert (row["unread"], row["mentions"], row["member_count"]) == (1, 1, 2)


def test_private_group_is_404_to_a_non_member(api_as, outsider_agent, group):
    response = api_as(outsider_agent).get(f"{CHATS}{group.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_direct_message_is_404_to_a_third_agent(api_as, outsider_agent, direct):
    response = api_as(outsider_agent).get(f"{CHATS}{direct.pk}/messages/")

    assert response.status_code == 404


def test_private_group_messages_are_404_to_a_non_member(api_as, outsider_agent, agent, group):
    services.post_message(agent, group, text="the plan")

    response = api_as(outsider_agent).get(f"{CHATS}{group.pk}/messages/")

    assert response.status_code == 404


def test_private_team_is_invisible_to_a_non_member(api_as, outsider_agent, private_team):
    assert api_as(outsider_agent).get(TEAMS).json()["results"] == []
    assert api_as(outsider_agent).get(f"{TEAMS}{private_team.pk}/").status_code == 404


def test_unknown_kind_filter_is_a_400(api_as, agent):
    response = api_as(agent).get(CHATS, {"kind": "bogus"})

    assert response.status_code == 400


# --- creating ---------------------------------------------------------------------------------


def test_agent_creates_a_channel_with_members(api_as, agent, other_agent):
    response = api_as(agent).post(CHATS, {"name": "ops", "members": ["blair"]}, format="json")

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["member_count"]) == ("channel", 2)


def test_private_flag_creates_a_private_group(api_as, agent):
    response = api_as(agent).post(CHATS, {"name": "hush", "private": True}, format="json")

    assert response.json()["kind"] == "group"


def test_duplicate_name_is_a_409_with_its_code(api_as, agent, channel):
    response = api_as(agent).post(CHATS, {"name": "GENERAL"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_name"


def test_invalid_name_is_a_400(api_as, agent):
    response = api_as(agent).post(CHATS, {"name": "two words"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_name"


def test_unknown_member_is_a_400_naming_them(api_as, agent):
    response = api_as(agent).post(CHATS, {"name": "ops", "members": ["nobody"]}, format="json")

    assert response.status_code == 400
    assert "nobody" in response.json()["detail"]


def test_channel_in_a_team_the_caller_cannot_see_is_refused(api_as, outsider_agent, private_team):
    response = api_as(outsider_agent).post(
        CHATS, {"name": "sneaky", "team": private_team.pk}, format="json"
    )

    assert response.status_code == 400
    assert not Chat.objects.filter(name="sneaky").exists()


def test_direct_message_is_opened_once(api_as, agent, other_agent, direct):
    response = api_as(agent).post(f"{CHATS}direct/", {"members": ["blair"]}, format="json")

    assert response.status_code == 200
    assert response.json()["id"] == direct.pk


def test_agent_creates_a_team(api_as, agent):
    response = api_as(agent).post(TEAMS, {"name": "day-shift"}, format="json")

    assert response.status_code == 201
    assert response.json()["member"] is True
    assert response.json()["main_chat"]


# --- joining, leaving, inviting -----------------------------------------------------------------


def test_outsider_joins_a_public_channel(api_as, outsider_agent, channel):
    response = api_as(outsider_agent).post(f"{CHATS}{channel.pk}/join/")

    assert response.status_code == 200
    assert response.json()["member"] is True


def test_member_leaves_a_channel(api_as, other_agent, channel):
    response = api_as(other_agent).post(f"{CHATS}{channel.pk}/leave/")

    assert response.status_code == 204
    assert not Membership.objects.filter(chat=channel, user=other_agent).exists()


def test_joining_a_private_group_by_its_id_is_a_404(api_as, outsider_agent, group):
    response = api_as(outsider_agent).post(f"{CHATS}{group.pk}/join/")

    assert response.status_code == 404
    assert not Membership.objects.filter(chat=group, user=outsider_agent).exists()


def test_owner_invites_to_a_private_group(api_as, agent, outsider_agent, group):
    response = api_as(agent).post(f"{CHATS}{group.pk}/invite/", {"members": ["olly"]})

    assert response.status_code == 200
    assert Membership.objects.filter(chat=group, user=outsider_agent).exists()


def test_plain_member_cannot_invite_to_a_private_group(api_as, other_agent, outsider_agent, group):
    response = api_as(other_agent).post(f"{CHATS}{group.pk}/invite/", {"members": ["olly"]})

    assert response.status_code == 403
    assert response.json()["code"] == "not_owner"


# --- messages ---------------------------------------------------------------------------------


def test_member_posts_a_message(api_as, agent, channel):
    response = api_as(agent).post(f"{CHATS}{channel.pk}/messages/", {"text": "**hi**"})

    assert response.status_code == 201
    assert "<strong>hi</strong>" in response.json()["html"]


def test_non_member_cannot_post_in_a_public_channel(api_as, outsider_agent, channel):
    response = api_as(outsider_agent).post(f"{CHATS}{channel.pk}/messages/", {"text": "hi"})

    assert response.status_code == 403
    assert response.json()["code"] == "not_member"


def test_empty_message_is_a_400(api_as, agent, channel):
    response = api_as(agent).post(f"{CHATS}{channel.pk}/messages/", {"text": "   "})

    assert response.status_code == 400


def test_messages_are_listed_newest_first_in_pages(api_as, agent, channel):
    for n in range(3):
        services.post_message(agent, channel, text=f"m{n}")

    response = api_as(agent).get(f"{CHATS}{channel.pk}/messages/", {"page_size": 2})

    body = response.json()
    assert [row["text"] for row in body["results"]] == ["m2", "m1"]
    assert body["next"]


def test_thread_replies_are_listed_under_their_thread_only(api_as, agent, other_agent, channel):
    parent = services.post_message(agent, channel, text="question")
    services.post_message(other_agent, channel, text="answer", thread=parent.pk)
    client = api_as(agent)

    top = client.get(f"{CHATS}{channel.pk}/messages/").json()["results"]
    replies = client.get(f"{CHATS}{channel.pk}/messages/", {"thread": parent.pk}).json()

    assert "answer" not in [row["text"] for row in top]
    assert [row["text"] for row in replies["results"]] == ["answer"]


def test_invalid_thread_parameter_is_a_400(api_as, agent, channel):
    response = api_as(agent).get(f"{CHATS}{channel.pk}/messages/", {"thread": "x"})

    assert response.status_code == 400


def test_mark_read_clears_the_callers_counts(api_as, agent, other_agent, channel):
    services.post_message(agent, channel, text="news")

    response = api_as(other_agent).post(f"{CHATS}{channel.pk}/read/")

    assert response.status_code == 204
    assert Membership.objects.get(chat=channel, user=other_agent).unread_count == 0


def test_mark_read_by_a_non_member_is_refused(api_as, outsider_agent, channel):
    response = api_as(outsider_agent).post(f"{CHATS}{channel.pk}/read/")

    assert response.status_code == 403


def test_schema_documents_the_team_chat_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    for path in [
        "/api/v1/chats/",
        "/api/v1/chats/{id}/",
        "/api/v1/chats/direct/",
        "/api/v1/chats/{id}/join/",
        "/api/v1/chats/{id}/leave/",
        "/api/v1/chats/{id}/invite/",
        "/api/v1/chats/{id}/read/",
        "/api/v1/chats/{chat_id}/messages/",
        "/api/v1/teams/",
        "/api/v1/teams/{id}/join/",
    ]:
        assert path in schema["paths"], path
