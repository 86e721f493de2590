"""What the pipeline's steps decide, each decision with its source."""

from __future__ import annotations

from dataclasses import dataclass, field

from postroom.mail.models import Outcome


@dataclass(frozen=True)
class IntakeContext:
    """What the pipeline knows about a message besides its content."""

    raw_id: int | None
    sha256: str
    source: str
    envelope_from: str = ""
    envelope_to: tuple[str, ...] = ()
    mailbox_id: int | None = None
    # Imported mail is usually old: acknowledge it only when the importer asks.
    acknowledge_imports: bool = False


@dataclass(frozen=True)
class Decision:
    """One recorded decision: what was decided, by which step, on what grounds."""

    step: str
    kind: str
    value: str
    source: str
    reason: str = ""

    def __str__(self) -> str:
        why = f" — {self.reason}" if self.reason else ""
        return f"{self.step}: {self.kind} = {self.value} [{self.source}]{why}"


@dataclass
class Decisions:
    """The mutable verdict that steps fill in and `commit` carries out."""

    context: IntakeContext
    outcome: Outcome | None = None
    ticket_id: int | None = None  # existing ticket (follow-up, bounce)
    queue_id: int | None = None
    our_address: str = ""
    language: str = ""
    acknowledge: bool = True
    reopen: bool = False
    link_from_id: int | None = None  # a new ticket continuing this closed one
    duplicate_of_id: int | None = None
    stopped: bool = False
    log: list[Decision] = field(default_factory=list)

    def record(self, *, step: str, kind: str, value: object, source: str, reason: str = "") -> None:
        """Add a decision to the log (shown by `mail explain` and on the timeline)."""
        # Bounded: sources and reasons quote header values, which can be any length.
        self.log.append(Decision(step=step, kind=kind, value=str(value)[:300], source=source[:200],
                                 reason=reason[:300]))

    def stop(self) -> None:
        """Skip the remaining steps; `commit` still runs."""
        self.stopped = True
