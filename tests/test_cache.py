"""The Redis cache keeps its connections for the process: a new request (a new backend, as
Django makes one per request context under ASGI) opens no new connection to Redis."""

import pytest
from django.conf import settings
from django.core.cache import caches

from omnichannel.cache import SharedRedisCache

pytestmark = pytest.mark.redis


def redis_backend() -> SharedRedisCache:
    return SharedRedisCache(settings.REDIS_URL, {"OPTIONS": {"socket_connect_timeout": 1}})


def test_settings_use_the_shared_redis_cache():
    assert isinstance(caches["default"], SharedRedisCache)


def test_a_second_backend_reuses_the_first_ones_connection():
    first, second = redis_backend(), redis_backend()
    first.set("probe:shared", 1, timeout=5)
    pool = first._cache.get_client(write=True).connection_pool
    connections_made = pool._created_connections

    assert second.get("probe:shared") == 1

    assert second._cache.get_client(write=True).connection_pool is pool
    assert pool._created_connections == connections_made
