"""`postroom mail …`: import, replay, explain and inspect received mail."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

# Summary keys of `mail import --json`, in the order they are printed.
SUMMARY_KEYS = ("received", "tickets", "followups", "bounces", "spam", "duplicates", "quarantined", "errors")
_OUTCOME_KEY = {
    "ticket": "tickets", "followup": "followups", "bounce": "bounces", "spam": "spam",
    "duplicate": "duplicates", "quarantined": "quarantined",
}


class Command(BaseCommand):
    help = "Work with received mail: import files, retry quarantined messages, explain decisions."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        imp = sub.add_parser("import", help="Import .eml files, folders, maildirs and mbox files.",
                             description="Store each message raw, then run it through the intake pipeline.")
        imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        imp.add_argument("--json", action="store_true", help="Print the summary as JSON.")
        imp.add_argument("--mailbox", help="Treat the mail as delivered to this mailbox (name).")
        imp.add_argument("--acknowledge", action="store_true",
                         help="Send acknowledgements for new tickets (off by default: imported mail is usually old).")
        imp.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

        retry = sub.add_parser("retry", help="Replay quarantined messages through the pipeline.")
        retry.add_argument("raw_id", nargs="?", type=int, help="One raw message id (see `mail quarantined`).")
        retry.add_argument("--all", action="store_true", help="Replay every quarantined message.")
        retry.add_argument("--json", action="store_true")

        explain = sub.add_parser("explain", help="Dry-run the pipeline on a message; print each decision.")
        explain.add_argument("file", type=Path)
        explain.add_argument("--to", action="append", default=[], help="Envelope recipient (repeatable).")

        sub.add_parser("quarantined", help="List quarantined messages with their step and error.")

        fetch = sub.add_parser("fetch", help="Poll every active IMAP mailbox once.")
        fetch.add_argument("--mailbox", help="Only this mailbox (name).")

    def handle(self, *args, action: str, **options):
        return getattr(self, f"_{action}")(**options)

    # --- import -------------------------------------------------------------------------
    def _import(self, *, paths, json: bool, mailbox, acknowledge: bool, no_progress: bool, **_):
        from postroom.mail.models import Mailbox
        from postroom.mail.sources.files import count_messages, iter_messages

        for path in paths:
            if not path.exists():
                raise CommandError(f"{path}: no such file or folder")
        box = None
        if mailbox:
            box = Mailbox.objects.filter(name=mailbox).first()
            if box is None:
                raise CommandError(f"no mailbox named {mailbox!r}")
        counts: Counter[str] = Counter({k: 0 for k in SUMMARY_KEYS})
        problems: list[dict[str, str]] = []

        def on_error(origin: str, error: BaseException | str) -> None:
            counts["errors"] += 1
            problems.append({"origin": origin, "error": str(error)})

        bar = None
        if not no_progress:
            from tqdm import tqdm

            bar = tqdm(total=count_messages(paths), unit="msg", desc="Importing", file=sys.stderr,
                       disable=not sys.stderr.isatty() and not json)
        for batch in _batches(iter_messages(paths, on_error=on_error), IMPORT_BATCH):
            for outcome in mail_import_batch(items=batch, mailbox=box, acknowledge=acknowledge):
                counts["received"] += 1
                counts[_OUTCOME_KEY.get(outcome, "errors")] += 1
            if bar is not None:
                bar.update(len(batch))
        if bar is not None:
            bar.close()
        from postroom.core.statistics import database_statistics_refresh

        database_statistics_refresh()  # a bulk load changes what the best query plans are
        summary = {k: counts[k] for k in SUMMARY_KEYS}
        if json:
            self.stdout.write(_json({**summary, "problems": problems}))
            return
        self.stdout.write(
            f"Imported {summary['received']} messages: {summary['tickets']} new tickets, "
            f"{summary['followups']} follow-ups, {summary['bounces']} bounces, {summary['spam']} spam, "
            f"{summary['duplicates']} duplicates, {summary['quarantined']} quarantined, "
            f"{summary['errors']} unreadable."
        )
        for p in problems[:20]:
            self.stderr.write(f"  {p['origin']}: {p['error']}")
        if summary["quarantined"]:
            self.stdout.write("See them with `postroom mail quarantined`; replay with `postroom mail retry --all`.")

    # --- retry --------------------------------------------------------------------------
    def _retry(self, *, raw_id, all: bool, json: bool, **_):
        from postroom.mail.pipeline.runner import raw_message_retry

        if raw_id is None and not all:
            raise CommandError("give a raw message id, or --all")
        counts = raw_message_retry(raw_id=raw_id)
        if json:
            self.stdout.write(_json(counts))
        elif not counts:
            self.stdout.write("Nothing to retry.")
        else:
            self.stdout.write("Retried: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))

    # --- explain ------------------------------------------------------------------------
    def _explain(self, *, file: Path, to: list[str], **_):
        import hashlib

        from postroom.mail.pipeline.decisions import IntakeContext
        from postroom.mail.pipeline.runner import StepFailed, pipeline_decide

        if not file.exists():
            raise CommandError(f"{file}: no such file")
        from postroom.mail.sources.files import iter_messages

        messages = list(iter_messages([file]))
        if not messages:
            raise CommandError(f"{file}: no message found")
        data = messages[0][1]
        ctx = IntakeContext(raw_id=None, sha256=hashlib.sha256(data).hexdigest(), source="admin",
                            envelope_to=tuple(a.lower() for a in to))
        try:
            result = pipeline_decide(data=data, context=ctx)
        except StepFailed as exc:
            self.stdout.write(self.style.ERROR(f"Would be quarantined at step '{exc.step}': {exc.error}"))
            return
        mail, decisions = result.mail, result.decisions
        self.stdout.write(f"From:       {mail.from_name} <{mail.from_address}>")
        self.stdout.write(f"Subject:    {mail.subject}")
        self.stdout.write(f"Message-ID: {mail.message_id or '(none)'}")
        self.stdout.write(f"Body:       {len(mail.text)} chars text, {len(mail.html)} chars HTML, "
                          f"{len(mail.attachments)} attachments")
        if mail.defects:
            self.stdout.write(f"Defects:    {'; '.join(mail.defects[:5])}")
        self.stdout.write("\nDecisions:")
        for d in decisions.log:
            self.stdout.write(f"  {d}")
        outcome = decisions.outcome.value if decisions.outcome else "ticket"
        self.stdout.write(f"\nOutcome:     {outcome}")
        self.stdout.write(f"Acknowledge: {'yes' if decisions.acknowledge and outcome == 'ticket' else 'no'}")
        self.stdout.write("(dry run: nothing was stored)")

    # --- quarantined --------------------------------------------------------------------
    def _quarantined(self, **_):
        from postroom.mail.models import RawMessage, RawState

        rows = RawMessage.objects.filter(state=RawState.QUARANTINED).order_by("pk")
        if not rows.exists():
            self.stdout.write("No quarantined messages.")
            return
        for raw in rows.only("pk", "failed_step", "error", "origin", "received_at", "attempts"):
            first_line = raw.error.splitlines()[0] if raw.error else ""
            where = raw.origin or f"{raw.received_at:%Y-%m-%d %H:%M}"
            self.stdout.write(f"#{raw.pk}  step={raw.failed_step}  attempts={raw.attempts}  {where}  {first_line}")

    # --- fetch --------------------------------------------------------------------------
    def _fetch(self, *, mailbox, **_):
        from postroom.mail.models import Mailbox, MailboxKind
        from postroom.mail.sources.imap import poll_once

        boxes = Mailbox.objects.filter(kind=MailboxKind.IMAP, active=True)
        if mailbox:
            boxes = boxes.filter(name=mailbox)
        for box in boxes:
            stored = poll_once(box)
            self.stdout.write(f"{box.name}: {stored} new messages stored")


# Messages stored per transaction, then processed per transaction (each in a savepoint).
IMPORT_BATCH = 25


def mail_import_batch(*, items: list[tuple[str, bytes]], mailbox=None, acknowledge: bool = False) -> list[str]:
    """Store a batch of imported messages raw (one commit), then process each; returns
    their outcomes in order.

    The raw bytes are committed before any processing starts, so a crash in between
    leaves them `received`, for `postroom mail retry` or the worker's sweep.
    """
    from django.db import transaction

    from postroom.mail.models import RawMessage, Source
    from postroom.mail.pipeline.runner import raw_message_process
    from postroom.mail.store import raw_messages_store_many
    from postroom.search.services import search_document_refresh

    raws = raw_messages_store_many(items=items, source=Source.IMPORT, mailbox=mailbox)
    with transaction.atomic():
        outcomes = [raw_message_process(raw_id=raw.pk, raw=raw, acknowledge_imports=acknowledge) for raw in raws]
        # The desk's search index, for the whole batch in a few queries (not one job per message).
        touched = RawMessage.objects.filter(pk__in=[raw.pk for raw in raws], ticket__isnull=False)
        search_document_refresh(ticket_ids=set(touched.values_list("ticket_id", flat=True)))
    return outcomes


def _batches(iterable: Iterator[tuple[str, bytes]], size: int) -> Iterator[list[tuple[str, bytes]]]:
    batch: list[tuple[str, bytes]] = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=False)
