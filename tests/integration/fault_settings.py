"""Settings of the processes the fault tests start: the servers' settings with retries measured
in seconds, so an outage of seconds shows what one of minutes does in production."""

from datetime import timedelta

from tests.server_settings import *  # noqa: F403

FACEBOOK_BACKOFF_SECONDS = (1,)
FACEBOOK_SEND_ATTEMPTS = 30
FACEBOOK_STALE_SENDING_SECONDS = 1
FACEBOOK_TIMEOUT = (1.0, 3.0)
WEBHOOK_BACKOFF_FIRST = timedelta(seconds=1)
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
WEBHOOK_TIMEOUT_SECONDS = 3
