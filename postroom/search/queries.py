"""Find tickets by what they say: ranked, restricted to a ticket queryset, paged by keyset."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from postroom.search.documents import ticket_bodies
from postroom.search.syntax import SearchQuery, search_query_parse
from postroom.search.text import WORD, text_words
from postroom.tickets.models import Ticket

MAX_LIMIT = 200
# PostgreSQL ranks at most this many matches, those of the newest tickets (issue #4: search
# p95 < 150 ms at 100,000 tickets): ranking all 60,000 matches of "card" in the bench took
# 175 ms, finding and ranking the newest 1,000 takes 5 ms. A query with fewer matches is
# ranked whole, as SQLite ranks every match.
PG_RANKED_MAX = 1_000
# Snippets (PostgreSQL; SQLite's come from FTS5): this many words around the best match,
# found in the first SNIPPET_SOURCE_CHARS characters of a ticket's messages.
SNIPPET_WORDS = 16
SNIPPET_SOURCE_CHARS = 10_000
# Context before a snippet's first match, in words, and how much of a long word or of the
# punctuation between two words it shows.
_SNIPPET_LEAD = 4
_SNIPPET_WORD_CHARS = 40
_SNIPPET_GAP_CHARS = 12
_SPACES = re.compile(r"\s+")
# How many terms of a query the choice of a way estimates one by one (one query each).
_ESTIMATED_TERMS = 4
_MATCHING = "SELECT 1 FROM search_ticketdocument WHERE document @@ to_tsquery('simple', %s)"
# bm25 weights of the FTS5 columns: reference, subject, customer, facts, body.
_BM25 = "bm25(search_ticket_fts, 10.0, 5.0, 3.0, 3.0, 1.0)"
# Snippet markers: control characters no message text is left holding after escaping.
_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"


@dataclass(frozen=True)
class SearchHit:
    """One ticket found: its id, its score (higher is better) and, when asked for, an HTML
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


_FLOOR_CHUNK = 2_000
_FLOOR_CHUNKS = 10


def _newest_match_floor_sqlite(query: SearchQuery, scope: QuerySet[Ticket]) -> int | None:
    """Return the id from which matches are to be scored: that of the PG_RANKED_MAX-th
    newest match in *scope*, or 0 when few tickets match at all (all are scored); None
    when neither (fewer than PG_RANKED_MAX of the newest 20,000 matches are in the scope).

    Walks the matches newest first from the full-text index alone (no scoring: 2,000 ids
    in about 2 ms) and checks each chunk against the scope by primary key.
    """
    seen = total = 0
    below: int | None = None
    with connections["default"].cursor() as cursor:
        for _ in range(_FLOOR_CHUNKS):
            params: list[Any] = [query.as_fts5()]
            older = ""
            if below is not None:
                older = "AND rowid < %s"
                params.append(below)
            cursor.execute(
                f"SELECT rowid FROM search_ticket_fts WHERE search_ticket_fts MATCH %s {older} "  # noqa: S608
                "ORDER BY rowid DESC LIMIT %s", [*params, _FLOOR_CHUNK])
            chunk = [int(row[0]) for row in cursor.fetchall()]
            total += len(chunk)
            if not chunk:
                return 0 if total <= _FLOOR_CHUNK * 2 else None
            inside = set(scope.filter(pk__in=chunk).values_list("pk", flat=True))
            for pk in chunk:
                if pk in inside:
                    seen += 1
                    if seen == PG_RANKED_MAX:
                        return pk
            if len(chunk) < _FLOOR_CHUNK:
                return 0 if total <= _FLOOR_CHUNK * 2 else None
            below = chunk[-1]
    return None


def _rows_sqlite_newest(query: SearchQuery, scope: QuerySet[Ticket], after: tuple[float, int] | None,
                        limit: int, *, floor: int) -> list[tuple[int, float]]:
    """Return (id, score) of the best matches in *scope* among those from id *floor* up.

    Scores the matches of that id range (the full-text index walks it directly), then
    keeps those in the scope by primary key: cheaper than building the scope's id list,
    which a common word's agent-wide search would otherwise read whole (67,000 ids).
    """
    with connections["default"].cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, -{_BM25} FROM search_ticket_fts WHERE search_ticket_fts MATCH %s AND rowid >= %s",  # noqa: S608
            [query.as_fts5(), floor])
        scored = [(int(pk), float(score)) for pk, score in cursor.fetchall()]
    inside = set(scope.filter(pk__in=[pk for pk, _ in scored]).values_list("pk", flat=True)) if scored else set()
    rows = [(pk, score) for pk, score in scored if pk in inside and (
        after is None or score < after[0] or (score == after[0] and pk < after[1]))]
    rows.sort(key=lambda row: (-row[1], -row[0]))
    return rows[:limit]


def _rows_sqlite(
    query: SearchQuery, scope: tuple[str, tuple[Any, ...]], after: tuple[float, int] | None, limit: int
) -> list[tuple[int, float]]:
    scope_sql, scope_params = scope
    params: list[Any] = [query.as_fts5()]
    params += list(scope_params)
    keyset = ""
    if after is not None:
        keyset = "AND (score < %s OR (score = %s AND id < %s))"
        params += [after[0], after[0], after[1]]
    # Matches first, then the scope: with `rowid IN (scope)` beside MATCH, FTS5 would run
    # the full-text query once per ticket of the scope (measured: 10× slower at 2,000).
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


def _rows_estimated(cursor: Any, sql: str, params: Iterable[Any]) -> float:
    """Return the number of rows the planner expects *sql* to return (it runs nothing)."""
    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", list(params))
    plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str | bytes) else plan
    return float(plan[0]["Plan"]["Plan Rows"])


def _search_way(
    *, documents: float, matching: float, scoped: float, matching_most: float | None = None
) -> str:
    """Return how PostgreSQL finds the newest PG_RANKED_MAX matches in a scope, from the
    planner's estimates: "walk", "matches" or "scope" (the cheapest; "matches" without
    statistics, *documents* ≤ 0).

    The ways touch about this many rows, at D *documents*, a share s of them *matching* and
    a share f of them in the scope (*scoped*): walking the documents down the primary key,
    testing each and stopping at the N-th match, N / (s × f); looking each match up in the
    scope, s × D; looking each ticket of the scope up in the documents, f × D. At 100,000
    tickets a common word in a wide scope walks (5 ms for "card", in 60 % of them), a rarer
    one takes the GIN index ("update", in 5 %: 20 ms, where the planner's own choice, the
    walk, took 180 ms: it prices testing a document far too low), a narrow scope goes first.

    The planner takes words as independent: "top up" is in 28 % of the bench's tickets, it
    expects 11 %. So each way is priced at its worst: the walk at the planner's share, the
    lookups at *matching_most*, the matches of the query's rarest term.
    """
    if documents <= 0:
        return "matches"
    share = min(1.0, matching / documents)
    share_most = max(share, min(1.0, (matching if matching_most is None else matching_most) / documents))
    scope_share = min(1.0, scoped / documents)
    walk = PG_RANKED_MAX / max(share * scope_share, 1e-9)
    if walk <= min(share_most, scope_share) * documents:
        return "walk"
    return "scope" if scope_share < share_most else "matches"


def _candidates_postgresql(
    cursor: Any, query: SearchQuery, scope: tuple[str, tuple[Any, ...]]
) -> tuple[str, list[Any]]:
    """Return the SQL and parameters of the ids of the newest PG_RANKED_MAX documents in
    *scope* that match *query*, written for _search_way()'s way.

    OFFSET 0 keeps a lookup a lookup: joined freely, the planner scans every ticket of the
    scope (25 ms at 100,000 tickets); "+ 0" hides the primary key's order, so that the
    planner takes the GIN index instead of walking.
    """
    scope_sql, scope_params = scope
    tsquery = query.as_tsquery()
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'search_ticketdocument'::regclass")
    row = cursor.fetchone()
    documents = float(row[0]) if row else 0.0
    matching = scoped = 0.0
    matching_most: float | None = None
    if documents > 0:  # -1 until the table is first analysed: no statistics to go by
        matching = _rows_estimated(cursor, _MATCHING, [tsquery])
        if len(query.terms) > 1:  # the rarest of the first few terms bounds the matches
            matching_most = min(
                _rows_estimated(cursor, _MATCHING, [SearchQuery(terms=(term,)).as_tsquery()])
                for term in query.terms[:_ESTIMATED_TERMS]
            )
        scoped = _rows_estimated(cursor, scope_sql, scope_params)
    way = _search_way(documents=documents, matching=matching, scoped=scoped, matching_most=matching_most)
    if way == "walk":
        return (
            "SELECT d.ticket_id FROM search_ticketdocument d "  # noqa: S608
            f"WHERE d.document @@ to_tsquery('simple', %s) AND d.ticket_id IN ({scope_sql}) "
            "ORDER BY d.ticket_id DESC LIMIT %s",
            [tsquery, *scope_params, PG_RANKED_MAX],
        )
    if way == "scope":
        return (
            f"SELECT s.id FROM ({scope_sql}) AS s (id) WHERE EXISTS (SELECT 1 "  # noqa: S608
            "FROM search_ticketdocument d WHERE d.ticket_id = s.id "
            "AND d.document @@ to_tsquery('simple', %s) OFFSET 0) ORDER BY s.id DESC LIMIT %s",
            [*scope_params, tsquery, PG_RANKED_MAX],
        )
    return (
        "SELECT d.ticket_id FROM search_ticketdocument d "  # noqa: S608
        "WHERE d.document @@ to_tsquery('simple', %s) AND EXISTS (SELECT 1 "
        f"FROM ({scope_sql}) AS s (id) WHERE s.id = d.ticket_id OFFSET 0) "
        "ORDER BY d.ticket_id + 0 DESC LIMIT %s",
        [tsquery, *scope_params, PG_RANKED_MAX],
    )


def _rows_postgresql(
    query: SearchQuery, scope: tuple[str, tuple[Any, ...]], after: tuple[float, int] | None, limit: int
) -> list[tuple[int, float]]:
    tsquery = query.as_tsquery()
    keyset = ""
    keyset_params: list[Any] = []
    if after is not None:
        keyset = "WHERE score < %s OR (score = %s AND id < %s)"
        keyset_params = [after[0], after[0], after[1]]
    with connections["default"].cursor() as cursor:
        # Only the candidates are ranked; the same ones for every page of one search.
        candidates, params = _candidates_postgresql(cursor, query, scope)
        # A lookup per candidate (OFFSET 0): joined freely, the planner may rank every
        # document to read them in score order (450 ms).
        sql = (
            f"SELECT id, score FROM (SELECT c.id, r.score FROM ({candidates}) AS c (id) "  # noqa: S608
            "CROSS JOIN LATERAL (SELECT "
            "ts_rank_cd(d.document, to_tsquery('simple', %s))::float8 AS score "
            "FROM search_ticketdocument d WHERE d.ticket_id = c.id OFFSET 0) r) s "
            f"{keyset} ORDER BY score DESC, id DESC LIMIT %s"
        )
        cursor.execute(sql, [*params, tsquery, *keyset_params, limit])
        return [(int(pk), float(score)) for pk, score in cursor.fetchall()]


def _snippets_postgresql(query: SearchQuery, ids: list[int]) -> dict[int, str]:
    # PostgreSQL keeps only the tsvector, not the text: read the page's messages again.
    bodies = ticket_bodies(ticket_ids=ids, max_chars=SNIPPET_SOURCE_CHARS)
    return {pk: snippet_html(query, text) for pk, text in bodies.items()}


def _snippet_tokens(text: str) -> tuple[list[re.Match[str]], list[tuple[str, int]]]:
    """Return the word tokens of *text* and their folded words, each with its token's index."""
    tokens = list(WORD.finditer(text))
    words = []
    for index, token in enumerate(tokens):
        word = token.group()
        if word.isascii():  # letters and digits only: folding is lower-casing (5× faster)
            words.append((word.lower(), index))
        else:
            words += [(folded, index) for folded in text_words(word)]
    return tokens, words


def _marked(query: SearchQuery, words: list[tuple[str, int]]) -> dict[int, int]:
    """Return the indexes of the tokens that match a term of *query*, each with its term's number."""
    marked: dict[int, int] = {}
    folded = [word for word, _ in words]
    for number, term in enumerate(query.terms):
        *head, last = term.words
        size = len(term.words)
        for start in range(len(folded) - size + 1):
            end = folded[start + size - 1]
            if (end == last or (term.prefix and end.startswith(last))) and (
                not head or folded[start : start + size - 1] == head
            ):
                for _, index in words[start : start + size]:
                    marked.setdefault(index, number)
    return marked


def _gap(text: str) -> str:
    """Return the text between two snippet words, its whitespace collapsed, long runs cut."""
    text = _SPACES.sub(" ", text)
    return text if len(text) <= _SNIPPET_GAP_CHARS else text[: _SNIPPET_GAP_CHARS - 1] + "… "


def snippet_html(query: SearchQuery, text: str) -> str:
    """Return up to SNIPPET_WORDS words of *text* around its best match of *query*, as escaped
    HTML with the matched words in <mark>; "…" where text was left out. Without a match, the
    start of the text (as FTS5's snippet() does)."""
    # Composed accents, so that a word is one token here as in the folded index.
    text = unicodedata.normalize("NFC", text)
    tokens, words = _snippet_tokens(text)
    if not tokens:
        return ""
    marked = _marked(query, words)
    # The window with the most different terms, then the most matches, then the first;
    # it starts a little before its first match, at a sentence start when one is near.
    best = (0, 0, 0)
    for index in sorted(marked):
        if best[0] == len(query.terms) and index >= best[2] + SNIPPET_WORDS:
            break  # a window with every term; later ones could only hold more repeats
        start = index
        for back in range(1, _SNIPPET_LEAD + 1):
            if index - back < 0:
                break
            before = text[tokens[index - back].end() : tokens[index - back + 1].start()]
            if any(mark in before for mark in ".!?\n"):
                break
            start = index - back
        start = max(0, min(start, len(tokens) - SNIPPET_WORDS))
        end = min(len(tokens), start + SNIPPET_WORDS)
        inside = [marked[i] for i in range(start, end) if i in marked]
        score = (len(set(inside)), len(inside))
        if score > best[:2]:
            best = (*score, start)
    start = best[2]
    end = min(len(tokens), start + SNIPPET_WORDS)
    # Punctuation before the first word or after the last stays when the snippet reaches there.
    parts = ["…"] if start > 0 else [html.escape(_gap(text[: tokens[0].start()]).lstrip())]
    for index in range(start, end):
        if index > start:
            parts.append(html.escape(_gap(text[tokens[index - 1].end() : tokens[index].start()])))
        word = tokens[index].group()
        if len(word) > _SNIPPET_WORD_CHARS:  # a pasted key or base64 blob is one "word"
            word = word[: _SNIPPET_WORD_CHARS - 1] + "…"
        parts.append(f"<mark>{html.escape(word)}</mark>" if index in marked else html.escape(word))
    parts.append("…" if end < len(tokens) else html.escape(_gap(text[tokens[-1].end() :]).rstrip()))
    return "".join(parts)


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
    On PostgreSQL only the newest PG_RANKED_MAX matches are ranked (SQLite ranks them all).
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
    # One more than asked: tells whether a next page exists without another query.
    try:
        scope_sql = _subquery(scope)
    except EmptyResultSet:  # e.g. Ticket.objects.none(), pk__in=[]
        return _EMPTY
    if vendor == "sqlite":
        # As on PostgreSQL: a word that matches thousands of tickets ranks only the newest
        # PG_RANKED_MAX of them (bm25 over 60,000 matches costs 170 ms; over 1,000, 5 ms).
        floor = _newest_match_floor_sqlite(parsed, scope)
        if floor is None:
            rows = _rows_sqlite(parsed, scope_sql, after, limit + 1)
        else:
            rows = _rows_sqlite_newest(parsed, scope, after, limit + 1, floor=floor)
    else:
        rows = _rows_postgresql(parsed, scope_sql, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    found = {}
    if snippets and rows:
        snippets_of = _snippets_sqlite if vendor == "sqlite" else _snippets_postgresql
        found = snippets_of(parsed, [pk for pk, _ in rows])
    hits = tuple(SearchHit(ticket_id=pk, score=score, snippet_html=found.get(pk, "")) for pk, score in rows)
    return SearchPage(hits=hits, after=(rows[-1][1], rows[-1][0]) if more else None)
