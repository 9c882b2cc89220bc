"""On PostgreSQL a statement a connection runs again and again is prepared: planned once."""

import pytest
from django.db import connection

from rooms.models import Room


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_query_run_again_and_again_is_prepared_by_postgresql():
    for room_id in range(6):
        list(Room.objects.filter(pk=room_id))

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any('FROM "rooms_room"' in statement for statement in prepared)
