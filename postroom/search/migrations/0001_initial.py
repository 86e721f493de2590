"""Create the search document table of this database: FTS5 on SQLite, tsvector + GIN on
PostgreSQL. Other databases get nothing (search then returns no results)."""

import django.db.models.deletion
from django.db import migrations, models

import postroom.search.models

SQLITE_CREATE = [
    # rowid = ticket id. Columns in rank order; bm25 weights are in postroom.search.queries.
    "CREATE VIRTUAL TABLE search_ticket_fts USING fts5("
    "reference, subject, customer, facts, body, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    # A deleted ticket takes its document with it (PostgreSQL: ON DELETE CASCADE).
    "CREATE TRIGGER search_ticket_fts_delete AFTER DELETE ON tickets_ticket BEGIN "
    "DELETE FROM search_ticket_fts WHERE rowid = old.id; END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_ticket_fts_delete",
    "DROP TABLE IF EXISTS search_ticket_fts",
]
# The table itself is the TicketDocument model (below), so that Django flushes it with the
# tickets; PostgreSQL adds its GIN index.
POSTGRESQL_CREATE = [
    "ALTER TABLE search_ticketdocument ALTER COLUMN updated_at SET DEFAULT now()",
    "CREATE INDEX search_ticketdocument_document ON search_ticketdocument USING gin (document)",
]
POSTGRESQL_DROP = ["DROP INDEX IF EXISTS search_ticketdocument_document"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        for statement in statements_by_vendor.get(connection.vendor, []):
            try:
                schema_editor.execute(statement)
            except Exception as error:
                if "fts5" in str(error).lower():
                    raise RuntimeError(
                        "This SQLite library lacks FTS5, which Postroom's search needs; "
                        "run Postroom with a Python whose SQLite has FTS5 (most do)."
                    ) from error
                raise

    return run


CREATE = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}
DROP = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tickets", "0002_triage_fields"),
        ("accounts", "0003_customer_timezone"),
    ]

    operations = [
        migrations.CreateModel(
            name="TicketDocument",
            fields=[
                ("ticket", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                                related_name="+", serialize=False, to="tickets.ticket")),
                ("document", postroom.search.models.TsVectorField()),
                ("updated_at", models.DateTimeField()),
            ],
            options={"db_table": "search_ticketdocument"},
        ),
        migrations.RunPython(_run(CREATE), _run(DROP), elidable=False),
    ]
