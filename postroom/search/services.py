"""Keep the search documents up to date: refresh some tickets, or rebuild them all."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection, transaction

from postroom.core import clock
from postroom.core.jobs import enqueue_on_commit
from postroom.search.documents import TicketDocument, ticket_documents
from postroom.search.text import text_fold
from postroom.tickets.models import Ticket

REBUILD_BATCH = 1_000
# Well under SQLite's bound on variables per statement.
_ID_CHUNK = 500

_SQLITE_INSERT = (
    "INSERT INTO search_ticket_fts (rowid, reference, subject, customer, facts, body) "
    "VALUES (%s, %s, %s, %s, %s, %s)"
)
# Weights A–D rank a hit in the reference or subject above one in a message body.
_POSTGRESQL_UPSERT = (
    "INSERT INTO search_ticketdocument (ticket_id, document, updated_at) VALUES (%s, "
    "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B') "
    "|| setweight(to_tsvector('simple', %s), 'C') || setweight(to_tsvector('simple', %s), 'D'), %s) "
    "ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document, "
    "updated_at = EXCLUDED.updated_at"
)


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _write_sqlite(ids: list[int], documents: list[TicketDocument]) -> None:
    with connection.cursor() as cursor:
        for chunk in _chunks(ids, _ID_CHUNK):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM search_ticket_fts WHERE rowid IN ({marks})", chunk)  # noqa: S608
        cursor.executemany(
            _SQLITE_INSERT,
            [(d.ticket_id, d.reference, d.subject, d.customer, d.facts, d.body) for d in documents],
        )


def _write_postgresql(ids: list[int], documents: list[TicketDocument]) -> None:
    now = clock.now()
    present = {d.ticket_id for d in documents}
    gone = [pk for pk in ids if pk not in present]
    with connection.cursor() as cursor:
        if gone:
            cursor.execute("DELETE FROM search_ticketdocument WHERE ticket_id = ANY(%s)", [gone])
        # PostgreSQL's parser would keep "anna@x.example" or "2.3.1" whole and keep accents:
        # fold first, as FTS5 does (postroom.search.text).
        cursor.executemany(
            _POSTGRESQL_UPSERT,
            [
                (
                    d.ticket_id,
                    text_fold(f"{d.reference} {d.subject}"),
                    text_fold(d.customer),
                    text_fold(d.facts),
                    text_fold(d.body),
                    now,
                )
                for d in documents
            ],
        )


def search_document_refresh(*, ticket_ids: Iterable[int]) -> int:
    """Rebuild the search documents of *ticket_ids*; drop those of deleted tickets.

    Returns how many documents were written. A few queries for any number of ids.
    """
    ids = sorted({int(pk) for pk in ticket_ids})
    if not ids or connection.vendor not in {"sqlite", "postgresql"}:
        return 0
    written = 0
    for batch in _chunks(ids, REBUILD_BATCH):
        documents = ticket_documents(ticket_ids=batch)
        with transaction.atomic():
            if connection.vendor == "sqlite":
                _write_sqlite(batch, documents)
            else:
                _write_postgresql(batch, documents)
        written += len(documents)
    return written


def search_document_refresh_later(*, ticket_ids: Iterable[int]) -> None:
    """Refresh the documents of *ticket_ids* in a job once this transaction commits."""
    from postroom.search.tasks import search_refresh

    ids = sorted({int(pk) for pk in ticket_ids})
    if ids:
        enqueue_on_commit(search_refresh, ids)


def search_rebuild(*, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild every ticket's search document, 1,000 tickets at a time; return the count.

    *progress*, if given, is called with the number of tickets done after each batch.
    Documents stay searchable throughout; those of deleted tickets are dropped at the end.
    """
    if connection.vendor not in {"sqlite", "postgresql"}:
        return 0
    done = 0
    last = 0
    while True:
        batch = list(
            Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:REBUILD_BATCH]
        )
        if not batch:
            break
        done += search_document_refresh(ticket_ids=batch)
        last = batch[-1]
        if progress is not None:
            progress(len(batch))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "DELETE FROM search_ticket_fts WHERE rowid NOT IN (SELECT id FROM tickets_ticket)"
            )
            # Merge the index's segments once after a bulk load: faster queries afterwards.
            cursor.execute("INSERT INTO search_ticket_fts (search_ticket_fts) VALUES ('optimize')")
        else:
            cursor.execute(
                "DELETE FROM search_ticketdocument d WHERE NOT EXISTS "
                "(SELECT 1 FROM tickets_ticket t WHERE t.id = d.ticket_id)"
            )
    return done
