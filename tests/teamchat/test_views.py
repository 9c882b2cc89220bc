"""Team chat pages and fragments, as a signed-in agent sees them."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from teamchat import services
from teamchat.models import Chat, ChatMessage, DisplayPreference
from tests.teamchat.test_services import PNG

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def test_the_sidebar_has_search_directory_and_display_options(client_of, agent):
    page = client_of(agent).get("/").content.decode()

    for name in ("Search", "Directory", "Display options"):
        assert f'aria-label="{name}"' in page
        assert f'title="{name}"' in page


def test_the_sidebar_lists_my_chats_with_unread_counts_and_mention_marks(
    client_of, agent, other_agent, channel, direct
):
    services.post_message(agent, channel, text="@blair look")
    services.post_message(agent, channel, text="and this")

    page = client_of(other_agent).get("/").content.decode()

    item = re.search(rf'data-chat-item="{channel.pk}".*?</li>', page, re.S).group()
    assert "general" in item
    assert re.search(r"data-unread-count>2<", item)
    assert re.search(r'class="mention-mark" data-mentions title="You were mentioned">', item)
    assert agent.display_name in page  # the direct message, named for the other person


def test_creating_a_channel_opens_it(client_of, agent, other_agent):
    response = client_of(agent).post(
        "/chat/new/", {"name": "launch", "members": "@blair"}, follow=True
    )

    chat = Chat.objects.get(name="launch")
    assert response.redirect_chain[-1][0] == f"/chat/{chat.pk}/"
    assert chat.memberships.filter(user=other_agent).exists()


def test_a_duplicate_name_is_a_clear_form_error(client_of, agent, channel):
    response = client_of(agent).post("/chat/new/", {"name": "GENERAL"})

    assert response.status_code == 400
    assert "already taken" in response.content.decode()


def test_unknown_members_are_named_in_the_error(client_of, agent):
    response = client_of(agent).post("/chat/new/", {"name": "launch", "members": "ghost"})

    assert response.status_code == 400
    assert "Nobody is called ghost" in response.content.decode()


def test_creating_a_team_and_a_direct_message(client_of, agent, other_agent):
    client = client_of(agent)
    client.post("/chat/teams/new/", {"name": "nights", "private": "on", "members": "blair"})
    response = client.post("/chat/direct/new/", {"members": "blair"})

    assert Chat.objects.get(name="nights").kind == Chat.Kind.GROUP
    direct = Chat.objects.get(kind=Chat.Kind.DIRECT)
    assert response["Location"] == f"/chat/{direct.pk}/"


def test_posting_answers_scripts_with_the_rendered_message(client_of, agent, channel):
    response = client_of(agent).post(
        f"/chat/{channel.pk}/messages/", {"text": "*hello*"}, headers=HTMX
    )

    assert response.status_code == 200
    assert "<strong>hello</strong>" in response.content.decode()


def test_a_refused_post_says_why(client_of, agent, channel):
    services.set_archived(agent, channel, archived=True)

    response = client_of(agent).post(f"/chat/{channel.pk}/messages/", {"text": "x"}, headers=HTMX)

    assert response.status_code == 400
    assert "read-only" in response.content.decode()


def test_an_archived_room_shows_no_composer(client_of, agent, channel):
    services.set_archived(agent, channel, archived=True)

    page = client_of(agent).get(f"/chat/{channel.pk}/").content.decode()

    assert "read-only" in page
    assert 'name="text"' not in page


def test_the_upload_control_follows_the_setting(client_of, agent, channel, settings):
    client = client_of(agent)
    assert 'type="file"' not in client.get(f"/chat/{channel.pk}/").content.decode()
    upload = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    refused = client.post(
        f"/chat/{channel.pk}/messages/", {"text": "", "files": upload}, headers=HTMX
    )
    assert refused.status_code == 400

    settings.TEAMCHAT_ALLOW_FILES = True
    assert 'type="file"' in client.get(f"/chat/{channel.pk}/").content.decode()
    upload = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    sent = client.post(f"/chat/{channel.pk}/messages/", {"text": "", "files": upload}, headers=HTMX)
    assert sent.status_code == 200
    token = ChatMessage.objects.get(chat=channel, kind="user").files.get().token
    served = client.get(f"/chat/{channel.pk}/files/{token}/")
    assert served["Content-Security-Policy"] == "sandbox"


def test_editing_shows_edited(client_of, agent, channel):
    message = services.post_message(agent, channel, text="teh")
    client = client_of(agent)

    form = client.get(f"/chat/{channel.pk}/messages/{message.pk}/edit/", headers=HTMX)
    assert "teh</textarea>" in form.content.decode()
    response = client.post(
        f"/chat/{channel.pk}/messages/{message.pk}/edit/", {"text": "the"}, headers=HTMX
    )

    assert "(edited)" in response.content.decode()


def test_only_the_author_gets_the_edit_form(client_of, other_agent, agent, channel):
    message = services.post_message(agent, channel, text="mine")

    response = client_of(other_agent).get(f"/chat/{channel.pk}/messages/{message.pk}/edit/")

    assert response.status_code == 404


def test_deleting_reacting_and_pinning(client_of, agent, other_agent, channel):
    message = services.post_message(agent, channel, text="news")
    client = client_of(other_agent)
    base = f"/chat/{channel.pk}/messages/{message.pk}"

    reacted = client.post(f"{base}/react/", {"emoji": services.REACTIONS[0]}, headers=HTMX)
    assert f"{services.REACTIONS[0]} 1" in reacted.content.decode()
    pinned = client.post(f"{base}/pin/", {"pinned": "1"}, headers=HTMX)
    assert "Unpin message" in pinned.content.decode()
    pins = client.get(f"/chat/{channel.pk}/pinned/", headers=HTMX).content.decode()
    assert "news" in pins

    refused = client.post(f"{base}/delete/", headers=HTMX)
    assert refused.status_code == 400
    deleted = client_of(agent).post(f"{base}/delete/", headers=HTMX)
    assert "This message was deleted." in deleted.content.decode()


def test_a_thread_panel_lists_replies_and_has_its_composer(client_of, agent, other_agent, channel):
    first = services.post_message(agent, channel, text="Who covers Sunday?")
    services.post_message(other_agent, channel, text="Me!", thread=first.pk)
    client = client_of(agent)

    panel = client.get(f"/chat/{channel.pk}/threads/{first.pk}/", headers=HTMX).content.decode()
    page = client.get(f"/chat/{channel.pk}/").content.decode()

    assert "Me!" in panel
    assert f'name="thread" value="{first.pk}"' in panel
    assert "1 reply" in page
    assert "Me!" not in page


def test_a_message_link_leads_to_the_message(client_of, agent, channel):
    first = services.post_message(agent, channel, text="first")
    reply = services.post_message(agent, channel, text="reply", thread=first.pk)
    client = client_of(agent)

    assert client.get(f"/chat/{channel.pk}/messages/{first.pk}/")["Location"] == (
        f"/chat/{channel.pk}/#message-{first.pk}"
    )
    assert client.get(f"/chat/{channel.pk}/messages/{reply.pk}/")["Location"] == (
        f"/chat/{channel.pk}/threads/{first.pk}/#message-{reply.pk}"
    )


def test_reading_clears_the_sidebar_counts(client_of, agent, other_agent, channel):
    services.post_message(agent, channel, text="@blair hi")
    client = client_of(other_agent)

    assert client.post(f"/chat/{channel.pk}/read/").status_code == 204

    sidebar = client.get("/chat/sidebar/").content.decode()
    assert "data-unread hidden" in sidebar
    assert 'data-mentions title="You were mentioned" hidden' in sidebar


def test_display_options_are_remembered(client_of, agent):
    client = client_of(agent)
    services.create_chat(agent, name="zeta")
    services.create_chat(agent, name="alpha")

    response = client.post(
        "/chat/display/", {"sort": "name", "show_avatars": "", "next": "/"}, headers=HTMX
    )

    saved = DisplayPreference.objects.get(user=agent)
    assert (saved.sort, saved.group_by_type, saved.show_avatars) == ("name", False, False)
    assert response.content.decode().index("alpha") < response.content.decode().index("zeta")
    page = client.get("/").content.decode()
    assert "no-avatars" in page
    assert re.search(r'name="sort" value="name" checked', page)


def test_search_lists_what_matches_first_result_first(client_of, agent, other_agent, channel):
    services.create_chat(agent, name="general-news")

    page = client_of(agent).get("/chat/search/", {"q": "GENERAL"}, headers=HTMX)

    text = page.content.decode()
    assert re.search(rf'href="/chat/{channel.pk}/" data-first-result', text)
    assert "general-news" in text
    assert client_of(agent).get("/chat/search/", {"q": "blair"}).status_code == 200


def test_the_directory_sorts_and_counts_members(client_of, agent, other_agent, outsider_agent):
    small = services.create_chat(agent, name="aa-small")
    services.create_chat(agent, name="zz-big", members=[other_agent, outsider_agent])
    client = client_of(outsider_agent)

    by_name = client.get("/chat/directory/", {"sort": "name"}, headers=HTMX).content.decode()
    by_members = client.get("/chat/directory/", {"sort": "members"}, headers=HTMX)

    assert by_name.index("aa-small") < by_name.index("zz-big")
    text = by_members.content.decode()
    assert text.index("zz-big") < text.index("aa-small")
    assert re.search(r"zz-big</a> <span class=\"tag\">Joined</span></td><td>3</td>", text)
    assert f'href="/chat/{small.pk}/"' in text


def test_the_directory_lists_users_and_teams(client_of, agent, other_agent):
    # Fixed names: a random one could contain the searched letters too.
    other_agent.first_name, other_agent.last_name = "Blair", "Stone"
    other_agent.save()
    services.create_team(agent, name="day-shift", members=[other_agent])
    client = client_of(other_agent)

    users = client.get("/chat/directory/", {"tab": "users", "q": "ale"}).content.decode()
    teams = client.get("/chat/directory/", {"tab": "teams"}, headers=HTMX).content.decode()

    assert f"@{agent.username}" in users
    assert f"@{other_agent.username}" not in users
    assert re.search(r"day-shift</a> <span class=\"tag\">Joined</span></td><td>2</td>", teams)


def test_members_panel_invites_and_owners_remove(
    client_of, agent, other_agent, outsider_agent, group
):
    client = client_of(agent)

    added = client.post(f"/chat/{group.pk}/members/", {"members": "olly"}, headers=HTMX)
    assert outsider_agent.display_name in added.content.decode()
    removed = client.post(f"/chat/{group.pk}/members/{outsider_agent.pk}/remove/", headers=HTMX)
    assert outsider_agent.display_name not in removed.content.decode()

    refused = client_of(other_agent).post(
        f"/chat/{group.pk}/members/{agent.pk}/remove/", headers=HTMX
    )
    assert refused.status_code == 400


def test_leaving_a_private_group_leads_to_the_directory(client_of, other_agent, group):
    response = client_of(other_agent).post(f"/chat/{group.pk}/leave/")

    assert response["Location"] == "/chat/directory/"


def test_a_user_page_offers_a_direct_message(client_of, agent, other_agent):
    page = client_of(agent).get(f"/chat/users/{other_agent.username}/").content.decode()

    assert "Direct message" in page
