"""Search indexes of rooms, on PostgreSQL only: messages' full-text search vector (GIN) and
trigrams of the closing comment, which the Contact Center's Chats tab filters by.

The message index expression is rooms.selectors.message_search_vector() as it was when this
ran: the same to_tsvector('simple', ...) the search filters by, so the planner uses the index.
The comment index serves UPPER(closing_comment) LIKE UPPER('%text%'), Django's icontains.
SQLite has neither (its search is a plain substring match), so nothing happens there. They are
not in Meta.indexes because such indexes cannot be declared for SQLite.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX_NAME = "message_text_search"
COMMENT_INDEX_NAME = "room_comment_trgm"


def search_index() -> GinIndex:
    return GinIndex(SearchVector("text", config="simple"), name=INDEX_NAME)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.add_index(apps.get_model("rooms", "Message"), search_index())
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {COMMENT_INDEX_NAME} ON rooms_room "
        "USING gin ((UPPER(closing_comment::text)) gin_trgm_ops)"
    )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {COMMENT_INDEX_NAME}")
    schema_editor.remove_index(apps.get_model("rooms", "Message"), search_index())


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0002_source_and_meta"),
        # pg_trgm is created there.
        ("directory", "0003_contact_search_trigrams"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
