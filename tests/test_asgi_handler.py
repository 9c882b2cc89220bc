"""Daphne's HTTP requests are served in one trip to a pooled worker thread (handlers.py)."""

import asyncio
import io
import threading

import pytest
from asgiref.sync import SyncToAsync
from django.core import signals
from django.db import connection
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from bench.asgi_cpu import asgi_call
from bench.loadgen import http_request
from omnichannel.asgi import django_http
from omnichannel.handlers import OneHopASGIHandler


def _chunks():
    yield b"first part, "
    yield b"second part"


async def _async_chunks():
    yield b"an async "
    yield b"stream"


def _with_a_query(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse(f"served by {threading.current_thread().name}")


urlpatterns = [
    path("streamed/", lambda request: StreamingHttpResponse(_chunks())),
    path("streamed-async/", lambda request: StreamingHttpResponse(_async_chunks())),
    path("file/", lambda request: FileResponse(io.BytesIO(b"x" * 200_000), filename="a.bin")),
    path("query/", _with_a_query),
]


async def _serve(application, request_path: str) -> tuple[int, bytes]:
    """The status and the whole body the application sends for a GET of `request_path`."""
    scope, body = asgi_call(http_request("GET", request_path, port=8000))
    delivered = False
    statuses, parts = [], []

    async def receive() -> dict:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
        else:
            parts.append(message.get("body", b""))

    await application(scope, receive, send)
    return statuses[0], b"".join(parts)


@pytest.fixture
def finished_requests():
    finished = []

    def count(**_kwargs):
        finished.append(threading.current_thread().name)

    signals.request_finished.connect(count)
    yield finished
    signals.request_finished.disconnect(count)


@pytest.mark.django_db(transaction=True)
def test_a_page_request_crosses_to_its_worker_thread_once(monkeypatch):
    crossings = []
    cross = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        crossings.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await cross(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)

    status, _body = asyncio.run(_serve(django_http, "/login/"))

    assert status == 200
    # The signals, the middleware, the view and the response's close, together.
    assert crossings == ["OneHopASGIHandler.serve"]


@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF=__name__)
def test_the_thread_that_served_a_request_gives_its_database_connection_back():
    with override_settings(REQUEST_THREADS=1):
        handler = OneHopASGIHandler()

    status, body = asyncio.run(_serve(handler, "/query/"))

    assert status == 200
    assert body.startswith(b"served by request")
    # request_finished ran in that thread: its connection is closed (back in the pool).
    assert handler.executor.submit(lambda: connection.connection is None).result()


@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF=__name__)
def test_a_streamed_response_arrives_whole_and_finishes_the_request_once(finished_requests):
    status, body = asyncio.run(_serve(django_http, "/streamed/"))

    assert (status, body) == (200, b"first part, second part")
    assert len(finished_requests) == 1
    assert finished_requests[0].startswith("request")


@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF=__name__)
def test_a_response_streamed_from_an_async_iterator_arrives_whole(finished_requests):
    status, body = asyncio.run(_serve(django_http, "/streamed-async/"))

    assert (status, body) == (200, b"an async stream")
    assert len(finished_requests) == 1


@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF=__name__)
def test_a_file_larger_than_one_chunk_is_sent_whole():
    status, body = asyncio.run(_serve(django_http, "/file/"))

    assert (status, body) == (200, b"x" * 200_000)


@pytest.mark.django_db(transaction=True)
def test_more_requests_at_once_than_threads_are_all_answered():
    with override_settings(REQUEST_THREADS=2):
        handler = OneHopASGIHandler()

    async def many() -> list[int]:
        answers = await asyncio.gather(*(_serve(handler, "/login/") for _ in range(12)))
        return [status for status, _body in answers]

    assert asyncio.run(many()) == [200] * 12
