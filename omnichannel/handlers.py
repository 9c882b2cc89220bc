"""Django's ASGI handler, with a whole request served in one hop to a pooled worker thread."""

from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix


class OneHopASGIHandler(ASGIHandler):
    """Serves each request in one trip from the event loop to a worker thread, and back.

    Django's own handler gives every request a thread of its own (asgiref's
    `ThreadSensitiveContext`: a new thread started and joined per request) and crosses into it
    three times: the request_started signal, the view, and the response's close, which sends
    request_finished. It also runs every middleware that can be asynchronous on the event loop,
    each calling its sync hooks through `sync_to_async`. Our middleware and views are all sync,
    so here the signals, the middleware chain, the view and the close run together in one
    call on a thread of a fixed pool, as under WSGI: the trivial view cost 3.1-3.2 ms of CPU a
    request through Django's handler, of which the view and middleware were 0.6-0.7.

    The response is closed in the thread that served it (request_finished returns that
    thread's database connections to the pool) before its bytes go out on the loop.
    """

    def __init__(self) -> None:
        super().__init__()
        # A request holds its thread from the signals to the close; the database pool's size
        # bounds how many of them can reach the database at once anyway.
        self.executor = ThreadPoolExecutor(
            max_workers=settings.REQUEST_THREADS, thread_name_prefix="request"
        )

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            set_script_prefix(get_script_prefix(scope))
            serve = sync_to_async(self.serve, thread_sensitive=False, executor=self.executor)
            response = await serve(scope, body_file)
            await self.send_response(response, send)
            if response.streaming and not response.closed:
                await sync_to_async(
                    response.close, thread_sensitive=False, executor=self.executor
                )()

    def serve(self, scope, body_file):
        """In the worker thread: the request, its response, and (unless the response streams
        from an asynchronous iterator) its close."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if response.streaming:
            if response.is_async:
                return response  # consumed and closed on the loop, as Django does
            # Read here, as Django's handler would read it in a thread (whole), so the loop
            # only sends it.
            parts = list(response.streaming_content)
            response.streaming_content = _replay(parts)
        response.close()
        return response


async def _replay(parts: list[bytes]):
    for part in parts:
        yield part
