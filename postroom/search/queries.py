"""Find tickets by what they say: ranked, restricted to a ticket queryset, paged by keyset."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from postroom.search.syntax import SearchQuery, search_query_parse
from postroom.tickets.models import Ticket

MAX_LIMIT = 200
# bm25 weights of the FTS5 columns: reference, subject, customer, facts, body.
_BM25 = "bm25(search_ticket_fts, 10.0, 5.0, 3.0, 3.0, 1.0)"
# Snippet markers: control characters no message text is left holding after escaping.
_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"


@dataclass(frozen=True)
class SearchHit:
    """One ticket found: its id, its score (higher is better) and, on SQLite, an HTML
    snippet of its messages with the matched words in <mark>, already escaped."""

    ticket_id: int
    score: float
    snippet_html: str = ""


@dataclass(frozen=True)
class SearchPage:
    """One page of results, best first; `after` asks for the next page (None: no more)."""

    hits: tuple[SearchHit, ...]
    after: tuple[float, int] | None

    @property
    def ticket_ids(self) -> list[int]:
        return [hit.ticket_id for hit in self.hits]


_EMPTY = SearchPage(hits=(), after=None)


def _subquery(queryset: QuerySet[Ticket]) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL and parameters of the ids of *queryset*."""
    ids = queryset.order_by().values("pk")
    sql, params = ids.query.get_compiler(using=queryset.db).as_sql()
    return sql, tuple(params)


def _rows_sqlite(
    query: SearchQuery, scope: tuple[str, tuple[Any, ...]], after: tuple[float, int] | None, limit: int
) -> list[tuple[int, float]]:
    scope_sql, scope_params = scope
    params: list[Any] = [query.as_fts5(), *scope_params]
    keyset = ""
    if after is not None:
        keyset = "WHERE score < %s OR (score = %s AND id < %s)"
        params += [after[0], after[0], after[1]]
    # Matches first, then the scope: with `rowid IN (scope)` beside MATCH, FTS5 would run
    # the full-text query once per ticket of the scope (measured: 10× slower at 2,000).
    keyset = f"AND ({keyset.removeprefix('WHERE ')})" if keyset else ""
    sql = (
        f"WITH hits(id, score) AS MATERIALIZED (SELECT rowid, -{_BM25} FROM search_ticket_fts "  # noqa: S608
        f"WHERE search_ticket_fts MATCH %s) SELECT id, score FROM hits "
        f"WHERE id IN ({scope_sql}) {keyset} ORDER BY score DESC, id DESC LIMIT %s"
    )
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [(int(pk), float(score)) for pk, score in cursor.fetchall()]


def _snippets_sqlite(query: SearchQuery, ids: list[int]) -> dict[int, str]:
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT rowid, snippet(search_ticket_fts, 4, %s, %s, '…', 16) FROM search_ticket_fts "  # noqa: S608
        f"WHERE search_ticket_fts MATCH %s AND rowid IN ({marks})"
    )
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, [_MARK_OPEN, _MARK_CLOSE, query.as_fts5(), *ids])
        rows = cursor.fetchall()
    return {
        int(pk): html.escape(text or "").replace(_MARK_OPEN, "<mark>").replace(_MARK_CLOSE, "</mark>")
        for pk, text in rows
    }


def _rows_postgresql(
    query: SearchQuery, scope: tuple[str, tuple[Any, ...]], after: tuple[float, int] | None, limit: int
) -> list[tuple[int, float]]:
    scope_sql, scope_params = scope
    params: list[Any] = [query.as_tsquery(), *scope_params]
    keyset = ""
    if after is not None:
        keyset = "WHERE score < %s OR (score = %s AND id < %s)"
        params += [after[0], after[0], after[1]]
    sql = (
        "SELECT id, score FROM (SELECT d.ticket_id AS id, "  # noqa: S608
        "ts_rank_cd(d.document, q.query)::float8 AS score "
        "FROM search_ticketdocument d, to_tsquery('simple', %s) AS q(query) "
        f"WHERE d.document @@ q.query AND d.ticket_id IN ({scope_sql})) s {keyset} "
        "ORDER BY score DESC, id DESC LIMIT %s"
    )
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [(int(pk), float(score)) for pk, score in cursor.fetchall()]


def tickets_search(
    *,
    query: str,
    user: Any = None,
    queryset: QuerySet[Ticket] | None = None,
    limit: int = 50,
    after: tuple[float, int] | None = None,
    snippets: bool = False,
) -> SearchPage:
    """Return the tickets matching *query*, best first, among *queryset* (default: all).

    With *user*, only the tickets that user may see (their queues; all for superusers).
    *after* is the previous page's `after`. Empty or punctuation-only queries find nothing.
    """
    parsed = search_query_parse(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    if not parsed:
        return _EMPTY
    scope = Ticket.objects.all() if queryset is None else queryset
    if user is not None:
        from postroom.tickets.queries import tickets_visible_to

        scope = tickets_visible_to(user, scope)
    vendor = connections[scope.db].vendor
    if scope.db != "default" or vendor not in {"sqlite", "postgresql"}:
        return _EMPTY
    fetch = _rows_sqlite if vendor == "sqlite" else _rows_postgresql
    # One more than asked: tells whether a next page exists without another query.
    try:
        scope_sql = _subquery(scope)
    except EmptyResultSet:  # e.g. Ticket.objects.none(), pk__in=[]
        return _EMPTY
    rows = fetch(parsed, scope_sql, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    found = {}
    if snippets and rows and vendor == "sqlite":
        found = _snippets_sqlite(parsed, [pk for pk, _ in rows])
    hits = tuple(SearchHit(ticket_id=pk, score=score, snippet_html=found.get(pk, "")) for pk, score in rows)
    return SearchPage(hits=hits, after=(rows[-1][1], rows[-1][0]) if more else None)
