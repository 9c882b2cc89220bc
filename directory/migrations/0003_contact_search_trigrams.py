"""Trigram indexes for the Contact Center's search, on PostgreSQL only.

Searching contacts is a case-insensitive "contains" (UPPER(column) LIKE UPPER('%text%')) over
name, e-mail, phone and channel identities; pg_trgm's GIN indexes answer it without reading
every contact. pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create
it. SQLite has no such index and reads the table, which is fine at its sizes.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    ("contact_name_trgm", "directory_contact", "name"),
    ("contact_email_trgm", "directory_contact", "email"),
    ("contact_phone_trgm", "directory_contact", "phone"),
    ("identity_external_id_trgm", "directory_contactidentity", "external_id"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} "
            f"USING gin ((UPPER({quote(column)}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_contact_center")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
