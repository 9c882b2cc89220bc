"""The message actions every kind of room shows: links, who may still edit, who reacted."""

import functools

from django import template
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.selectors import is_manager
from rooms.message_actions import REACTIONS

register = template.Library()


@functools.cache
def _reaction_choices(language: str) -> tuple[tuple[str, str], ...]:
    return tuple((emoji, _("React with %(emoji)s") % {"emoji": emoji}) for emoji in REACTIONS)


@functools.cache
def _action_labels(language: str) -> dict[str, str]:
    # A room page shows dozens of toolbars: each sentence is translated once per language.
    return {
        "group": _("Message actions"),
        "thread": _("Reply in thread"),
        "react": _("Add reaction"),
        "pin": _("Pin message"),
        "unpin": _("Unpin message"),
        "link": _("Copy link"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "confirm_delete": _("Delete this message?"),
    }


def csrf_input(token: str | None) -> str:
    """What `{% csrf_token %}` writes for this token (nothing where there is none)."""
    if not token or token == "NOTPROVIDED":  # noqa: S105 - Django's mark of no token
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{conditional_escape(token)}">'


@register.simple_tag(takes_context=True)
def message_toolbar(context, message) -> SafeString:
    return toolbar_html(message, context.get("csrf_token"))


def toolbar_html(message, csrf_token: str | None) -> SafeString:
    """A message's toolbar: reply in thread, react, pin, copy link, edit and delete.

    Built here, not in a template: a room page shows fifty of them, and the template engine
    took a quarter of the page's time over them. Only the addresses, the pin state and the
    CSRF token differ from one message to the next; the rest is made once per language.
    """
    parts = _toolbar_parts(get_language())
    url = {action: escape(u) for action, u in message.action_urls(_TOOLBAR_ACTIONS).items()}
    csrf = csrf_input(csrf_token)
    thread = "" if message.thread_parent_id else url["thread"].join(parts["thread"])
    pin = parts["unpin" if message.pinned_at else "pin"]
    return mark_safe(  # noqa: S308 - every piece is escaped above or in _toolbar_parts
        f"{parts['open']}{thread}{parts['react_open']}"
        f'<form method="post" action="{url["react"]}" class="emoji-list" data-chat-action>'
        f"{csrf}{parts['emoji']}</form></details>"
        f'<form method="post" action="{url["pin"]}" data-chat-action>{csrf}{pin}</form>'
        f"{url['link'].join(parts['link'])}"
        f'<span class="own-actions">{url["edit"].join(parts["edit"])}'
        f'<form method="post" action="{url["delete"]}" data-chat-action '
        f'data-confirm="{parts["confirm_delete"]}">{csrf}{parts["delete"]}</form></span></div>'
    )


_TOOLBAR_ACTIONS = ("thread", "react", "pin", "link", "edit", "delete")


@functools.cache
def _toolbar_parts(language: str) -> dict:
    """The toolbar's fixed HTML in one language, its words escaped; a link is the pair of
    pieces around its address."""
    label = {key: escape(text) for key, text in _action_labels(language).items()}

    def icon_link(key: str, marker: str, glyph: str) -> tuple[str, str]:
        # Before and after the address.
        return (
            '<a class="button icon" href="',
            f'" {marker} title="{label[key]}" aria-label="{label[key]}">{glyph}</a>',
        )

    def pin_button(key: str, value: str, glyph: str) -> str:
        return (
            f'<input type="hidden" name="pinned" value="{value}"><button type="submit" '
            f'class="icon" title="{label[key]}" aria-label="{label[key]}">{glyph}</button>'
        )

    return {
        "open": f'<div class="message-actions" role="group" aria-label="{label["group"]}">',
        "thread": icon_link("thread", "data-open-panel", "&#128172;"),
        "react_open": (
            '<details class="react-picker"><summary role="button" class="button icon" '
            f'title="{label["react"]}" aria-label="{label["react"]}">&#9786;</summary>'
        ),
        "emoji": "".join(
            f'<button type="submit" name="emoji" value="{escape(emoji)}" '
            f'aria-label="{escape(text)}">{escape(emoji)}</button>'
            for emoji, text in _reaction_choices(language)
        ),
        "pin": pin_button("pin", "1", "&#128204;"),
        "unpin": pin_button("unpin", "0", "&#128204;&#824;"),
        "link": icon_link("link", "data-copy-link", "&#128279;"),
        "edit": icon_link("edit", "data-edit", "&#9998;"),
        "confirm_delete": label["confirm_delete"],
        "delete": (
            f'<button type="submit" class="icon" title="{label["delete"]}" '
            f'aria-label="{label["delete"]}">&#128465;</button>'
        ),
    }


@register.filter
def action_url(message, action: str) -> str:
    """The address of an action on a customer room's or a team chat's message."""
    return message.action_url(action)


@register.filter
def editable_by(message, user) -> bool:
    return bool(getattr(user, "pk", None)) and message.is_editable_by(user.pk)


@register.filter
def reacted_by(summary: dict, user) -> bool:
    pk = getattr(user, "pk", None)
    return bool(pk) and str(pk) in summary.get("user_ids", "").split()


@register.filter
def message_actor(room, user) -> bool:
    """May this user act on the messages of this customer room (its agent, or a manager)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    return (room.status == "taken" and room.agent_id == user.pk) or is_manager(user)
