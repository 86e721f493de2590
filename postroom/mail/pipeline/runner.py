"""Run stored raw messages through the pipeline; quarantine failures; replay them."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import traceback
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F

from postroom.core import clock
from postroom.mail.models import RawMessage, RawState
from postroom.mail.parsing import parse_message
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline import STEPS
from postroom.mail.pipeline.commit import intake_commit
from postroom.mail.pipeline.decisions import Decisions, IntakeContext

logger = logging.getLogger("postroom.intake")

QUARANTINED = "quarantined"


class StepFailed(Exception):
    """A pipeline step raised; carries the step's name."""

    def __init__(self, step: str, error: BaseException) -> None:
        super().__init__(f"{step}: {type(error).__name__}: {error}")
        self.step = step
        self.error = error


@dataclass(frozen=True)
class Explanation:
    """A dry run's result: the parsed mail and every decision, nothing written."""

    mail: ParsedMail
    decisions: Decisions


def _context_of(raw: RawMessage, *, acknowledge_imports: bool = False) -> IntakeContext:
    return IntakeContext(
        raw_id=raw.pk, sha256=raw.sha256, source=raw.source, envelope_from=raw.envelope_from,
        envelope_to=tuple(raw.envelope_to or ()), mailbox_id=raw.mailbox_id,
        acknowledge_imports=acknowledge_imports,
    )


def pipeline_decide(*, data: bytes, context: IntakeContext, steps: Iterable = STEPS) -> Explanation:
    """Parse *data* and run the deciding steps; reads the database, writes nothing."""
    try:
        mail = parse_message(data)
    except Exception as exc:  # parse_message should never raise; be safe anyway
        raise StepFailed("parse", exc) from exc
    if context.data is None:
        context = dataclasses.replace(context, data=data)
    decisions = Decisions(context=context)
    for step in steps:
        try:
            step.run(mail, decisions)
        except Exception as exc:
            raise StepFailed(step.NAME, exc) from exc
        if decisions.replaced_mail is not None:
            mail, decisions.replaced_mail = decisions.replaced_mail, None
        if decisions.stopped:
            break
    return Explanation(mail=mail, decisions=decisions)


def raw_message_process(*, raw_id: int, acknowledge_imports: bool = False, raw: RawMessage | None = None) -> str:
    """Process one stored message; returns its outcome, or "quarantined" on failure.

    Never raises for a bad message: the failure is stored on the row with the step name
    so that `postroom mail retry` can replay it, and the next message goes on. *raw*
    may be passed when the caller holds the row already (the importer).
    """
    if raw is None:
        raw = RawMessage.objects.filter(pk=raw_id).first()
    if raw is None:
        logger.warning("raw message %s vanished before processing", raw_id)
        return "missing"
    if raw.state == RawState.PROCESSED:
        return raw.outcome
    step = "parse"
    context = _context_of(raw, acknowledge_imports=acknowledge_imports)
    try:
        # Inside a caller's transaction (the importer's batches) each message gets its own
        # savepoint, so one message's database error cannot spoil the rest of the batch.
        guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
        with guard:
            result = pipeline_decide(data=bytes(raw.data), context=context)
            step = "commit"
            done = intake_commit(raw=raw, mail=result.mail, decisions=result.decisions)
        return str(done.outcome)
    except Exception as exc:  # one bad message must never block the others
        if isinstance(exc, StepFailed):
            step, cause = exc.step, exc.error
        else:
            cause = exc
        _quarantine(raw_id=raw_id, step=step, error=cause)
        return QUARANTINED


def _quarantine(*, raw_id: int, step: str, error: BaseException) -> None:
    summary = f"{type(error).__name__}: {error}"
    tb = "".join(traceback.format_exception(error))[-4000:]
    logger.error("raw message %s quarantined at step %s: %s", raw_id, step, summary)
    RawMessage.objects.filter(pk=raw_id).update(
        state=RawState.QUARANTINED, failed_step=step, error=f"{summary}\n\n{tb}",
        processed_at=clock.now(), attempts=F("attempts") + 1,
    )


def raw_message_retry(*, raw_id: int | None = None) -> dict[str, int]:
    """Replay one quarantined message (or all of them); returns outcome counts."""
    rows = RawMessage.objects.filter(state=RawState.QUARANTINED)
    if raw_id is not None:
        rows = RawMessage.objects.filter(pk=raw_id).exclude(state=RawState.PROCESSED)
    counts: dict[str, int] = {}
    for pk in list(rows.order_by("pk").values_list("pk", flat=True)):
        RawMessage.objects.filter(pk=pk).update(state=RawState.RECEIVED)
        outcome = raw_message_process(raw_id=pk)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def raw_messages_waiting(*, older_than_seconds: int = 0) -> list[int]:
    """Return ids of stored messages still waiting for processing (the worker's sweep)."""
    import datetime as dt

    cutoff = clock.now() - dt.timedelta(seconds=older_than_seconds)
    return list(
        RawMessage.objects.filter(state=RawState.RECEIVED, received_at__lte=cutoff)
        .order_by("pk").values_list("pk", flat=True)[:1000]
    )
