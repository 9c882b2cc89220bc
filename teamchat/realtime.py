"""The team chat's socket group: one per chat, joined only after `selectors.can_watch`."""


def chat_group(chat_id: int) -> str:
    return f"chat.{chat_id}"
