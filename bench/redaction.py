#!/usr/bin/env python
"""Run sensitive-data redaction over a folder of raw mail; print speed and every finding.

    .venv/bin/python bench/redaction.py [../shared/corpus/emails] [--limit N] [--json]

For each message (the files listed in the folder's index.csv, else every *.eml below
it) it times `raw_redact` on the bytes, and `redact_text` on the text `parse_message`
reads from them, whole and cut to its first 2 KB (the "typical message" figure). Then it
prints the count per kind and EVERY finding with its file and about 40 characters of
context around the mask, so that a person can review each one for false positives. The
context is taken from the redacted text: no clear value is ever printed. A benchmark
and a review aid, not a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_FOLDER = ROOT.parent / "shared" / "corpus" / "emails"
CONTEXT = 40
TYPICAL_CHARS = 2048


def _files(folder: Path, limit: int | None) -> list[Path]:
    """Return the message files under *folder*, in index.csv order when there is one."""
    index = folder / "index.csv"
    if index.exists():
        with index.open(newline="") as handle:
            files = [folder / row["file"] for row in csv.DictReader(handle)]
    else:
        files = sorted(folder.rglob("*.eml"))
    return files[:limit] if limit else files


def _percentiles(values: list[float]) -> dict[str, float]:
    """Return p50 and p95 of *values* (microseconds), rounded."""
    if not values:
        return {"p50_us": 0.0, "p95_us": 0.0, "mean_us": 0.0}
    ordered = sorted(values)
    return {
        "p50_us": round(statistics.median(ordered), 1),
        "p95_us": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "mean_us": round(statistics.fmean(ordered), 1),
    }


def _contexts(text: str, masks: list[str]) -> list[str]:
    """Return ~CONTEXT characters around each of *masks*, found in order in *text*."""
    found: list[str] = []
    position = 0
    for mask in masks:
        index = text.find(mask, position)
        if index < 0:
            index = text.find(mask)
        if index < 0:
            found.append("(not visible in the decoded text)")
            continue
        start = max(0, index - CONTEXT)
        end = min(len(text), index + len(mask) + CONTEXT)
        found.append(" ".join(text[start:end].split()))
        position = index + len(mask)
    return found


def _timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, (time.perf_counter() - start) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER))
    parser.add_argument("--limit", type=int, help="Read only the first N messages.")
    parser.add_argument("--json", action="store_true", help="Print one JSON document.")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from postroom.mail.parsing import parse_message
    from postroom.privacy.raw_rewrite import raw_redact
    from postroom.privacy.redaction import redact_text

    folder = Path(args.folder)
    files = _files(folder, args.limit)
    raw_us: list[float] = []
    text_us: list[float] = []
    typical_us: list[float] = []
    kinds: Counter[str] = Counter()
    text_kinds: Counter[str] = Counter()
    findings: list[dict] = []
    errors: list[dict] = []
    rewritten = 0
    for path in files:
        data = path.read_bytes()
        name = str(path.relative_to(folder))
        result, elapsed = _timed(raw_redact, data)
        raw_us.append(elapsed)
        parsed = parse_message(data)
        redacted, elapsed = _timed(redact_text, parsed.text)
        text_us.append(elapsed)
        _, elapsed = _timed(redact_text, parsed.text[:TYPICAL_CHARS])
        typical_us.append(elapsed)
        text_kinds.update(finding.kind for finding in redacted.findings)
        if result.error:
            errors.append({"file": name, "error": result.error})
        if not result.changed:
            continue
        rewritten += 1
        shown = parse_message(result.data)
        visible = "\n".join((shown.subject, shown.text, shown.html))
        masks = [finding.masked for finding in result.findings]
        for finding, context in zip(result.findings, _contexts(visible, masks), strict=True):
            kinds[finding.kind] += 1
            findings.append(
                {
                    "file": name,
                    "kind": finding.kind,
                    "detail": finding.detail,
                    "masked": finding.masked,
                    "context": context,
                }
            )

    report: dict[str, Any] = {
        "folder": str(folder),
        "messages": len(files),
        "messages_rewritten": rewritten,
        "raw_redact": _percentiles(raw_us),
        "redact_text_whole_text": _percentiles(text_us),
        f"redact_text_first_{TYPICAL_CHARS}_chars": _percentiles(typical_us),
        "findings_per_kind": dict(sorted(kinds.items())),
        "text_findings_per_kind": dict(sorted(text_kinds.items())),
        "errors": errors,
        "findings": findings,
    }
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(f"messages scanned:      {report['messages']}")
    print(f"messages rewritten:    {rewritten}")
    for key in ("raw_redact", "redact_text_whole_text", f"redact_text_first_{TYPICAL_CHARS}_chars"):
        figures = report[key]
        print(
            f"{key + ':':<33}p50 {figures['p50_us']:>8.1f} µs   p95 {figures['p95_us']:>8.1f} µs"
            f"   mean {figures['mean_us']:>8.1f} µs"
        )
    print(f"findings per kind (raw bytes: subject + text/html parts): {dict(kinds) or '{}'}")
    print(f"findings per kind (parse_message text only):             {dict(text_kinds) or '{}'}")
    print(f"messages with an error: {len(errors)}")
    for error in errors:
        print(f"  {error['file']}: {error['error']}")
    print("findings:")
    for item in findings:
        print(f"  {item['file']}  {item['kind']}/{item['detail']}  {item['masked']}")
        print(f"      …{item['context']}…")


if __name__ == "__main__":
    main()
