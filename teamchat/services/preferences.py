"""Display options: how each user likes the sidebar."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from omnichannel import events
from teamchat.errors import (
    NotAllowed,
)
from teamchat.models import (
    DisplayPreference,
)

# --- display preferences ------------------------------------------------------------------------


def set_display_preferences(
    user: User,
    *,
    sort: str,
    unread_on_top: bool,
    group_by_type: bool,
    show_avatars: bool,
) -> DisplayPreference:
    """Remember how the user likes the sidebar ordered, grouped and drawn."""
    if sort not in DisplayPreference.Sort.values:
        raise NotAllowed(_("Sort by activity or by name."))
    values = {
        "sort": sort,
        "unread_on_top": unread_on_top,
        "group_by_type": group_by_type,
        "show_avatars": show_avatars,
    }
    with transaction.atomic():
        preferences, _created = DisplayPreference.objects.update_or_create(
            user=user, defaults=values
        )
        events.record("chat.display_changed", actor=user, data=values)
    return preferences
