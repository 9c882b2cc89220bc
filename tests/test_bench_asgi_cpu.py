"""bench asgi_cpu hands the application the requests the harness sends over sockets."""

import asyncio

from bench.asgi_cpu import asgi_call, serve_one
from bench.loadgen import http_request


def test_a_raw_request_becomes_the_scope_and_body_daphne_would_pass():
    raw = http_request(
        "POST", "/api/v1/x/?page=2", port=8000, body=b'{"a": 1}', headers={"X-Sig": "abc"}
    )

    scope, body = asgi_call(raw)

    assert (scope["method"], scope["path"], scope["query_string"]) == (
        "POST",
        "/api/v1/x/",
        b"page=2",
    )
    assert (b"x-sig", b"abc") in scope["headers"]
    assert (b"content-length", b"8") in scope["headers"]
    assert body == b'{"a": 1}'


def test_the_status_the_application_answered_is_returned():
    async def application(scope, receive, send):
        message = await receive()
        status = 201 if message["body"] == b"hello" else 400
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    raw = http_request("POST", "/", port=8000, body=b"hello")

    assert asyncio.run(serve_one(application, raw)) == 201
