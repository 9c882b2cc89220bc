"""How team chat shows in templates: the sidebar's data, system messages, per-viewer marks."""

from django import template
from django.utils.translation import gettext as _

from rooms.templatetags.message_actions import editable_by, reacted_by
from teamchat.models import Chat, ChatMessage
from teamchat.selectors import sidebar_for

register = template.Library()

ICONS = {Chat.Kind.CHANNEL: "#", Chat.Kind.GROUP: "\U0001f512", Chat.Kind.DIRECT: "@"}
TEAM_ICON = "\U0001f465"


@register.simple_tag(takes_context=True)
def teamchat_sidebar(context) -> dict:
    """The signed-in user's chats and Display options, read once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"groups": [], "preferences": None}
    cached = getattr(request, "_teamchat_sidebar", None)
    if cached is None:
        cached = sidebar_for(user)
        match = getattr(request, "resolver_match", None)
        in_chat = match is not None and (match.url_name or "").startswith("teamchat")
        cached["current"] = match.kwargs.get("chat_id") if in_chat else None
        request._teamchat_sidebar = cached
    return cached


@register.filter
def chat_icon(chat: Chat) -> str:
    if chat.team_id and chat.is_team_main:
        return TEAM_ICON
    return ICONS.get(chat.kind, "#")


@register.filter
def initial(text: str) -> str:
    text = (text or "").strip()
    return text[:1].upper() or "?"


# The same as in customer rooms.
register.filter("editable_by", editable_by)
register.filter("reacted_by", reacted_by)


@register.filter
def chat_system_text(message: ChatMessage) -> str:
    """The sentence for a system message, built now so each reader gets their own language."""
    data = message.system_data
    actor = data.get("actor", "")
    match message.system_code:
        case "created":
            return _("%(actor)s created this room") % {"actor": actor}
        case "team_created":
            return _("%(actor)s created this team") % {"actor": actor}
        case "joined":
            return _("%(actor)s joined") % {"actor": actor}
        case "left":
            return _("%(actor)s left") % {"actor": actor}
        case "added":
            return _("%(actor)s added %(names)s") % {
                "actor": actor,
                "names": ", ".join(data.get("names", [])),
            }
        case "removed":
            return _("%(actor)s removed %(name)s") % {"actor": actor, "name": data.get("name", "")}
        case "owner_set":
            return _("%(actor)s made %(name)s an owner") % {
                "actor": actor,
                "name": data.get("name", ""),
            }
        case "owner_unset":
            return _("%(actor)s made %(name)s a member") % {
                "actor": actor,
                "name": data.get("name", ""),
            }
        case "renamed":
            return _("%(actor)s renamed the room from %(previous)s to %(name)s") % {
                "actor": actor,
                "previous": data.get("previous", ""),
                "name": data.get("name", ""),
            }
        case "archived":
            return _("%(actor)s archived the room") % {"actor": actor}
        case "unarchived":
            return _("%(actor)s brought the room back from the archive") % {"actor": actor}
        case "pinned":
            return _("%(actor)s pinned a message: %(excerpt)s") % {
                "actor": actor,
                "excerpt": data.get("excerpt", ""),
            }
        case "unpinned":
            return _("%(actor)s unpinned a message") % {"actor": actor}
    return message.text
