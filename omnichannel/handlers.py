"""Django's ASGI handler, with the middleware and the view run in one worker-thread hop."""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class OneHopASGIHandler(ASGIHandler):
    """Runs a request's middleware chain and view together in the request's worker thread.

    Django's own handler runs every middleware that can be asynchronous on the event loop, and
    those call their sync hooks (process_request, process_response) through `sync_to_async`
    one by one. With our middleware (one of which is sync only), a page request crossed
    between the loop and its thread 11 times, where 3 do. Our views and middleware are all sync, so
    the whole chain runs in the thread, as under WSGI, entered once.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
