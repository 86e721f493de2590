"""What the pipeline's steps decide, each decision with its source."""

from __future__ import annotations

from dataclasses import dataclass, field

from postroom.mail.models import Outcome
from postroom.mail.parsing.types import ParsedMail


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
    # The received bytes (the redaction step rewrites them).
    data: bytes | None = field(default=None, repr=False)


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
    # Triage (issue #3). Each field set automatically names its source in `auto_fields`.
    category_id: int | None = None
    priority: str = ""  # "" = the default (normal)
    tags: list[str] = field(default_factory=list)
    assignee_id: int | None = None
    template_ids: list[int] = field(default_factory=list)  # reply templates to send after commit
    needs_triage: bool = False
    triage_reasons: list[str] = field(default_factory=list)
    facts: dict[str, list[str]] = field(default_factory=dict)
    missing_facts: tuple[str, ...] = ()  # asked for in the acknowledgement
    tone: str = ""
    tone_score: float = 0.0
    redactions: list[dict[str, str]] = field(default_factory=list)  # kind, detail, masked
    redacted_data: bytes | None = None  # the raw message rewritten without them
    # Set by a step that rewrote the message (redaction): later steps and the commit see it.
    replaced_mail: ParsedMail | None = None
    auto_fields: dict[str, dict[str, str]] = field(default_factory=dict)
    rule_hits: list[int] = field(default_factory=list)
    stopped: bool = False
    log: list[Decision] = field(default_factory=list)

    def record(self, *, step: str, kind: str, value: object, source: str, reason: str = "") -> None:
        """Add a decision to the log (shown by `mail explain` and on the timeline)."""
        # Bounded: sources and reasons quote header values, which can be any length.
        self.log.append(Decision(step=step, kind=kind, value=str(value)[:300], source=source[:200],
                                 reason=reason[:300]))

    def set_field(self, *, step: str, name: str, value: object, display: str, source: str,
                  reason: str = "") -> None:
        """Set a routed field (queue_id, category_id, priority, assignee_id), record the
        decision, and remember its source so an agent's later change counts as feedback."""
        setattr(self, name, value)
        kind = name.removesuffix("_id")
        self.auto_fields[kind] = {"value": display, "source": source[:200]}
        self.record(step=step, kind=kind, value=display, source=source, reason=reason)

    def triage(self, *, step: str, reason: str, source: str) -> None:
        """Send the ticket to Needs triage: a person decides instead of a guess."""
        self.needs_triage = True
        self.triage_reasons.append(reason)
        self.record(step=step, kind="needs_triage", value="yes", source=source, reason=reason)

    def stop(self) -> None:
        """Skip the remaining steps; `commit` still runs."""
        self.stopped = True
