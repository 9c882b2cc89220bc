"""Django's Redis cache with one connection pool, and one client, per process.

Under ASGI Django builds its cache backends per request context, and each backend's client
makes a connection pool of its own: every request opened a new connection to Redis (with its
handshake) and built new redis-py clients. py-spy under `python -m bench ingest` put 23 % of the
Facebook webhook's samples in the throttle's one counter, most of it connecting. Here every
backend with the same servers and options shares one client per server for the process.
"""

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property


class SharedRedisCacheClient(RedisCacheClient):
    """Keeps one redis-py client per server (each on its pool) instead of one per call."""

    def __init__(self, servers, **options) -> None:
        super().__init__(servers, **options)
        self._lock = threading.Lock()
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with self._lock:
                client = self._clients.get(index)
                if client is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    self._pools[index] = pool
                    client = self._client(connection_pool=pool)
                    self._clients[index] = client
        return client


_shared_lock = threading.Lock()
_shared: dict[tuple, SharedRedisCacheClient] = {}


class SharedRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache`, sharing its client across instances."""

    @cached_property
    def _cache(self) -> SharedRedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _shared_lock:
            client = _shared.get(key)
            if client is None:
                client = SharedRedisCacheClient(self._servers, **self._options)
                _shared[key] = client
        return client
