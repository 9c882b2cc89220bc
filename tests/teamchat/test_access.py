"""The access matrix: private groups, direct messages and private teams (with their channels)
are invisible to non-members in the sidebar, Search, the Directory, every page and the
socket's watch check; public channels are visible to all, with a preview and Join."""

import pytest

from teamchat import services
from teamchat.selectors import can_watch, main_chat_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden(agent, other_agent, group, direct, private_team):
    """Every kind of chat olly may not see, each with a message."""
    rota = services.create_chat(agent, name="rota-channel", team=private_team)
    chats = [group, direct, main_chat_of(private_team), rota]
    messages = [services.post_message(agent, chat, text="classified") for chat in chats]
    return {"chats": chats, "messages": messages, "team": private_team}


def chat_pages(chat, message) -> list[str]:
    base = f"/chat/{chat.pk}"
    return [
        f"{base}/",
        f"{base}/messages/new/",
        f"{base}/messages/{message.pk}/",
        f"{base}/messages/{message.pk}/edit/",
        f"{base}/threads/{message.pk}/",
        f"{base}/pinned/",
        f"{base}/members/",
        f"{base}/files/anything/",
    ]


def chat_actions(chat, message) -> list[tuple[str, dict]]:
    base = f"/chat/{chat.pk}"
    return [
        (f"{base}/messages/", {"text": "let me in"}),
        (f"{base}/messages/{message.pk}/react/", {"emoji": services.REACTIONS[0]}),
        (f"{base}/messages/{message.pk}/pin/", {"pinned": "1"}),
        (f"{base}/messages/{message.pk}/delete/", {}),
        (f"{base}/members/", {"members": "olly"}),
        (f"{base}/join/", {}),
        (f"{base}/leave/", {}),
        (f"{base}/rename/", {"name": "mine"}),
        (f"{base}/archive/", {"archived": "1"}),
        (f"{base}/read/", {}),
    ]


def test_non_members_get_404_from_every_page_and_action(client_of, outsider_agent, hidden):
    client = client_of(outsider_agent)
    for chat, message in zip(hidden["chats"], hidden["messages"], strict=True):
        for url in chat_pages(chat, message):
            assert client.get(url).status_code == 404, url
        for url, data in chat_actions(chat, message):
            assert client.post(url, data).status_code == 404, url
    team_id = hidden["team"].pk
    assert client.get(f"/chat/teams/{team_id}/").status_code == 404
    assert client.get(f"/chat/teams/{team_id}/new/").status_code == 404
    assert client.post(f"/chat/teams/{team_id}/join/").status_code == 404


def test_members_open_the_same_pages(client_of, other_agent, hidden):
    client = client_of(other_agent)
    for chat, message in zip(hidden["chats"][:3], hidden["messages"][:3], strict=True):
        pages = [url for url in chat_pages(chat, message) if "/edit/" not in url]
        for url in pages[:-1]:
            assert client.get(url).status_code in (200, 302), url


def test_non_members_never_see_them_in_the_sidebar(client_of, outsider_agent, hidden):
    page = client_of(outsider_agent).get("/").content.decode()

    for name in ("secret-plans", "night-shift", "rota-channel", "classified"):
        assert name not in page


def test_non_members_never_find_them_in_search(client_of, outsider_agent, agent, hidden):
    client = client_of(outsider_agent)
    for query in ("secret", "night", "rota", agent.username):
        page = client.get("/chat/search/", {"q": query}, headers={"HX-Request": "true"})
        text = page.content.decode()
        assert "secret-plans" not in text
        assert "night-shift" not in text
        assert "rota-channel" not in text
        assert "Direct message" not in text


def test_members_find_them_in_search(client_of, other_agent, agent, hidden):
    client = client_of(other_agent)
    for query, expected in (("secret", "secret-plans"), ("night", "night-shift")):
        page = client.get("/chat/search/", {"q": query}, headers={"HX-Request": "true"})
        assert expected in page.content.decode()
    page = client.get("/chat/search/", {"q": agent.username}, headers={"HX-Request": "true"})
    assert "Direct message" in page.content.decode()


def test_non_members_never_see_them_in_the_directory(client_of, outsider_agent, channel, hidden):
    client = client_of(outsider_agent)
    channels = client.get("/chat/directory/", {"tab": "channels"}).content.decode()
    teams = client.get("/chat/directory/", {"tab": "teams"}).content.decode()

    assert "general" in channels
    for name in ("secret-plans", "rota-channel"):
        assert name not in channels
    assert "night-shift" not in teams


def test_members_see_their_private_rooms_in_the_directory(client_of, other_agent, hidden):
    client = client_of(other_agent)
    channels = client.get("/chat/directory/", {"tab": "channels"}).content.decode()
    teams = client.get("/chat/directory/", {"tab": "teams"}).content.decode()

    assert "secret-plans" in channels
    assert "rota-channel" in channels
    assert "night-shift" in teams


def test_the_socket_check_refuses_non_members(outsider_agent, other_agent, hidden):
    for chat in hidden["chats"]:
        assert not can_watch(outsider_agent, chat.pk)
    for chat in hidden["chats"][:3]:
        assert can_watch(other_agent, chat.pk)
    assert not can_watch(outsider_agent, 999_999)


def test_a_public_channel_shows_a_preview_and_join_to_others(client_of, outsider_agent, channel):
    services.post_message(channel.created_by, channel, text="Welcome all")
    client = client_of(outsider_agent)

    page = client.get(f"/chat/{channel.pk}/").content.decode()
    assert "Welcome all" in page
    assert "preview" in page
    assert ">Join</button>" in page
    assert 'name="text"' not in page

    response = client.post(f"/chat/{channel.pk}/join/")
    assert response.status_code == 302
    page = client.get(f"/chat/{channel.pk}/").content.decode()
    assert 'name="text"' in page


def test_a_public_teams_channels_are_visible_and_a_private_teams_are_not(
    agent, outsider_agent, private_team
):
    public_team = services.create_team(agent, name="day-shift")
    open_channel = services.create_chat(agent, name="day-news", team=public_team)
    closed_channel = services.create_chat(agent, name="night-news", team=private_team)

    assert can_watch(outsider_agent, open_channel.pk)
    assert not can_watch(outsider_agent, closed_channel.pk)


def test_removed_members_lose_access_to_a_private_group(agent, other_agent, group):
    services.remove_member(agent, group, user=other_agent)

    assert not can_watch(other_agent, group.pk)
