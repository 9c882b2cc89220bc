"""What the agent shell (sidebar) needs on every page."""

from django.http import HttpRequest

from accounts.selectors import queue_refusal_reason


def agent_shell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    refusal = queue_refusal_reason(user)
    return {
        "queue_refusal": refusal,
        "queue_on": user.queue_enabled and refusal is None,
    }
