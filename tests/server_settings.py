"""Settings for server processes that browser tests start: the production settings, plus the
fast password hasher the test process stores its users' passwords with."""

from omnichannel.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
