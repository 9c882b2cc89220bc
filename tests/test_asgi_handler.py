"""Daphne's HTTP requests enter their worker thread once for the middleware and the view."""

import asyncio

import pytest
from asgiref.sync import SyncToAsync

from bench.asgi_cpu import serve_one
from bench.loadgen import http_request
from omnichannel.asgi import django_http


@pytest.mark.django_db(transaction=True)
def test_a_page_request_crosses_to_its_thread_three_times(monkeypatch):
    crossings = []
    cross = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        crossings.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await cross(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)

    status = asyncio.run(serve_one(django_http, http_request("GET", "/login/", port=8000)))

    assert status == 200
    # The request_started receivers, the middleware and the view together, the response closed.
    assert len(crossings) == 3, crossings
