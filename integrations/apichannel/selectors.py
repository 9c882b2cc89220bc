"""Shared reads of the API channel."""

from integrations.apichannel.models import ApiChannel
from omnichannel.compiled import CompiledGet

# Read for every inbound call: compiled once (omnichannel.compiled).
_channel_by_key = CompiledGet(lambda: ApiChannel.objects.select_related("department"), "key")


def channel_for_key(key: str) -> ApiChannel | None:
    """The API channel of this inbound URL key, with its department; enabled or not."""
    return _channel_by_key.get(key=key)
