#!/usr/bin/env python
"""Compare the ways of training learned routing on a labelled CSV and print the figures.

    .venv/bin/python bench/routing.py [../shared/corpus/tickets/banking77-train.csv]
        [--approaches words,sentences,words+sentences,words+sentences+neighbours]
        [--folds 5] [--limit N] [--json]

For each approach (a set of postroom.routing.members):
- quality: `folds`-fold stratified cross-validation with `evaluate`: accuracy and macro-F1
  at full coverage, precision and coverage at each fold model's own threshold (chosen on
  that model's training folds only), and the most confused pairs. Sentence vectors are
  computed once for all folds (cached by text).
- cost, in a fresh process per approach: the wall time to train on the whole file
  (encoding included, nothing cached), the peak memory while training, the model file's
  size, then in another fresh process the memory of a loaded model (encoder included) and
  the latency of predicting messages one at a time, as they arrive (p50/p95, warm).

A benchmark, not a test: it prints figures only. The machine this runs on matters: the
issue's budget is 2 CPU cores, training under 2 minutes, prediction under 10 ms.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_CSV = ROOT.parent / "shared" / "corpus" / "tickets" / "banking77-train.csv"
APPROACHES = ("words", "sentences", "words+sentences", "words+sentences+neighbours")
LATENCY_MESSAGES = 500


def _peak_rss_mib() -> float:
    """Return this process's peak resident set size in MiB (Linux: ru_maxrss is KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mib() -> float:
    """Return the current resident set size in MiB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _read(csv_path: str, limit: int | None):
    from postroom.routing.dataset import labeled_texts_read

    data = labeled_texts_read(csv_path, text_columns=("text",), label_column="category")
    texts, labels = list(data.texts), list(data.labels)
    if limit:
        # Every k-th row keeps every label in proportion.
        step = max(1, len(texts) // limit)
        texts, labels = texts[::step][:limit], labels[::step][:limit]
    return texts, labels


def _train_full(csv_path: str, limit: int | None, members: tuple[str, ...], model_path: str) -> dict:
    """Train on the whole file in this (fresh) process; return time, memory and size."""
    from postroom.routing.classifier import train_classifier
    from postroom.routing.model_file import model_save

    texts, labels = _read(csv_path, limit)
    start = time.perf_counter()
    model = train_classifier(texts=texts, labels=labels, members=members)
    seconds = time.perf_counter() - start
    model_save(model, model_path)
    return {
        "train_seconds": round(seconds, 1),
        "train_peak_rss_mib": round(_peak_rss_mib()),
        "model_file_mib": round(os.path.getsize(model_path) / 2**20, 1),
        "inner_cv_accuracy": round(model.card.metrics.accuracy, 4),
    }


def _serve(csv_path: str, limit: int | None, model_path: str) -> dict:
    """Load the model in this (fresh) process; time single-message predictions."""
    import random

    from postroom.routing.evaluation import timed_predictions
    from postroom.routing.model_file import model_load

    texts, _ = _read(csv_path, limit)
    base = _rss_mib()
    start = time.perf_counter()
    model = model_load(model_path)
    model.predict("warm up: load the encoder weights")
    load_seconds = time.perf_counter() - start
    sample = random.Random(0).sample(texts, min(LATENCY_MESSAGES, len(texts)))
    ms = sorted(s * 1000 for s in timed_predictions(model, sample))
    return {
        "load_seconds": round(load_seconds, 2),
        "serve_rss_mib": round(_rss_mib() - base),
        "predict_ms_p50": round(statistics.median(ms), 2),
        "predict_ms_p95": round(ms[int(0.95 * (len(ms) - 1))], 2),
    }


def _in_child(fn, *args) -> dict:
    """Run fn(*args) in a fresh process, so its time and memory are its own."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def _progress(step: str, done: int, total: int) -> None:
    print(f"\r    {step}: {done}/{total}  ", end="" if done < total else "\n", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", nargs="?", default=str(DEFAULT_CSV))
    parser.add_argument("--approaches", default=",".join(APPROACHES))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--limit", type=int, help="Use about this many rows (a quick run).")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    from postroom.routing.classifier import train_classifier
    from postroom.routing.evaluation import evaluate

    texts, labels = _read(args.csv, args.limit)
    print(f"{len(texts)} messages, {len(set(labels))} labels, {args.folds}-fold cross-validation, "
          f"{os.cpu_count()} CPUs", file=sys.stderr)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for approach in args.approaches.split(","):
            members = tuple(approach.split("+"))
            print(f"== {approach}", file=sys.stderr)
            start = time.perf_counter()
            cv = evaluate(model_factory=partial(train_classifier, members=members), texts=texts,
                          labels=labels, folds=args.folds, progress=_progress)
            cv_seconds = time.perf_counter() - start
            model_path = str(Path(folder) / f"{approach}.model")
            full = _in_child(_train_full, args.csv, args.limit, members, model_path)
            serve = _in_child(_serve, args.csv, args.limit, model_path)
            row = {"approach": approach, **cv.as_dict(), "cv_seconds": round(cv_seconds), **full, **serve}
            results.append(row)
            if not args.json:
                _print_row(row)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print()
    print(f"{'approach':32} {'acc':>6} {'F1':>6} {'prec':>6} {'cover':>6} {'p>=':>5} "
          f"{'train s':>7} {'p50 ms':>6} {'p95 ms':>6} {'MiB':>5}")
    for r in results:
        print(f"{r['approach']:32} {100 * r['accuracy']:6.2f} {100 * r['macro_f1']:6.2f} "
              f"{100 * r['precision']:6.2f} {100 * r['coverage']:6.2f} {r['threshold']:5.2f} "
              f"{r['train_seconds']:7.1f} {r['predict_ms_p50']:6.2f} {r['predict_ms_p95']:6.2f} "
              f"{r['serve_rss_mib']:5d}")


def _print_row(r: dict) -> None:
    print(f"{r['approach']}: accuracy {100 * r['accuracy']:.2f}%, macro-F1 {100 * r['macro_f1']:.2f}%, "
          f"precision {100 * r['precision']:.2f}% at coverage {100 * r['coverage']:.2f}% "
          f"(threshold {r['threshold']:.2f}, target {100 * r['precision_target']:.0f}%)")
    print(f"  training on all {r['size']} messages: {r['train_seconds']} s, peak {r['train_peak_rss_mib']} MiB; "
          f"model file {r['model_file_mib']} MiB")
    print(f"  serving: load {r['load_seconds']} s, +{r['serve_rss_mib']} MiB; predict one message "
          f"p50 {r['predict_ms_p50']} ms, p95 {r['predict_ms_p95']} ms")
    print("  most confused: " + "; ".join(f"{c['true']} -> {c['predicted']} ({c['count']})"
                                         for c in r["confused"][:5]))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
