#!/usr/bin/env python
"""Ingest a folder of mail end to end and print throughput, latency, memory and outcomes.

    .venv/bin/python bench/ingest.py ../shared/corpus/emails [--limit N] [--json]

Runs on a fresh SQLite database in a temporary data folder, in one process. The first
tenth of the messages goes in one at a time, as deliveries do (store raw, commit, then
parse, steps, commit): that gives the per-message latency. The rest goes in as
`postroom mail import` does it (batches stored raw in one commit, then each processed in
its own savepoint): that gives the throughput. In the same run it times a parse-only pass
over the same messages (stdlib email parsing plus body extraction: the ceiling for any
Python ingest) and prints the ratio. A benchmark, not a test: it prints figures only.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_mib() -> float:
    """Return the current resident set size in MiB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse_only(messages: list[bytes]) -> float:
    """Time stdlib parsing and body extraction over *messages*; returns seconds."""
    from email import policy
    from email.parser import BytesParser

    parser = BytesParser(policy=policy.default)
    start = time.perf_counter()
    for data in messages:
        try:
            msg = parser.parsebytes(data)
            body = msg.get_body(preferencelist=("plain", "html"))
            if body is not None:
                body.get_content()
            for part in msg.iter_attachments():
                part.get_content()
        except Exception:  # noqa: S112 - the ceiling pass only times what works
            continue
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", type=Path, help="folders or files of mail")
    ap.add_argument("--limit", type=int, default=0, help="only the first N messages")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()

    data_dir = tempfile.mkdtemp(prefix="postroom-bench-")
    os.environ["POSTROOM_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["POSTROOM_TASK_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("setup", verbosity=0, no_static=True)
    from postroom.mail.management.commands.mail import IMPORT_BATCH, mail_import_batch
    from postroom.mail.sources.files import iter_messages

    messages = [data for _, data in iter_messages(args.paths)]
    if args.limit:
        messages = messages[: args.limit]
    n = len(messages)
    total_bytes = sum(len(m) for m in messages)

    # Warm both paths (imports, language model, regex compilation) outside the timings.
    parse_only(messages[:20])
    ceiling_s = min(parse_only(messages) for _ in range(2))

    from postroom.mail.parsing import parse_message
    from postroom.routing.language import detect_language

    detect_language("warm up the language detector please")
    detect_language("warm up the fast language detector too, with a text long enough to use it " * 3)
    parse_message(messages[0])
    # What `postroom mail import` and `serve` do after start-up: keep the long-lived
    # objects (models, language tables) out of the garbage collector's way.
    gc.collect()
    gc.freeze()

    rss_start = _rss_mib()
    checkpoints = {}
    outcomes: Counter[str] = Counter()

    # Pass 1, one message at a time as a delivery arrives (SMTP/LMTP/IMAP): store raw in
    # its own commit, then process. Gives the per-message latency.
    from postroom.mail.pipeline.runner import raw_message_process
    from postroom.mail.store import raw_message_store

    # Every tenth message (a fair sample of the folder) goes one at a time.
    single = messages[::10]
    latencies = []
    for i, data in enumerate(single):
        t0 = time.perf_counter()
        raw = raw_message_store(data=data, source="smtp", envelope_from="bench@example.org",
                                envelope_to=["support@postroom.localhost"], origin=f"bench:{i}", process=False)
        outcomes[raw_message_process(raw_id=raw.pk)] += 1
        latencies.append(time.perf_counter() - t0)
    checkpoints[len(single)] = round(_rss_mib(), 1)

    # Pass 2, the rest as `postroom mail import` does it: batches stored in one commit,
    # then processed. Gives the throughput.
    bulk = [m for i, m in enumerate(messages) if i % 10]
    start = time.perf_counter()
    done = 0
    for first in range(0, len(bulk), IMPORT_BATCH):
        batch = [(f"bench:{len(single) + first + j}", d) for j, d in enumerate(bulk[first : first + IMPORT_BATCH])]
        for outcome in mail_import_batch(items=batch):
            outcomes[outcome] += 1
        done += len(batch)
        for mark in (n // 2, n):
            if len(single) + done - len(batch) < mark <= len(single) + done:
                checkpoints[mark] = round(_rss_mib(), 1)
    elapsed = time.perf_counter() - start
    ceiling_bulk_s = min(parse_only(bulk) for _ in range(2))

    latencies.sort()
    figures = {
        "messages": n,
        "megabytes": round(total_bytes / 2**20, 1),
        "ingest_seconds": round(elapsed, 2),
        "ingest_messages_per_second": round(len(bulk) / elapsed, 1),
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 2),
        "latency_ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 2),
        "latency_ms_max": round(latencies[-1] * 1000, 1),
        "parse_only_messages_per_second": round(n / ceiling_s, 1),
        "ratio_to_parse_only_ceiling": round(ceiling_bulk_s / elapsed, 3),
        "rss_mib_at_start": round(rss_start, 1),
        "rss_mib_at_messages": checkpoints,
        "peak_rss_mib": round(_peak_rss_mib(), 1),
        "outcomes": {str(k): v for k, v in sorted(outcomes.items())},
        "accounted_for": sum(outcomes.values()) == n,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"Ingested {n} messages ({figures['megabytes']} MB) end to end on SQLite, one process")
    print(f"  throughput        {figures['ingest_messages_per_second']:>8} msg/s (import path, {len(bulk)} messages)")
    print(f"  latency p50/p95   {figures['latency_ms_p50']} / {figures['latency_ms_p95']} ms (max {figures['latency_ms_max']} ms; "
          f"one delivery at a time, store + process, {len(single)} messages)")
    print(f"  parse-only        {figures['parse_only_messages_per_second']:>8} msg/s (stdlib parse + body extraction)")
    print(f"  ratio to ceiling  {figures['ratio_to_parse_only_ceiling']:.1%} (same messages, same process)")
    print(f"  memory            RSS {figures['rss_mib_at_start']} MiB at start, {checkpoints} by message count; "
          f"peak {figures['peak_rss_mib']} MiB")
    print(f"  outcomes          {figures['outcomes']}")
    print(f"  every message accounted for: {figures['accounted_for']}")


if __name__ == "__main__":
    main()
