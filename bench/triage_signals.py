#!/usr/bin/env python
"""Measure the triage signals (urgency cues, tone) against a labelled ticket CSV.

    .venv/bin/python bench/triage_signals.py [../shared/corpus/tickets/multilang-v1.csv]
        [--json] [--show urgent|negative|positive|manager|calm] [--limit 20] [--seed 1]
        [--repeat 5]

Per language it prints how often the cue-based priority (priority_combine over
priority_cues) is high or urgent when the label is high, and when it is medium or low:
precision and recall of "cue says high" against "label says high", the share of messages
with any cue, the share the tone marks negative (and positive, and asking for a manager),
and the time per message (the fastest of --repeat runs, so that other processes on a shared
machine do not count). The labels are synthetic and noisy: use the figures to find
false positives (--show prints flagged samples with their reasons), not to tune to them.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from postroom.routing.tone import Tone, tone_assess  # noqa: E402
from postroom.routing.urgency import priority_combine, priority_cues  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "corpus" / "tickets" / "multilang-v1.csv"
HIGH = frozenset({"high", "urgent", "critical"})


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class _Result:
    id: str
    language: str
    label: str  # the CSV's priority: high / medium / low
    subject: str
    body: str
    priority: str  # priority_combine over priority_cues
    reasons: tuple[str, ...]
    tone: Tone
    cue_us: float
    tone_us: float

    @property
    def label_high(self) -> bool:
        return self.label in HIGH

    @property
    def cue_high(self) -> bool:
        return self.priority in HIGH


def _cue_priority(*, subject: str, text: str, language: str) -> str:
    """Return the priority the cues alone give a message."""
    return priority_combine(priority_cues(subject=subject, text=text, language=language)).priority


def _best_us(call: Callable[[], object], repeat: int) -> float:
    """Return the fastest of *repeat* runs of *call* in microseconds: other processes on a
    shared machine only ever add time."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best * 1e6


def _assess(rows: list[dict[str, str]], *, repeat: int = 1) -> list[_Result]:
    """Return, per row, the cue priority, its reasons, the tone and the time taken."""
    results = []
    for row in rows:
        subject = row.get("subject") or ""
        body = row.get("body") or row.get("text") or ""  # banking77 has only "text"
        language = row.get("language") or "?"
        cues = priority_cues(subject=subject, text=body, language=language)
        tone = tone_assess(text=body, subject=subject, language=language)
        results.append(
            _Result(
                id=row.get("id", ""),
                language=language,
                label=row.get("priority", "").strip().lower(),
                subject=subject,
                body=body,
                priority=priority_combine(cues).priority,
                reasons=tuple(f"{s.source}: {s.reason}" for s in cues),
                tone=tone,
                cue_us=_best_us(
                    partial(_cue_priority, subject=subject, text=body, language=language), repeat
                ),
                tone_us=_best_us(
                    partial(tone_assess, text=body, subject=subject, language=language), repeat
                ),
            )
        )
    return results


def _share(count: int, total: int) -> float | None:
    return round(count / total, 3) if total else None


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[int(fraction * (len(ordered) - 1))], 1)


def _table(results: list[_Result]) -> dict[str, dict[str, float | int | None]]:
    """Return the figures per language, and for all languages under "all"."""
    groups: dict[str, list[_Result]] = defaultdict(list)
    for result in results:
        groups[result.language].append(result)
        groups["all"].append(result)
    table: dict[str, dict[str, float | int | None]] = {}
    for language in sorted(groups, key=lambda lang: (lang == "all", lang)):
        group = groups[language]
        n = len(group)
        label_high = [r for r in group if r.label_high]
        label_other = [r for r in group if not r.label_high]
        flagged = [r for r in group if r.cue_high]
        true_positive = sum(r.label_high for r in flagged)
        table[language] = {
            "n": n,
            "label_high": len(label_high),
            "cue_high_when_label_high": _share(
                sum(r.cue_high for r in label_high), len(label_high)
            ),
            "cue_high_when_label_other": _share(
                sum(r.cue_high for r in label_other), len(label_other)
            ),
            "precision": _share(true_positive, len(flagged)),
            "recall": _share(true_positive, len(label_high)),
            "cue_urgent": _share(sum(r.priority == "urgent" for r in group), n),
            "cue_low": _share(sum(r.priority == "low" for r in group), n),
            "negative": _share(sum(r.tone.label == "negative" for r in group), n),
            "positive": _share(sum(r.tone.label == "positive" for r in group), n),
            "manager": _share(sum(r.tone.asks_for_manager for r in group), n),
            "cue_us_p50": round(statistics.median(r.cue_us for r in group), 1),
            "cue_us_p95": _percentile([r.cue_us for r in group], 0.95),
            "tone_us_p50": round(statistics.median(r.tone_us for r in group), 1),
            "tone_us_p95": _percentile([r.tone_us for r in group], 0.95),
        }
    return table


def _print_table(table: dict[str, dict[str, float | int | None]]) -> None:
    columns = (
        ("lang", 5), ("n", 4), ("lbl-hi", 6), ("hi|hi", 6), ("hi|oth", 6), ("prec", 5),
        ("recall", 6), ("urgent", 6), ("low", 5), ("neg", 5), ("pos", 5), ("mgr", 5),
        ("cue µs p50/p95", 15), ("tone µs p50/p95", 16),
    )  # fmt: skip
    print(" ".join(name.rjust(width) for name, width in columns))
    for language, row in table.items():
        cells = [
            language, row["n"], row["label_high"], row["cue_high_when_label_high"],
            row["cue_high_when_label_other"], row["precision"], row["recall"],
            row["cue_urgent"], row["cue_low"], row["negative"], row["positive"], row["manager"],
            f"{row['cue_us_p50']}/{row['cue_us_p95']}", f"{row['tone_us_p50']}/{row['tone_us_p95']}",
        ]  # fmt: skip
        pairs = zip(cells, columns, strict=True)
        print(" ".join(str("-" if c is None else c).rjust(w) for c, (_, w) in pairs))
    print(
        "hi|hi: cue priority high/urgent when the label is high; hi|oth: when it is medium or"
        " low;\nprec/recall: of 'cue says high' for 'label says high'; urgent/low: share of"
        " cue priority;\nneg/pos/mgr: share of tone negative/positive/asking for a manager."
    )


def _show(results: list[_Result], what: str, limit: int, seed: int) -> None:
    """Print up to *limit* random results of one kind, with their reasons and cues."""
    chosen: dict[str, Callable[[_Result], bool]] = {
        "urgent": lambda r: r.cue_high,
        "calm": lambda r: r.priority == "low",
        "negative": lambda r: r.tone.label == "negative",
        "positive": lambda r: r.tone.label == "positive",
        "manager": lambda r: r.tone.asks_for_manager,
    }
    picked = [r for r in results if chosen[what](r)]
    random.Random(seed).shuffle(picked)
    for r in picked[:limit]:
        print(
            f"=== {r.id} [{r.language}] label={r.label} cue={r.priority}"
            f" tone={r.tone.label} {r.tone.score} {list(r.tone.cues)}"
        )
        for reason in r.reasons:
            print("   ", reason)
        print("    S:", r.subject)
        print("    B:", " ".join(r.body.split())[:500])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.add_argument("--show", choices=("urgent", "calm", "negative", "positive", "manager"))
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeat", type=int, default=5, help="time each message this often, keep the fastest"
    )
    args = parser.parse_args(argv)

    rows = _rows(args.csv)
    _assess(rows[:50])  # warm up: first calls fill the fold table's cache
    results = _assess(rows, repeat=args.repeat)
    if args.show:
        _show(results, args.show, args.limit, args.seed)
        return
    table = _table(results)
    if args.json:
        print(json.dumps({"csv": str(args.csv), "languages": table}, indent=2))
    else:
        _print_table(table)


if __name__ == "__main__":
    main()
