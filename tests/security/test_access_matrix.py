"""Who may reach what: every page, API endpoint, file, admin page and websocket of the product,
for every persona, in one table.

The table is checked against the URL resolver and the websocket routes: a URL without a row
(or a row without its URL) fails `test_every_url_has_a_row`. Each cell is the status the
persona gets, `L` a redirect to the sign-in page and `A` to admin's. Each request runs in a
savepoint rolled back after it, so every cell starts from the same state. Lists also say who
sees the room's contact (or the private chat's message) in them: 200 must not leak.

Personas, in cell order: anon (no session), othv (a website visitor with another visitor's
token), vis (the visitor whose conversation it is), out (an agent of another department),
agent (the room's agent), lim (a manager limited to another department in the console), mgr
(a manager), gone (an agent deactivated after signing in).

The room, contact, call, files and private chats all belong to the agent's department (or to
the agent). Managers see every room and contact in the agent pages and the API: the console's
department limit ("lim") scopes admin only, as accounts.selectors.supervised_department_ids
says.
"""

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import User
from directory.models import Call, Channel
from directory.services import get_or_create_contact, record_call
from integrations.apichannel.services import create_api_channel
from integrations.webhooks.services import create_subscription
from omnichannel.asgi import application
from omnichannel.routing import websocket_urlpatterns
from productivity.services import create_canned_response
from queues.services import take_room
from rooms.models import Attachment, Room
from rooms.services import IncomingFile, close_room, post_agent_message, receive_contact_message
from teamchat.services import create_chat, create_team
from teamchat.services import post_message as post_chat_message
from tests.factories import AgentFactory, make_manager
from tests.live.test_consumers import session_cookie

PERSONAS = ("anon", "othv", "vis", "out", "agent", "lim", "mgr", "gone")
VISITOR_TOKEN = "V" * 43
OTHER_TOKEN = "O" * 43
CONTACT = "Vera Visitor"
CHAT_TEXT = "The plan for tonight"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: str
    data: dict | None = None
    # Who finds `secret` in the answer: y/n per persona ("-": not checked).
    secret: str = ""
    sees: str = ""


# Cells, in persona order:   anon othv vis out agent lim mgr gone
PUBLIC = "200 200 200 200 200 200 200 200"
SIGNED_IN = "L L L 200 200 200 200 L"
ROOM = "L L L 404 200 200 200 L"
ROOM_ACTION = "L L L 404 302 302 302 L"
ROOM_FORM = "L L L 404 400 400 400 L"
OWN = "L L L 404 200 404 404 L"  # the agent's own chat or canned response
OWN_ACTION = "L L L 404 302 404 404 L"
API = "401 401 401 200 200 200 200 401"
API_ROOM = "401 401 401 404 200 200 200 401"
API_MANAGER = "401 401 401 403 403 200 200 401"
API_OWN = "401 401 401 404 200 404 404 401"  # the agent's own private chat or team
API_INVALID = "401 401 401 400 400 400 400 401"  # an empty body
STAFF = "A A A A A 200 200 A"
# Who sees the room's contact in a list: its department's agent and managers.
SEES_ROOM = "- - - n y y y -"
SEES_OWN = "- - - n y n n -"

ROWS: dict[str, Row] = {
    # Agent pages and their fragments.
    "": Row("get", "/", SIGNED_IN),
    "home/counters/": Row("get", "/home/counters/", SIGNED_IN),
    "jsi18n/": Row("get", "/jsi18n/", PUBLIC),
    "login/": Row("get", "/login/", "200 200 200 302 302 302 302 200"),
    "logout/": Row("post", "/logout/", "L L L L L L L L"),
    "me/": Row("get", "/me/", SIGNED_IN),
    "me/queue/": Row("post", "/me/queue/", "L L L 302 302 302 302 L", {"enabled": "on"}),
    "me/status/": Row("post", "/me/status/", "L L L 302 302 302 302 L", {"status": "away"}),
    "rooms/sidebar/": Row("get", "/rooms/sidebar/", SIGNED_IN, None, CONTACT, "- - - n y n n -"),
    "rooms/<int:room_id>/": Row("get", "/rooms/{room}/", ROOM),
    "rooms/<int:room_id>/take/": Row("post", "/rooms/{room}/take/", ROOM_ACTION),
    "rooms/<int:room_id>/move-to-queue/": Row("post", "/rooms/{room}/move-to-queue/", ROOM_ACTION),
    "rooms/<int:room_id>/close/": Row(
        "post", "/rooms/{room}/close/", ROOM_ACTION, {"comment": "Bye"}
    ),
    "rooms/<int:room_id>/transfer/": Row("post", "/rooms/{room}/transfer/", ROOM_FORM),
    "rooms/<int:room_id>/hold/": Row("post", "/rooms/{room}/hold/", ROOM_ACTION),
    "rooms/<int:room_id>/resume/": Row("post", "/rooms/{room}/resume/", ROOM_ACTION),
    "rooms/<int:room_id>/priority/": Row("post", "/rooms/{room}/priority/", ROOM_FORM),
    "rooms/<int:room_id>/messages/": Row(
        "post", "/rooms/{room}/messages/", ROOM_ACTION, {"text": "Hi"}
    ),
    "rooms/<int:room_id>/messages/new/": Row("get", "/rooms/{room}/messages/new/", ROOM),
    "rooms/<int:room_id>/messages/<int:message_id>/retry/": Row(
        "post", "/rooms/{room}/messages/{reply}/retry/", ROOM_ACTION
    ),
    # Message actions: the room's agent and managers act (a refusal also redirects back).
    "rooms/<int:room_id>/messages/<int:message_id>/": Row(
        "get", "/rooms/{room}/messages/{reply}/", ROOM_ACTION
    ),
    "rooms/<int:room_id>/messages/<int:message_id>/edit/": Row(
        "post", "/rooms/{room}/messages/{reply}/edit/", ROOM_ACTION, {"text": "Edited"}
    ),
    "rooms/<int:room_id>/messages/<int:message_id>/delete/": Row(
        "post", "/rooms/{room}/messages/{reply}/delete/", ROOM_ACTION
    ),
    "rooms/<int:room_id>/messages/<int:message_id>/react/": Row(
        "post", "/rooms/{room}/messages/{reply}/react/", ROOM_ACTION, {"emoji": "👍"}
    ),
    "rooms/<int:room_id>/messages/<int:message_id>/pin/": Row(
        "post", "/rooms/{room}/messages/{reply}/pin/", ROOM_ACTION
    ),
    "rooms/<int:room_id>/threads/<int:message_id>/": Row(
        "get", "/rooms/{room}/threads/{reply}/", ROOM
    ),
    "rooms/<int:room_id>/pinned/": Row("get", "/rooms/{room}/pinned/", ROOM),
    "rooms/<int:room_id>/files/<str:token>/": Row("get", "/rooms/{room}/files/{file}/", ROOM),
    "rooms/<int:room_id>/information/": Row("get", "/rooms/{room}/information/", ROOM),
    "rooms/<int:room_id>/tools/contact/": Row("get", "/rooms/{room}/tools/contact/", ROOM),
    "rooms/<int:room_id>/tools/search/": Row("get", "/rooms/{room}/tools/search/?q=receipt", ROOM),
    "rooms/<int:room_id>/tools/earlier/": Row("get", "/rooms/{room}/tools/earlier/?from=1", ROOM),
    "rooms/<int:room_id>/tools/files/": Row("get", "/rooms/{room}/tools/files/", ROOM),
    "rooms/<int:room_id>/tools/history/": Row("get", "/rooms/{room}/tools/history/", ROOM),
    "rooms/<int:room_id>/tools/history/<int:other_id>/": Row(
        "get", "/rooms/{room}/tools/history/{earlier}/", ROOM
    ),
    # The Contact Center.
    "contact-center/": Row("get", "/contact-center/", SIGNED_IN, None, CONTACT, SEES_ROOM),
    "contact-center/contacts/<int:contact_id>/": Row(
        "get", "/contact-center/contacts/{contact}/", ROOM
    ),
    "contact-center/contacts/<int:contact_id>/edit/": Row(
        "get", "/contact-center/contacts/{contact}/edit/", ROOM
    ),
    "contact-center/contacts/<int:contact_id>/merge/": Row(
        "get", "/contact-center/contacts/{contact}/merge/", "L L L 404 404 200 200 L"
    ),
    "contact-center/chats/": Row(
        "get", "/contact-center/chats/", SIGNED_IN, None, CONTACT, SEES_ROOM
    ),
    "contact-center/chats/<int:room_id>/": Row("get", "/contact-center/chats/{room}/", ROOM),
    "contact-center/calls/": Row(
        "get", "/contact-center/calls/", SIGNED_IN, None, CONTACT, SEES_ROOM
    ),
    # The website chat: a public page and loader; each visitor's own conversation and files.
    "livechat/embed.js": Row("get", "/livechat/embed.js", PUBLIC),
    "livechat/<slug:slug>/": Row("get", "/livechat/support/", PUBLIC),
    "livechat/<slug:slug>/messages/": Row(
        "post", "/livechat/support/messages/", "400 201 201 400 400 400 400 400", {"text": "Hi"}
    ),
    "livechat/<slug:slug>/conversation/": Row(
        "get",
        "/livechat/support/conversation/",
        "400 200 200 400 400 400 400 400",
        None,
        "Here is my receipt",
        "- n y - - - - -",
    ),
    "livechat/<slug:slug>/files/<str:token>/": Row(
        "get", "/livechat/support/files/{file}/", "400 404 200 400 400 400 400 400"
    ),
    "livechat/<slug:slug>/survey/": Row(
        "post",
        "/livechat/support/survey/",
        "400 404 201 400 400 400 400 400",
        {"room": "{earlier}", "rating": "5"},
    ),
    "livechat/<slug:slug>/transcript/": Row(
        "post",
        "/livechat/support/transcript/",
        "400 404 201 400 400 400 400 400",
        {"room": "{earlier}", "email": "v@example.com"},
    ),
    # Inbound integrations are signed: without the secret nobody gets past the check.
    "integrations/facebook/webhook/": Row(
        "post", "/integrations/facebook/webhook/", "403 403 403 403 403 403 403 403"
    ),
    "api/v1/inbound/<slug:key>/messages/": Row(
        "post", "/api/v1/inbound/sms/messages/", "401 401 401 401 401 401 401 401"
    ),
    # The REST API (session sign-in here; tokens are the same users).
    "api/v1/^departments/$": Row("get", "/api/v1/departments/", API),
    "api/v1/^departments/(?P<pk>[0-9]+)/$": Row("get", "/api/v1/departments/{department}/", API),
    "api/v1/^agents/$": Row("get", "/api/v1/agents/", API),
    "api/v1/^agents/(?P<pk>[0-9]+)/$": Row("get", "/api/v1/agents/{agent}/", API),
    "api/v1/^contacts/$": Row("get", "/api/v1/contacts/", API, None, CONTACT, SEES_ROOM),
    "api/v1/^contacts/(?P<pk>[0-9]+)/$": Row("get", "/api/v1/contacts/{contact}/", API_ROOM),
    "api/v1/^calls/$": Row("get", "/api/v1/calls/", API, None, CONTACT, SEES_ROOM),
    "api/v1/^calls/(?P<pk>[0-9]+)/$": Row("get", "/api/v1/calls/{call}/", API_ROOM),
    "api/v1/^rooms/$": Row("get", "/api/v1/rooms/", API, None, CONTACT, SEES_ROOM),
    "api/v1/^rooms/(?P<pk>[0-9]+)/$": Row("get", "/api/v1/rooms/{room}/", API_ROOM),
    "api/v1/^rooms/(?P<pk>[0-9]+)/close/$": Row(
        "post", "/api/v1/rooms/{room}/close/", API_ROOM, {"comment": "Bye"}
    ),
    "api/v1/^rooms/(?P<pk>[0-9]+)/hold/$": Row(
        "post", "/api/v1/rooms/{room}/hold/", "401 401 401 404 200 403 403 401"
    ),
    "api/v1/^rooms/(?P<pk>[0-9]+)/resume/$": Row(
        "post", "/api/v1/rooms/{room}/resume/", "401 401 401 404 403 403 403 401"
    ),
    "api/v1/^rooms/(?P<pk>[0-9]+)/return-to-queue/$": Row(
        "post", "/api/v1/rooms/{room}/return-to-queue/", API_ROOM
    ),
    "api/v1/^rooms/(?P<pk>[0-9]+)/take/$": Row(
        "post", "/api/v1/rooms/{room}/take/", "401 401 401 404 409 403 403 401"
    ),
    "api/v1/^rooms/(?P<pk>[0-9]+)/transfer/$": Row(
        "post", "/api/v1/rooms/{room}/transfer/", "401 401 401 404 400 400 400 401"
    ),
    "api/v1/^queue/$": Row("get", "/api/v1/queue/", API),
    "api/v1/^sla-policies/$": Row("get", "/api/v1/sla-policies/", API),
    "api/v1/^rooms/(?P<room_id>[0-9]+)/messages/$": Row(
        "get", "/api/v1/rooms/{room}/messages/", API_ROOM
    ),
    "api/v1/^rooms/(?P<room_id>[0-9]+)/messages/(?P<pk>[0-9]+)/retry/$": Row(
        "post", "/api/v1/rooms/{room}/messages/{reply}/retry/", "401 401 401 404 403 403 403 401"
    ),
    "api/v1/^tags/$": Row("get", "/api/v1/tags/", API),
    # Team chat over the API: the agent's private group and team are 404 to everyone else.
    "api/v1/^chats/$": Row("get", "/api/v1/chats/", API, None, "agents-only", SEES_OWN),
    "api/v1/^chats/direct/$": Row("post", "/api/v1/chats/direct/", API_INVALID),
    "api/v1/^chats/(?P<pk>[0-9]+)/$": Row("get", "/api/v1/chats/{chat}/", API_OWN),
    "api/v1/^chats/(?P<pk>[0-9]+)/invite/$": Row(
        "post", "/api/v1/chats/{chat}/invite/", "401 401 401 404 400 404 404 401"
    ),
    "api/v1/^chats/(?P<pk>[0-9]+)/join/$": Row(
        "post", "/api/v1/chats/{chat}/join/", "401 401 401 404 403 404 404 401"
    ),
    "api/v1/^chats/(?P<pk>[0-9]+)/leave/$": Row(
        "post", "/api/v1/chats/{chat}/leave/", "401 401 401 404 204 404 404 401"
    ),
    "api/v1/^chats/(?P<pk>[0-9]+)/read/$": Row(
        "post", "/api/v1/chats/{chat}/read/", "401 401 401 404 204 404 404 401"
    ),
    "api/v1/^chats/(?P<chat_id>[0-9]+)/messages/$": Row(
        "get", "/api/v1/chats/{chat}/messages/", API_OWN, None, CHAT_TEXT, SEES_OWN
    ),
    "api/v1/^teams/$": Row("get", "/api/v1/teams/", API, None, "night-shift", SEES_OWN),
    "api/v1/^teams/(?P<pk>[0-9]+)/$": Row("get", "/api/v1/teams/{team}/", API_OWN),
    "api/v1/^teams/(?P<pk>[0-9]+)/join/$": Row(
        "post", "/api/v1/teams/{team}/join/", "401 401 401 404 403 404 404 401"
    ),
    "api/v1/^webhooks/$": Row("get", "/api/v1/webhooks/", API_MANAGER),
    "api/v1/^webhooks/(?P<pk>[0-9]+)/$": Row(
        "get", "/api/v1/webhooks/{subscription}/", API_MANAGER
    ),
    "api/v1/^webhooks/(?P<pk>[0-9]+)/deliveries/$": Row(
        "get", "/api/v1/webhooks/{subscription}/deliveries/", API_MANAGER
    ),
    "api/schema/": Row("get", "/api/schema/", PUBLIC),
    "api/docs/": Row("get", "/api/docs/", PUBLIC),
    "api/^(?P<unmatched>.*)$": Row("get", "/api/v2/rooms/", "404 404 404 404 404 404 404 404"),
    # Canned responses: a personal one of the agent's; a room's suggestions.
    "productivity/canned/": Row("get", "/productivity/canned/", SIGNED_IN),
    "productivity/canned/<int:response_id>/": Row("get", "/productivity/canned/{canned}/", OWN),
    "productivity/canned/<int:response_id>/delete/": Row(
        "post", "/productivity/canned/{canned}/delete/", OWN_ACTION
    ),
    "productivity/rooms/<int:room_id>/canned/": Row(
        "get", "/productivity/rooms/{room}/canned/?q=he", ROOM
    ),
    # Team chat: a private group and a private team of the agent's, which nobody else is in.
    "chat/": Row("get", "/chat/", "L L L 302 302 302 302 L"),
    "chat/sidebar/": Row("get", "/chat/sidebar/", SIGNED_IN, None, "agents-only", SEES_OWN),
    "chat/display/": Row("post", "/chat/display/", "L L L 302 302 302 302 L"),
    "chat/search/": Row("get", "/chat/search/?q=agents", SIGNED_IN, None, "agents-only", SEES_OWN),
    "chat/directory/": Row("get", "/chat/directory/", SIGNED_IN, None, "agents-only", SEES_OWN),
    "chat/new/": Row("get", "/chat/new/", SIGNED_IN),
    "chat/direct/new/": Row("get", "/chat/direct/new/", SIGNED_IN),
    "chat/teams/new/": Row("get", "/chat/teams/new/", SIGNED_IN),
    "chat/teams/<int:team_id>/": Row("get", "/chat/teams/{team}/", OWN),
    "chat/teams/<int:team_id>/join/": Row("post", "/chat/teams/{team}/join/", OWN_ACTION),
    "chat/teams/<int:team_id>/new/": Row("get", "/chat/teams/{team}/new/", OWN),
    "chat/users/<str:username>/": Row("get", "/chat/users/alex/", SIGNED_IN),
    "chat/<int:chat_id>/": Row("get", "/chat/{chat}/", OWN),
    "chat/<int:chat_id>/messages/": Row(
        "post", "/chat/{chat}/messages/", OWN_ACTION, {"text": "Hi"}
    ),
    "chat/<int:chat_id>/messages/new/": Row("get", "/chat/{chat}/messages/new/", OWN),
    "chat/<int:chat_id>/messages/<int:message_id>/": Row(
        "get", "/chat/{chat}/messages/{chat_message}/", OWN_ACTION
    ),
    "chat/<int:chat_id>/messages/<int:message_id>/edit/": Row(
        "post", "/chat/{chat}/messages/{chat_message}/edit/", OWN_ACTION, {"text": "Edited"}
    ),
    "chat/<int:chat_id>/messages/<int:message_id>/delete/": Row(
        "post", "/chat/{chat}/messages/{chat_message}/delete/", OWN_ACTION
    ),
    "chat/<int:chat_id>/messages/<int:message_id>/react/": Row(
        "post", "/chat/{chat}/messages/{chat_message}/react/", OWN_ACTION, {"emoji": "👍"}
    ),
    "chat/<int:chat_id>/messages/<int:message_id>/pin/": Row(
        "post", "/chat/{chat}/messages/{chat_message}/pin/", OWN_ACTION
    ),
    "chat/<int:chat_id>/threads/<int:message_id>/": Row(
        "get", "/chat/{chat}/threads/{chat_message}/", OWN
    ),
    "chat/<int:chat_id>/pinned/": Row("get", "/chat/{chat}/pinned/", OWN),
    "chat/<int:chat_id>/members/": Row("get", "/chat/{chat}/members/", OWN),
    "chat/<int:chat_id>/members/<int:user_id>/remove/": Row(
        "post", "/chat/{chat}/members/{agent}/remove/", OWN_ACTION
    ),
    "chat/<int:chat_id>/members/<int:user_id>/role/": Row(
        "post", "/chat/{chat}/members/{agent}/role/", OWN_ACTION, {"role": "member"}
    ),
    "chat/<int:chat_id>/join/": Row("post", "/chat/{chat}/join/", OWN_ACTION),
    "chat/<int:chat_id>/leave/": Row("post", "/chat/{chat}/leave/", OWN_ACTION),
    "chat/<int:chat_id>/rename/": Row("post", "/chat/{chat}/rename/", OWN_ACTION, {"name": "x2"}),
    "chat/<int:chat_id>/archive/": Row("post", "/chat/{chat}/archive/", OWN_ACTION),
    "chat/<int:chat_id>/read/": Row("post", "/chat/{chat}/read/", "L L L 404 204 404 404 L"),
    "chat/<int:chat_id>/files/<str:token>/": Row(
        "get", "/chat/{chat}/files/no-such-file/", "L L L 404 404 404 404 L"
    ),
    # The supervisor console: its own pages, admin's, and the custom ones.
    "admin/dashboard/": Row("get", "/admin/dashboard/", STAFF),
    "admin/reports/": Row("get", "/admin/reports/", STAFF),
    "admin/": Row("get", "/admin/", STAFF),
    "admin/login/": Row("get", "/admin/login/", "200 200 200 200 200 302 302 200"),
    "admin/logout/": Row("post", "/admin/logout/", "302 302 302 302 302 L L 302"),
    "admin/password_change/": Row("get", "/admin/password_change/", STAFF),
    "admin/password_change/done/": Row("get", "/admin/password_change/done/", STAFF),
    "admin/autocomplete/": Row(
        "get",
        "/admin/autocomplete/?app_label=accounts&model_name=departmentagent&field_name=department",
        STAFF,
    ),
    "admin/jsi18n/": Row("get", "/admin/jsi18n/", STAFF),
    "admin/r/<path:content_type_id>/<path:object_id>/": Row(
        "get", "/admin/r/{room_type}/{room}/", "A A A A A 404 404 A"
    ),
    "admin/^(?P<app_label>...)/$": Row("get", "/admin/rooms/", STAFF),
    "admin/(?P<url>.*)$": Row("get", "/admin/no/such/page/", "A A A A A 404 404 A"),
    "admin/rooms/room/export/": Row("get", "/admin/rooms/room/export/", STAFF),
    # A manager sets the agents' passwords; the limited one only in their departments.
    "admin/accounts/user/<id>/password/": Row(
        "get", "/admin/accounts/user/{agent}/password/", "A A A A A 404 200 A"
    ),
}

# Admin's pages of each model, in this order: list, add, history, delete, change, and the
# object's URL (a redirect to change). Everyone but the managers is sent to admin's sign-in.
# (manager, limited manager): the object is the agent's department's when the model has one
# here (ADMIN_OBJECTS), else a missing id: 302 then means "may, but there is no such row".
ADMIN_KINDS = (
    "",
    "add/",
    "<path:object_id>/history/",
    "<path:object_id>/delete/",
    "<path:object_id>/change/",
    "<path:object_id>/",
)
ADMIN_OBJECTS = {
    "rooms.room": "{room}",
    "accounts.user": "{agent}",
    "accounts.department": "{department}",
    "directory.contact": "{contact}",
    "directory.call": "{call}",
    "webhooks.subscription": "{subscription}",
}
NO_ACCESS = "403 403 302 403 403 302"
FULL = "200 200 302 302 302 302"
READ_ONLY = "200 403 302 403 302 302"
REVIEW = "200 403 302 302 302 302"  # no add; delete and change as the model's admin allows
SCOPED_EDIT = ("200 200 200 200 200 302", "200 200 302 302 302 302")
SCOPED_READ = ("200 403 200 403 200 302", "200 403 302 403 302 302")
ADMIN_MODELS = {
    "auth.group": (NO_ACCESS, NO_ACCESS),
    # Not scoped to departments: the limited manager has no access at all.
    "django_tasks_database.dbtaskresult": (READ_ONLY, NO_ACCESS),
    "axes.accessattempt": (NO_ACCESS, NO_ACCESS),
    "axes.accesslog": (NO_ACCESS, NO_ACCESS),
    "axes.accessfailurelog": (NO_ACCESS, NO_ACCESS),
    "teamchat.chat": (NO_ACCESS, NO_ACCESS),
    "teamchat.team": (NO_ACCESS, NO_ACCESS),
    # A token has no page of its own (its name is its key): list, create and revoke only.
    "authtoken.tokenproxy": ("200 200 404 302 404 302", "200 200 404 302 404 302"),
    "omnichannel.event": (READ_ONLY, READ_ONLY),
    "admin.logentry": (READ_ONLY, READ_ONLY),
    "accounts.user": SCOPED_EDIT,
    "accounts.department": SCOPED_EDIT,
    "directory.customfield": (FULL, FULL),
    "directory.contact": SCOPED_READ,
    "directory.call": SCOPED_READ,
    "directory.contactmerge": (READ_ONLY, READ_ONLY),
    "rooms.room": SCOPED_READ,
    "rooms.tag": (FULL, FULL),
    "queues.slapolicy": ("200 200 302 403 302 302", "200 200 302 403 302 302"),
    "queues.departmentrouting": (FULL, FULL),
    "facebook.page": (FULL, FULL),
    "facebook.closingmessage": (FULL, FULL),
    "facebook.webhookevent": (REVIEW, REVIEW),
    "facebook.delivery": (REVIEW, REVIEW),
    "facebook.attachmentdownload": (REVIEW, REVIEW),
    "apichannel.apichannel": (FULL, FULL),
    "apichannel.callbackdelivery": (REVIEW, REVIEW),
    "webhooks.subscription": ("200 200 200 200 200 302", "200 200 200 200 200 302"),
    "webhooks.delivery": (REVIEW, REVIEW),
    "productivity.cannedresponse": (FULL, FULL),
    "productivity.businesshours": (FULL, FULL),
    "productivity.inactivitypolicy": (FULL, FULL),
    "productivity.surveyresponse": (READ_ONLY, READ_ONLY),
    "productivity.transcriptrequest": (READ_ONLY, READ_ONLY),
    "productivity.offlinemessage": (READ_ONLY, READ_ONLY),
}


def admin_rows() -> dict[str, Row]:
    rows = {}
    for model in admin.site._registry:
        label = model._meta.label_lower
        if label not in ADMIN_MODELS:
            continue  # the coverage test names the missing rows
        manager, limited = (codes.split() for codes in ADMIN_MODELS[label])
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        obj = ADMIN_OBJECTS.get(label, "0")
        for kind, by_manager, by_limited in zip(ADMIN_KINDS, manager, limited, strict=True):
            expect = f"A A A A A {by_limited} {by_manager} A"
            rows[base + kind] = Row(
                "get", "/" + base + kind.replace("<path:object_id>", obj), expect
            )
    return rows


# The live sockets: (route, frame to send) -> what each persona gets.
SOCKETS = {
    # An agent's tab watching the room: "watching", "not_found", or refused (no session).
    "ws/live/": "refused refused refused not_found watching watching watching refused",
    # The visitor's widget saying hello with its token: hello, or refused.
    "^ws/livechat/(?P<slug>[-a-zA-Z0-9_]+)/$": "- refused hello - - - - -",
}


# --- reading the table ----------------------------------------------------------------------------


def all_routes() -> list[str]:
    """Every HTTP route of the resolver, as its full pattern."""

    def walk(patterns, prefix: str = "") -> list[str]:
        found = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                # Admin's app index names every app: one row stands for them all.
                found.append(re.sub(r"\(\?P<app_label>[^)]*\)", "(?P<app_label>...)", route))
        return found

    return walk(get_resolver().url_patterns)


def test_every_url_has_a_row():
    routes = set(all_routes())
    rows = {**ROWS, **admin_rows()}
    assert sorted(routes - set(rows)) == [], "add a row for each new URL"
    assert sorted(set(rows) - routes) == [], "these rows' URLs are gone"
    assert sorted(str(p.pattern) for p in websocket_urlpatterns) == sorted(SOCKETS)


@pytest.fixture
def world(department, other_department, agent, outsider_agent, supervisor):
    contact, _ = get_or_create_contact(
        channel=Channel.LIVECHAT,
        external_id=hashlib.sha256(VISITOR_TOKEN.encode()).hexdigest(),
        name=CONTACT,
    )
    earlier = receive_contact_message(
        contact=contact, channel=Channel.LIVECHAT, department=department, text="Earlier chat"
    ).room
    close_room(agent, take_room(agent, earlier), comment="Done")
    first = receive_contact_message(
        contact=contact,
        channel=Channel.LIVECHAT,
        department=department,
        text="Here is my receipt",
        files=[IncomingFile(name="receipt.png", content=PNG)],
    )
    room = take_room(agent, first.room)
    reply = post_agent_message(agent, room, text="Thanks, looking")
    call, _ = record_call(
        supervisor,
        contact,
        direction=Call.Direction.INBOUND,
        outcome=Call.Outcome.ANSWERED,
        started_at=timezone.now() - timedelta(minutes=5),
        department=department,
    )
    subscription = create_subscription(
        None, url="https://hooks.example.com/in", events=["message.created"]
    )
    create_api_channel(name="SMS", key="sms", department=department)
    canned = create_canned_response(agent, scope="personal", shortcut="hello", text="Hello!")
    group = create_chat(agent, name="agents-only", private=True)
    team = create_team(agent, name="night-shift", private=True)
    chat_message = post_chat_message(agent, group, text=CHAT_TEXT)
    limited = make_manager(username="lima", departments=[other_department])
    limited.supervised_departments.set([other_department])
    gone = AgentFactory(username="gone", departments=[department], queue_enabled=True)
    return {
        "ids": {
            "room": room.pk,
            "earlier": earlier.pk,
            "reply": reply.pk,
            "file": Attachment.objects.get(message=first).token,
            "contact": contact.pk,
            "call": call.pk,
            "subscription": subscription.pk,
            "department": department.pk,
            "agent": agent.pk,
            "canned": canned.pk,
            "chat": group.pk,
            "team": team.pk,
            "chat_message": chat_message.pk,
            "room_type": ContentType.objects.get_for_model(Room).pk,
        },
        "users": {"out": outsider_agent, "agent": agent, "lim": limited, "mgr": supervisor},
        "gone": gone,
    }


def signed_in(world) -> dict[str, Client]:
    """A client per persona; the deactivated agent signed in before being deactivated."""
    clients = {
        "anon": Client(),
        "othv": Client(headers={"X-Visitor-Token": OTHER_TOKEN}),
        "vis": Client(headers={"X-Visitor-Token": VISITOR_TOKEN}),
    }
    for name, user in {**world["users"], "gone": world["gone"]}.items():
        clients[name] = Client()
        clients[name].force_login(user)
    User.objects.filter(pk=world["gone"].pk).update(is_active=False)
    return clients


def observe(client: Client, row: Row, ids: dict) -> tuple[str, str]:
    """(the cell: status, L or A; the body) for one request, rolled back."""
    path = row.path.format(**ids)
    data = {key: str(value).format(**ids) for key, value in (row.data or {}).items()}
    options: dict = {"data": data}
    if path.startswith("/api/") and row.method != "get":
        options = {"data": json.dumps(data), "content_type": "application/json"}
    cookies = copy.deepcopy(client.cookies)  # signing out must not sign the next cell out
    with transaction.atomic():
        response = getattr(client, row.method)(path, **options)
        transaction.set_rollback(True)
    client.cookies = cookies
    body = b"" if response.streaming else response.content
    if response.status_code == 302:
        if response["Location"].startswith("/login/"):
            return "L", ""
        if response["Location"].startswith("/admin/login/"):
            return "A", ""
    return str(response.status_code), body.decode(errors="replace")


@pytest.mark.django_db
def test_who_may_reach_what(world, settings):
    settings.THROTTLE_RATES = {}
    clients = signed_in(world)
    ids = world["ids"]
    wrong = []
    for route, row in {**ROWS, **admin_rows()}.items():
        expected = row.expect.split()
        sees = row.sees.split()
        for index, persona in enumerate(PERSONAS):
            cell, body = observe(clients[persona], row, ids)
            if cell != expected[index]:
                wrong.append(f"{route} [{persona}]: {cell}, expected {expected[index]}")
            elif sees and sees[index] != "-":
                found = row.secret.format(**ids) in body
                if found != (sees[index] == "y"):
                    wrong.append(f"{route} [{persona}]: {'sees' if found else 'misses'} it")
    assert wrong == []


@pytest.mark.django_db
def test_ids_a_visitor_uses_are_not_guessable(world):
    """The visitor's file is named by a long random token, never by a counter."""
    token = world["ids"]["file"]
    assert len(token) >= 32 and not token.isdigit()


@pytest.mark.django_db
def test_a_manager_cannot_raise_their_own_privileges_in_admin(world):
    limited = world["users"]["lim"]
    client = Client()
    client.force_login(limited)

    form = client.get(f"/admin/accounts/user/{limited.pk}/change/").content.decode()

    for field in ("is_superuser", "groups", "user_permissions", "supervised_departments"):
        assert f'name="{field}"' not in form, field


# --- the sockets ----------------------------------------------------------------------------------


async def agent_watches(user: User | None, room_id: int) -> str:
    headers = [(b"origin", b"http://127.0.0.1:8000")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    socket = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await socket.connect()
    if not connected:
        return "refused"
    try:
        assert (await socket.receive_json_from(timeout=2))["type"] == "hello"
        await socket.send_json_to({"type": "watch", "room": room_id})
        while True:
            frame = await socket.receive_json_from(timeout=2)
            if frame["type"] in {"watching", "error"}:
                return frame["type"] if frame["type"] == "watching" else frame["code"]
    finally:
        await socket.disconnect()


async def visitor_says_hello(token: str) -> str:
    socket = WebsocketCommunicator(
        application, "/ws/livechat/support/", headers=[(b"origin", b"http://127.0.0.1:8000")]
    )
    connected, _ = await socket.connect()
    assert connected
    try:
        await socket.send_json_to({"type": "hello", "token": token})
        frame = await socket.receive_json_from(timeout=2)
        return "hello" if frame["type"] == "hello" else "refused"
    finally:
        await socket.disconnect()


@pytest.fixture
async def _close_worker_thread_connection():
    """sync_to_async runs ORM calls in a worker thread; give its connection back."""
    yield
    await sync_to_async(lambda: connection.close())()


@pytest.mark.django_db(transaction=True)
async def test_who_may_watch_what(world, _close_worker_thread_connection):
    gone = world["gone"]
    await sync_to_async(User.objects.filter(pk=gone.pk).update)(is_active=False)
    users = {"anon": None, "othv": None, "vis": None, **world["users"], "gone": gone}
    room = world["ids"]["room"]

    watched = [await agent_watches(users[persona], room) for persona in PERSONAS]
    hellos = {
        "othv": await visitor_says_hello(OTHER_TOKEN),
        "vis": await visitor_says_hello(VISITOR_TOKEN),
    }

    assert " ".join(watched) == SOCKETS["ws/live/"]
    visitor = SOCKETS["^ws/livechat/(?P<slug>[-a-zA-Z0-9_]+)/$"].split()
    assert hellos == {"othv": visitor[1], "vis": visitor[2]}
