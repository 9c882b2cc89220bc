"""The benchmark floors (omnichannel/bench_views.py) exist only where BENCH_FLOORS is on."""

import pytest
from django.conf import settings
from django.test import RequestFactory

from omnichannel import bench_views


@pytest.mark.django_db
def test_floors_are_not_served_by_default(client):
    assert settings.BENCH_FLOORS is False
    assert client.get("/bench/floor/http/").status_code == 404
    assert (
        client.post("/bench/floor/ingest/", b"{}", content_type="application/json").status_code
        == 404
    )


def test_http_floor_is_trivial():
    response = bench_views.http_floor(RequestFactory().get("/bench/floor/http/"))
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_ingest_floor_refuses_without_the_bench_table():
    request = RequestFactory().post("/bench/floor/ingest/", b"{}", content_type="application/json")
    assert bench_views.ingest_floor(request).status_code == 503
