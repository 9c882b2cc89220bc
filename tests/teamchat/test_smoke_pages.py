"""Every team chat page renders for a member (a quick guard against template mistakes)."""

import pytest

from teamchat import services

pytestmark = pytest.mark.django_db


def test_member_pages_render(client_of, agent, other_agent, channel, private_team):
    message = services.post_message(other_agent, channel, text="Hi @alex, *look*")
    reply = services.post_message(agent, channel, text="seen", thread=message.pk)
    services.toggle_reaction(agent, message, emoji=services.REACTIONS[0])
    services.set_pinned(agent, message, pinned=True)
    client = client_of(agent)
    urls = [
        "/",
        f"/chat/{channel.pk}/",
        f"/chat/{channel.pk}/threads/{message.pk}/",
        f"/chat/{channel.pk}/pinned/",
        f"/chat/{channel.pk}/members/",
        f"/chat/{channel.pk}/messages/new/?after=0",
        f"/chat/{channel.pk}/messages/{reply.pk}/edit/",
        "/chat/directory/",
        "/chat/directory/?tab=users",
        "/chat/directory/?tab=teams",
        "/chat/search/?q=gen",
        "/chat/new/",
        "/chat/teams/new/",
        "/chat/direct/new/",
        f"/chat/teams/{private_team.pk}/",
        f"/chat/teams/{private_team.pk}/new/",
        f"/chat/users/{other_agent.username}/",
        "/chat/sidebar/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
