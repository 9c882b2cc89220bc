"""Benchmark floors: the least a request can cost on this server, measured in the same run.

Mounted only when the `BENCH_FLOORS` setting is on (default off; `python -m bench` turns it on
for the Daphne processes it starts), so production never serves them. Two views:

* `GET /bench/floor/http/`: a trivial Django view through the whole middleware stack (the
  HTTP floor).
* `POST /bench/floor/ingest/`: the least a stored-and-announced message costs: one INSERT of
  the raw body (autocommit, so one WAL flush like any committed write) and one `group_send`
  through the channel layer (the ingest floor); with `?agent=<user id>` the event goes to that
  agent's sockets, so a socket can time it.

The INSERT goes into `bench_floor_ingest`, a plain (logged) table that the bench harness
creates in its own database before starting the servers; no model, no migration. It is logged
on purpose: an UNLOGGED or TEMP table skips the WAL flush that every real commit pays, which
would make the floor unfairly cheap (and a TEMP table lives in one pooled connection only).
Without the table (any database but a bench one) the view answers 503.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from omnichannel.realtime import agent_group

FLOOR_TABLE = "bench_floor_ingest"
FLOOR_GROUP = "bench.floor"


@require_GET
def http_floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


@csrf_exempt
@require_POST
def ingest_floor(request: HttpRequest) -> HttpResponse:
    body = request.body.decode("utf-8", "replace")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {FLOOR_TABLE} (body) VALUES (%s) RETURNING id",  # noqa: S608
                [body],
            )
            row_id = cursor.fetchone()[0]
    except DatabaseError:
        return HttpResponse(b"no bench table", status=503, content_type="text/plain")
    agent = request.GET.get("agent", "")
    group = agent_group(int(agent)) if agent.isdigit() else FLOOR_GROUP
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            group, {"type": "live.event", "event": {"type": "bench.floor", "id": row_id}}
        )
    return HttpResponse(str(row_id).encode(), content_type="text/plain")


urlpatterns = [
    path("http/", http_floor, name="bench-floor-http"),
    path("ingest/", ingest_floor, name="bench-floor-ingest"),
]
