#!/usr/bin/env python
"""Seed a desk with N tickets and time its pages server-side: inbox, ticket page, search.

    .venv/bin/python bench/desk.py                       # SQLite, 100,000 tickets
    .venv/bin/python bench/desk.py --tickets 20000 --requests 100
    .venv/bin/python bench/desk.py --postgres postgres://postgres@127.0.0.1:5432/test

Each run builds a fresh database (SQLite in a temporary data folder; on PostgreSQL a
database named postroom_bench_desk is dropped and created on the given server), seeds
tickets with several messages each from the real support texts in ../shared/corpus
(synthetic sentences when the corpus is absent), builds the search index, then requests
pages through Django's test client as an agent of two of three queues and as an admin.
It prints p50/p95/max per page kind and the SQL queries per page at two page sizes
(the count must not grow with the page size). A benchmark, not a test: figures only.
Goals (issue #4, 100,000 tickets, 2 cores): inbox and ticket page p95 < 50 ms, search
p95 < 150 ms.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "tickets"
BENCH_DB = "postroom_bench_desk"
# The inbox's "Next page" link carries the keyset token.
NEXT_PAGE = re.compile(r'<a\b[^>]*\bid="next-page"[^>]*>')
AFTER = re.compile(r'[?&;]after=([^"&]+)')

STATUSES = [("new", 6), ("open", 10), ("pending", 8), ("solved", 16), ("closed", 56), ("spam", 4)]
PRIORITIES = [("low", 15), ("normal", 60), ("high", 20), ("urgent", 5)]
LANGUAGES = ["en", "de", "fr", "es", "pt"]
TAGS = ["refund", "firmware", "battery", "warranty", "sync", "login", "invoice", "bug", "vip", "rma"]
FALLBACK = [
    "My watch stopped syncing with the app after the firmware update.",
    "I was charged twice for my subscription this month, please refund.",
    "The battery drains overnight even when the screen is off.",
    "I cannot log in to my account, the password reset mail never arrives.",
    "The strap broke after two weeks, is this covered by the warranty?",
    "Die App stürzt beim Start ab, seit dem letzten Update.",
]


def _texts(limit: int = 20000) -> list[tuple[str, str]]:
    """Return (subject, body) pairs of real support text, or synthetic ones without the corpus."""
    pairs: list[tuple[str, str]] = []
    sample = CORPUS / "multilang-v4-sample.csv"
    if sample.exists():
        with sample.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row.get("body"):
                    pairs.append(((row.get("subject") or row["body"][:60]).strip(), row["body"].strip()))
    banking = CORPUS / "banking77-train.csv"
    if banking.exists():
        with banking.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                pairs.append((row["text"][:80], row["text"]))
    if not pairs:
        rng = random.Random(7)
        pairs = [(s[:50], " ".join(rng.sample(FALLBACK, 3))) for s in FALLBACK * 50]
    return pairs[:limit]


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _pg_fresh_database(url: str) -> str:
    """Drop and create the bench database on *url*'s server; return its URL."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return urlunsplit(parts._replace(path="/" + BENCH_DB))


def _setup(postgres: str) -> str:
    data_dir = tempfile.mkdtemp(prefix="postroom-bench-desk-")
    os.environ["POSTROOM_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["POSTROOM_TASK_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    os.environ["POSTROOM_ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ["POSTROOM_DEBUG"] = "0"
    if postgres:
        os.environ["POSTROOM_DATABASE_URL"] = _pg_fresh_database(postgres)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    return connection.vendor


def _batches(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(total, start + size))


def seed(*, tickets: int, messages: int, seed_value: int, progress: Callable[[int], None]) -> dict[str, Any]:
    """Write *tickets* tickets with about *messages* messages each; return who to sign in as."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from postroom.accounts.models import AgentProfile, Customer, CustomerAddress, Queue, Role
    from postroom.core import clock
    from postroom.tickets.models import Direction, EventKind, Message, Tag, Ticket, TicketEvent

    rng = random.Random(seed_value)
    texts = _texts()
    User = get_user_model()
    queues = [Queue.objects.create(name=n, slug=s, is_default=s == "support")
              for n, s in (("Technical Support", "support"), ("Billing", "billing"), ("Warranty", "warranty"))]
    agents = []
    for i in range(9):
        user = User.objects.create_user(f"agent{i}", f"agent{i}@staff.example", "bench-password", first_name=f"Agent{i}")
        AgentProfile.objects.create(user=user, role=Role.AGENT)
        queues[i % 3].members.add(user)
        agents.append(user)
    bench_agent = agents[0]
    queues[1].members.add(bench_agent)  # two of three queues
    admin = User.objects.create_user("admin", "admin@staff.example", "bench-password", is_staff=True)
    AgentProfile.objects.create(user=admin, role=Role.ADMIN)
    tags = [Tag.objects.create(name=n) for n in TAGS]
    members = {q.pk: [a for a in agents if q.members.filter(pk=a.pk).exists()] for q in queues}

    customers_wanted = max(1, tickets // 3)
    customer_ids: list[int] = []
    for batch in _batches(customers_wanted, 5000):
        with transaction.atomic():
            made = Customer.objects.bulk_create(
                [Customer(name=f"Customer {i}", language=rng.choice(LANGUAGES)) for i in batch])
            CustomerAddress.objects.bulk_create(
                [CustomerAddress(customer=c, address=f"customer{i}@mail.example") for c, i in zip(made, batch, strict=True)])
            customer_ids.extend(c.pk for c in made)

    now = clock.now()
    Through = Ticket.tags.through
    written = 0
    for batch in _batches(tickets, 2000):
        with transaction.atomic():
            rows = []
            for _ in batch:
                queue = rng.choice(queues)
                created = now - timedelta(minutes=rng.randint(10, 365 * 24 * 60))
                status = _weighted(rng, STATUSES)
                subject, _ = rng.choice(texts)
                rows.append(Ticket(
                    subject=subject[:500], queue=queue, customer_id=rng.choice(customer_ids), status=status,
                    priority=_weighted(rng, PRIORITIES), language=rng.choice(LANGUAGES),
                    assignee=rng.choice(members[queue.pk]) if rng.random() < 0.7 else None,
                    needs_triage=status in ("new", "open") and rng.random() < 0.1,
                    our_address=f"{queue.slug}@desk.example",
                    created_at=created, updated_at=created + timedelta(minutes=rng.randint(0, 60 * 24 * 5)),
                ))
            made = Ticket.objects.bulk_create(rows)
            msgs, events, links = [], [], []
            for t in made:
                for j in range(max(1, messages + rng.randint(-1, 1))):
                    _, body = rng.choice(texts)
                    inbound = j % 2 == 0
                    msgs.append(Message(
                        ticket=t, direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
                        author=None if inbound else t.assignee, from_address=f"c{t.customer_id}@mail.example",
                        from_name=f"Customer {t.customer_id}", subject=t.subject, body_text=body, visible_text=body,
                        message_id=f"<b{t.pk}.{j}@mail.example>", language=t.language,
                        created_at=t.created_at + timedelta(minutes=j * 30)))
                events.append(TicketEvent(ticket=t, kind=EventKind.CREATED, summary="Created from mail",
                                          source="mail", created_at=t.created_at))
                events.append(TicketEvent(ticket=t, kind=EventKind.ROUTED, summary=f"Routed to {t.queue_id}",
                                          source="classifier:v1 p=0.93", created_at=t.created_at))
                if rng.random() < 0.2:
                    links.append(Through(ticket_id=t.pk, tag_id=rng.choice(tags).pk))
            Message.objects.bulk_create(msgs)
            TicketEvent.objects.bulk_create(events)
            Through.objects.bulk_create(links, ignore_conflicts=True)
        written += len(batch)
        progress(len(batch))
    return {"agent": bench_agent, "admin": admin, "queues": queues}


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"n": len(values), "p50": statistics.median(ordered), "p95": p95, "max": ordered[-1]}


def measure(*, people: dict[str, Any], requests: int, seed_value: int) -> dict[str, Any]:
    """Request inbox pages, ticket pages and searches; return timings in ms and query counts."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from postroom.desk.access import TOTP_SESSION_KEY
    from postroom.tickets.queries import tickets_visible_to

    rng = random.Random(seed_value + 1)
    clients = {}
    for who in ("agent", "admin"):
        client = Client()
        client.force_login(people[who])
        session = client.session
        session[TOTP_SESSION_KEY] = True
        session.save()
        clients[who] = client
    inbox = reverse("desk:inbox")
    agent = people["agent"]
    visible_ids = list(tickets_visible_to(agent).order_by("?").values_list("pk", flat=True)[:2000])
    words = ["battery", "refund", "password", "card", "sync", "update", "Rechnung", "account", "firmware", "transfer",
             "crash", "warranty", "charged twice", "top up", "Datenanalyse", "app"]
    inbox_params = [
        {}, {"view": "unassigned"}, {"view": "all"}, {"view": "pending"}, {"view": "triage"},
        {"view": "queue:support"}, {"view": "all", "sort": "priority"}, {"view": "all", "sort": "age"},
        {"view": "all", "status": "open", "priority": "high"}, {"view": "all", "tag": "refund"},
        {"view": "all", "language": "de"},
    ]

    def timed(client: Client, url: str, params: dict[str, str]) -> tuple[float, Any]:
        start = time.perf_counter()
        response = client.get(url, params)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"GET {url} {params} answered {response.status_code}")
        return elapsed, response

    # Warm up caches, the connection and template loading.
    for params in inbox_params:
        timed(clients["agent"], inbox, params)
    results: dict[str, list[float]] = {"inbox": [], "inbox next page": [], "ticket": [], "search": [],
                                      "inbox (admin)": []}
    for i in range(requests):
        params = inbox_params[i % len(inbox_params)]
        ms, response = timed(clients["agent"], inbox, params)
        results["inbox"].append(ms)
        link = NEXT_PAGE.search(response.content.decode())
        found = AFTER.search(link.group(0)) if link else None
        token = unquote(html.unescape(found.group(1))) if found else None
        if token:
            results["inbox next page"].append(timed(clients["agent"], inbox, {**params, "after": token})[0])
        results["inbox (admin)"].append(timed(clients["admin"], inbox, params)[0])
        ticket_id = rng.choice(visible_ids)
        results["ticket"].append(timed(clients["agent"], reverse("desk:ticket", args=[ticket_id]), {})[0])
        results["search"].append(timed(clients["agent"], inbox, {"q": rng.choice(words)})[0])

    queries: dict[str, dict[int, int]] = {}
    for per in (25, 100):
        for label, params in (("inbox", {"view": "all", "per": str(per)}),
                              ("search", {"q": "card", "per": str(per)})):
            with CaptureQueriesContext(connection) as ctx:
                clients["agent"].get(inbox, params)
            queries.setdefault(label, {})[per] = len(ctx.captured_queries)
    return {"timings_ms": {k: _percentiles(v) for k, v in results.items() if v}, "queries_per_page": queries}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickets", type=int, default=100_000, help="tickets to seed (default 100,000)")
    ap.add_argument("--messages", type=int, default=3, help="messages per ticket, on average (default 3)")
    ap.add_argument("--requests", type=int, default=200, help="requests per page kind (default 200)")
    ap.add_argument("--postgres", default="", metavar="URL",
                    help=f"run on PostgreSQL: a server URL; database {BENCH_DB} is dropped and created there")
    ap.add_argument("--seed", type=int, default=4, help="random seed")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()

    vendor = _setup(args.postgres)
    from tqdm import tqdm

    from postroom.search.services import search_rebuild

    started = time.perf_counter()
    with tqdm(total=args.tickets, unit="ticket", desc=f"Seeding ({vendor})", disable=args.json) as bar:
        people = seed(tickets=args.tickets, messages=args.messages, seed_value=args.seed, progress=bar.update)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    with tqdm(total=args.tickets, unit="ticket", desc="Search index", disable=args.json) as bar:
        search_rebuild(progress=bar.update)
    indexed = time.perf_counter() - started
    from postroom.core.statistics import database_statistics_refresh

    analysed = database_statistics_refresh()  # as `postroom mail import` and serve's daily sweep do
    figures = measure(people=people, requests=args.requests, seed_value=args.seed)
    figures.update({
        "database": vendor, "tickets": args.tickets, "seed_seconds": round(seeded, 1),
        "index_seconds": round(indexed, 1), "analyze_seconds": round(analysed, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    })
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"\n{args.tickets:,} tickets on {vendor}: seeded in {seeded:.0f} s, indexed in {indexed:.0f} s, "
          f"peak RSS {figures['peak_rss_mib']:.0f} MiB")
    print(f"{'page':<18}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for label, t in figures["timings_ms"].items():
        print(f"{label:<18}{t['n']:>6}{t['p50']:>10.1f}{t['p95']:>10.1f}{t['max']:>10.1f}")
    for label, counts in figures["queries_per_page"].items():
        print(f"SQL queries per {label} page: " + ", ".join(f"{n} at {per} rows" for per, n in counts.items()))


if __name__ == "__main__":
    main()
