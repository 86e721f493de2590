"""`postroom routing …`: bootstrap a routing model from a desk's export, and measure it.

    postroom routing train --csv FILE --text subject,body --label category [--out PATH]
    postroom routing evaluate --train FILE [--test FILE] --text subject,body --label category
                              [--folds N] [--json]
    postroom routing retrain [--field queue|category|priority] [--force]
    postroom routing models
    postroom routing promote --field category --version 3

`train` cross-validates while it calibrates. Without --out the model becomes the desk's
next version of that field (queue, category or priority), active only when it is no worse
than the active one; with --out it is written to that file, which a worse model does not
replace either (it is left beside it as PATH.candidate). --force replaces anyway.
`evaluate` trains on --train and scores --test, or cross-validates on --train alone.
`retrain` learns from the desk's own solved tickets and agents' corrections (the
scheduler runs it every ROUTING_RETRAIN_HOURS).
"""

from __future__ import annotations

import json as jsonlib
import sys
import time
from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

# Keys of `evaluate --json`, in order (README and tests rely on them).
EVALUATION_KEYS = (
    "size",
    "folds",
    "labels",
    "accuracy",
    "macro_f1",
    "precision",
    "coverage",
    "threshold",
    "precision_target",
    "train_seconds",
    "confused",
)
# Keys of `train --json`.
TRAIN_KEYS = (
    "path",
    "promoted",
    "field",
    "training_size",
    "labels",
    "members",
    "encoder",
    "accuracy",
    "macro_f1",
    "precision",
    "coverage",
    "threshold",
    "precision_target",
    "folds",
    "train_seconds",
    "created_at",
)


class Command(BaseCommand):
    help = "Train learned routing from a CSV export, and measure how well it routes."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        train = sub.add_parser(
            "train",
            help="Train a model of one field from a labelled CSV file.",
            description="Train, calibrate and save a routing model.",
        )
        train.add_argument("--csv", required=True, type=Path, metavar="FILE")
        train.add_argument(
            "--out",
            type=Path,
            metavar="PATH",
            help="Write the model to this file instead of making it the desk's next "
            "version of the field.",
        )
        train.add_argument(
            "--force",
            action="store_true",
            help="Replace the model at --out even if the new one is worse.",
        )
        evaluate = sub.add_parser(
            "evaluate",
            help="Measure training on a labelled CSV file.",
            description="Train on --train and score --test, or cross-validate on --train alone.",
        )
        evaluate.add_argument("--train", required=True, type=Path, metavar="FILE")
        evaluate.add_argument("--test", type=Path, metavar="FILE")
        evaluate.add_argument(
            "--folds", type=int, default=5, help="Cross-validation folds (default 5)."
        )
        retrain = sub.add_parser(
            "retrain",
            help="Retrain from the desk's solved tickets and corrections.",
            description="Train each routed field from the desk's history; a new "
            "version replaces the active one only when it is no worse.",
        )
        retrain.add_argument(
            "--field",
            choices=["queue", "category", "priority"],
            action="append",
            help="Only this field (repeatable; default: all three).",
        )
        retrain.add_argument(
            "--force", action="store_true", help="Activate the new versions even if worse."
        )
        retrain.add_argument("--no-progress", action="store_true", help="Do not show progress.")
        sub.add_parser("models", help="List the model versions and their figures.")
        promote = sub.add_parser(
            "promote", help="Make a stored version the active model of its field."
        )
        promote.add_argument("--field", required=True, choices=["queue", "category", "priority"])
        promote.add_argument("--version", required=True, type=int)
        for p in (train, evaluate):
            p.add_argument(
                "--text",
                required=True,
                metavar="COLUMNS",
                help="Text column(s), comma-separated; joined by a blank line.",
            )
            p.add_argument("--label", required=True, metavar="COLUMN", help="Label column.")
            p.add_argument(
                "--field", help="Routed field the labels are (default: the label column)."
            )
            p.add_argument(
                "--words-only",
                action="store_true",
                help="Do not use the sentence encoder (faster, less accurate).",
            )
            p.add_argument("--seed", type=int, default=0)
            p.add_argument("--json", action="store_true", help="Print the result as JSON.")
            p.add_argument("--no-progress", action="store_true", help="Do not show progress.")

    def handle(self, *args, action: str, **options):
        return getattr(self, f"_{action}")(**options)

    # --- train --------------------------------------------------------------------------
    def _train(
        self,
        *,
        csv: Path,
        text: str,
        label: str,
        field: str | None,
        out: Path | None,
        force: bool,
        words_only: bool,
        seed: int,
        json: bool,
        no_progress: bool,
        **_,
    ):
        from postroom.routing.classifier import model_promote, train_classifier
        from postroom.routing.model_file import ModelFileError, model_card_read, model_save

        field = field or label
        data = self._read(csv, text, label)
        if out is None:
            return self._train_version(
                data=data,
                csv=csv,
                field=field,
                force=force,
                words_only=words_only,
                seed=seed,
                json=json,
                no_progress=no_progress,
            )
        progress = self._progress(quiet=no_progress)
        self._step(
            f"Training {field} on {len(data.texts)} messages from {csv.name}", quiet=no_progress
        )
        try:
            model = train_classifier(
                texts=data.texts,
                labels=data.labels,
                field=field,
                seed=seed,
                members=("words",) if words_only else None,
                progress=progress,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        current = None
        if out.exists():
            try:
                current = model_card_read(out)
            except ModelFileError as exc:
                self.stderr.write(f"Replacing an unreadable model file: {exc}")
        promoted = force or model_promote(model, current)
        path = model_save(model, out if promoted else out.with_name(out.name + ".candidate"))
        card, metrics = model.card, model.card.metrics
        if json:
            result = {
                "path": str(path),
                "promoted": promoted,
                "field": card.field,
                "training_size": card.training_size,
                "labels": len(card.labels),
                "members": list(card.members),
                "encoder": card.encoder,
                "accuracy": metrics.accuracy,
                "macro_f1": metrics.macro_f1,
                "precision": metrics.precision,
                "coverage": metrics.coverage,
                "threshold": card.threshold,
                "precision_target": card.precision_target,
                "folds": metrics.folds,
                "train_seconds": card.train_seconds,
                "created_at": card.created_at,
            }
            self.stdout.write(_json({k: result[k] for k in TRAIN_KEYS}))
        else:
            self.stdout.write(
                f"Trained {card.field} on {card.training_size} messages ({len(card.labels)} labels) "
                f"in {card.train_seconds:.1f} s: {' + '.join(card.members)}"
            )
            self.stdout.write(
                f"Cross-validated ({metrics.folds} folds): accuracy {_pct(metrics.accuracy)}, "
                f"macro-F1 {_pct(metrics.macro_f1)}; at p >= {card.threshold:.2f}: "
                f"precision {_pct(metrics.precision)}, coverage {_pct(metrics.coverage)}"
            )
            if card.encoder is None:
                self.stdout.write("Words only: the sentence encoder was off or not installed.")
        if not promoted:
            assert current is not None
            raise CommandError(
                f"not replacing {out}: the new model is worse (accuracy {_pct(metrics.accuracy)} vs "
                f"{_pct(current.metrics.accuracy)}, coverage {_pct(metrics.coverage)} vs "
                f"{_pct(current.metrics.coverage)}); it is saved as {path}, --force replaces anyway"
            )
        if not json:
            self.stdout.write(f"Saved to {path}")

    def _train_version(
        self,
        *,
        data,
        csv: Path,
        field: str,
        force: bool,
        words_only: bool,
        seed: int,
        json: bool,
        no_progress: bool,
    ) -> None:
        """Train from a CSV export and register the model as the desk's next version."""
        from postroom.routing.classifier import train_classifier
        from postroom.routing.models import RoutedField
        from postroom.routing.versions import routing_model_register

        if field not in RoutedField.values:
            raise CommandError(
                f"--field must be one of {', '.join(RoutedField.values)} to become the desk's "
                f"model (got {field!r}); or write it to a file with --out"
            )
        self._step(
            f"Training {field} on {len(data.texts)} messages from {csv.name}", quiet=no_progress
        )
        try:
            model = train_classifier(
                texts=data.texts,
                labels=data.labels,
                field=field,
                seed=seed,
                members=("words",) if words_only else None,
                progress=self._progress(quiet=no_progress),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        registered = routing_model_register(model=model, source=f"csv:{csv.name}", force=force)
        card, metrics, row = model.card, model.card.metrics, registered.row
        if json:
            self.stdout.write(
                _json(
                    {
                        "field": field,
                        "version": row.version,
                        "promoted": registered.promoted,
                        "accuracy": metrics.accuracy,
                        "macro_f1": metrics.macro_f1,
                        "precision": metrics.precision,
                        "coverage": metrics.coverage,
                        "threshold": card.threshold,
                        "training_size": card.training_size,
                        "train_seconds": card.train_seconds,
                        "path": row.path,
                    }
                )
            )
        else:
            self.stdout.write(
                f"{field} v{row.version}: accuracy {_pct(metrics.accuracy)}, macro-F1 {_pct(metrics.macro_f1)}; "
                f"at p >= {card.threshold:.2f}: precision {_pct(metrics.precision)}, coverage "
                f"{_pct(metrics.coverage)} ({card.training_size} messages, {card.train_seconds:.1f} s)"
            )
            if registered.promoted:
                self.stdout.write(f"Active now (replacing {registered.previous or 'no model'}).")
        if not registered.promoted:
            raise CommandError(
                f"{field} v{row.version} is worse than the active {registered.previous}; kept as a "
                f"candidate (`postroom routing promote --field {field} --version {row.version}` "
                "activates it anyway)"
            )

    # --- retrain / models / promote --------------------------------------------------------
    def _retrain(self, *, field: list[str] | None, force: bool, no_progress: bool, **_):
        from postroom.routing.versions import routing_retrain

        fields = tuple(field) if field else ("queue", "category", "priority")
        results = routing_retrain(
            fields=fields, force=force, progress=self._progress(quiet=no_progress)
        )
        for result in results:
            version = f" v{result.version}" if result.version else ""
            self.stdout.write(f"{result.field}{version}: {result.outcome} — {result.detail}")

    def _models(self, **_):
        from postroom.routing.models import RoutingModel

        rows = list(RoutingModel.objects.order_by("field", "-version"))
        if not rows:
            self.stdout.write(
                "No routing models yet: `postroom routing retrain` or `routing train --csv …`."
            )
            return
        for row in rows:
            m = row.card.get("metrics", {})
            self.stdout.write(
                f"{row.field:9} v{row.version:<3} {row.state:9} accuracy {_pct(m.get('accuracy', 0))}  "
                f"precision {_pct(m.get('precision', 0))} at coverage {_pct(m.get('coverage', 0))}  "
                f"{row.card.get('training_size', 0)} examples  {row.created_at:%Y-%m-%d %H:%M}  {row.source}"
            )

    def _promote(self, *, field: str, version: int, **_):
        from postroom.routing.models import RoutingModel
        from postroom.routing.versions import routing_model_promote

        try:
            row = routing_model_promote(field=field, version=version)
        except RoutingModel.DoesNotExist:
            raise CommandError(f"no {field} model v{version}") from None
        self.stdout.write(f"{row} is active.")

    # --- evaluate -----------------------------------------------------------------------
    def _evaluate(
        self,
        *,
        train: Path,
        test: Path | None,
        folds: int,
        text: str,
        label: str,
        field: str | None,
        words_only: bool,
        seed: int,
        json: bool,
        no_progress: bool,
        **_,
    ):
        from postroom.routing.classifier import train_classifier
        from postroom.routing.evaluation import evaluate, evaluate_split

        if test is None and folds < 2:
            raise CommandError("--folds must be at least 2")
        training = self._read(train, text, label)
        factory = partial(
            train_classifier,
            field=field or label,
            seed=seed,
            members=("words",) if words_only else None,
            progress=self._progress(quiet=no_progress),
        )
        try:
            if test is None:
                self._step(
                    f"Cross-validating on {len(training.texts)} messages, {folds} folds",
                    quiet=no_progress,
                )
                result = evaluate(
                    model_factory=factory,
                    texts=training.texts,
                    labels=training.labels,
                    folds=folds,
                    seed=seed,
                    progress=self._progress(quiet=no_progress),
                )
            else:
                testing = self._read(test, text, label)
                self._step(
                    f"Training on {len(training.texts)} messages, testing on {len(testing.texts)}",
                    quiet=no_progress,
                )
                result = evaluate_split(
                    model_factory=factory,
                    train_texts=training.texts,
                    train_labels=training.labels,
                    test_texts=testing.texts,
                    test_labels=testing.labels,
                )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        values = result.as_dict()
        if json:
            self.stdout.write(_json({k: values[k] for k in EVALUATION_KEYS}))
            return
        how = f"{result.folds}-fold cross-validation" if result.folds else f"test set {test}"
        self.stdout.write(f"{how}: {result.size} messages, {result.labels} labels")
        self.stdout.write(f"  accuracy   {_pct(result.accuracy)}  (every message routed)")
        self.stdout.write(f"  macro-F1   {_pct(result.macro_f1)}")
        self.stdout.write(
            f"  precision  {_pct(result.precision)}  at p >= {result.threshold:.2f} "
            f"(target {_pct(result.precision_target)})"
        )
        self.stdout.write(f"  coverage   {_pct(result.coverage)}  (the rest go to Needs triage)")
        self.stdout.write(f"  training   {result.train_seconds:.1f} s per model")
        if result.confused:
            self.stdout.write("Most confused (true -> predicted):")
            for pair in result.confused:
                self.stdout.write(f"  {pair.count:5d}  {pair.true} -> {pair.predicted}")

    # --- helpers ------------------------------------------------------------------------
    def _read(self, path: Path, text: str, label: str):
        from postroom.routing.dataset import labeled_texts_read

        if not path.exists():
            raise CommandError(f"{path}: no such file")
        columns = tuple(c.strip() for c in text.split(",") if c.strip())
        if not columns:
            raise CommandError("--text needs at least one column name")
        try:
            data = labeled_texts_read(path, text_columns=columns, label_column=label)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        if data.skipped:
            self.stderr.write(f"{path}: skipped {data.skipped} rows without a {label}")
        return data

    def _step(self, message: str, *, quiet: bool) -> None:
        if not quiet:
            self.stderr.write(message)

    def _progress(self, *, quiet: bool):
        """Return a progress callback that keeps one status line on stderr (None: quiet)."""
        if quiet:
            return None
        tty = sys.stderr.isatty()
        started = time.monotonic()
        last: dict[str, object] = {"step": None}

        def report(step: str, done: int, total: int) -> None:
            elapsed = time.monotonic() - started
            line = f"  {step}: {done}/{total}  ({elapsed:.0f} s)"
            if tty:
                self.stderr.write("\r" + line, ending="\n" if done >= total else "")
                self.stderr.flush()
            elif step != last["step"] or done >= total:
                # Not a terminal (a log, CI): the start and end of each step only.
                self.stderr.write(line)
            last["step"] = step

        return report


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _json(data) -> str:
    return jsonlib.dumps(data, indent=2, ensure_ascii=False)
