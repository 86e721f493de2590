"""Trigram indexes for finding customers by part of a name or address (issue #4: the
desk's search shows matching customers). PostgreSQL only; SQLite scans, which is fast
enough at its scale. Without the right to create the extension the indexes are skipped:
search still works, only slower."""

import logging

from django.db import migrations

logger = logging.getLogger(__name__)

INDEXES = (
    ("accounts_customer_name_trgm", "accounts_customer", "UPPER(name)"),
    ("accounts_customeraddress_address_trgm", "accounts_customeraddress", "UPPER(address)"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        try:
            cursor.execute("SAVEPOINT trgm")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("RELEASE SAVEPOINT trgm")
        except Exception as exc:  # noqa: BLE001 - a missing right must not stop the upgrade
            cursor.execute("ROLLBACK TO SAVEPOINT trgm")
            logger.warning("pg_trgm not available (%s); customer search will scan", exc)
            return
        for name, table, expression in INDEXES:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _, _ in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_customernote")]
    operations = [migrations.RunPython(create, drop)]
