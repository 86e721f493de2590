"""Versions of the routing models: train from the desk's own history, register, promote
only when no worse, and serve the active one to the intake pipeline (issue #3 §2).

Labels are the final values agents left on solved and closed tickets, and the current
value of every ticket whose automatic decision an agent corrected (RoutingFeedback), so a
correction counts even before its ticket is solved. The text is the ticket's subject and
its first customer message without quotes, the same text the pipeline predicts from
(`routing_text`).

Model files live in DATA_DIR/routing/<field>-v<N>.model; the database holds one row per
version with its card, and at most one active version per field.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from postroom.core import clock
from postroom.routing.classifier import ModelCard, TrainedModel, model_promote, train_classifier
from postroom.routing.models import RoutedField, RoutingFeedback, RoutingModel

logger = logging.getLogger("postroom.routing")

TEXT_CHARS = 2000
# A label needs this many examples to be learned; rarer ones are left to people and rules.
MIN_PER_LABEL = 3
# How often a process checks whether another process promoted a new version.
RECHECK_SECONDS = 60.0


def routing_text(subject: str, body: str) -> str:
    """Return the text a model learns from and predicts on: subject, blank line, body."""
    return f"{subject.strip()}\n\n{body.strip()}"[:TEXT_CHARS]


@dataclass(frozen=True)
class TrainingSet:
    field: str
    texts: tuple[str, ...]
    labels: tuple[str, ...]
    dropped_labels: tuple[str, ...]  # too rare to learn

    def __len__(self) -> int:
        return len(self.texts)


def routing_training_set(*, field: str) -> TrainingSet:
    """Return the labelled texts of *field* from solved/closed and corrected tickets."""
    from postroom.tickets.models import Direction, Message, Ticket, TicketStatus

    label_of = {
        RoutedField.QUEUE: "queue__slug",
        RoutedField.CATEGORY: "category__slug",
        RoutedField.PRIORITY: "priority",
    }[RoutedField(field)]
    from django.db.models import Q

    corrected = RoutingFeedback.objects.filter(field=field).values("ticket_id")
    rows = list(
        Ticket.objects.filter(
            Q(status__in=[TicketStatus.SOLVED, TicketStatus.CLOSED]) | Q(pk__in=corrected)
        )
        .order_by("pk")
        .values_list("pk", "subject", label_of)
    )
    rows = [row for row in rows if row[2]]
    first_text: dict[int, str] = {}
    ids = [pk for pk, _, _ in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for ticket_id, visible, body in (
            Message.objects.filter(ticket_id__in=chunk, direction=Direction.INBOUND)
            .order_by("ticket_id", "created_at", "id")
            .values_list("ticket_id", "visible_text", "body_text")
        ):
            first_text.setdefault(ticket_id, visible or body)
    counts = Counter(label for _, _, label in rows)
    dropped = tuple(sorted(label for label, n in counts.items() if n < MIN_PER_LABEL))
    texts, labels = [], []
    for pk, subject, label in rows:
        if label in dropped:
            continue
        texts.append(routing_text(subject, first_text.get(pk, "")))
        labels.append(str(label))
    return TrainingSet(
        field=field, texts=tuple(texts), labels=tuple(labels), dropped_labels=dropped
    )


@dataclass(frozen=True)
class Registered:
    row: RoutingModel
    promoted: bool
    previous: RoutingModel | None


def card_as_dict(card: ModelCard) -> dict:
    """Return the card as JSON-ready data (stored on the version's row)."""
    import dataclasses

    return dataclasses.asdict(card)


def routing_model_register(*, model: TrainedModel, source: str, force: bool = False) -> Registered:
    """Save *model* as the next version of its field; make it active when it is no worse
    than the active one (or *force*), else keep it as a candidate."""
    from postroom.routing.model_file import model_save

    field = RoutedField(model.card.field)
    with transaction.atomic():
        # Serialise version numbers per field (two retrains at once).
        list(
            RoutingModel.objects.select_for_update()
            .filter(field=field)
            .values_list("pk", flat=True)
        )
        version = (
            RoutingModel.objects.filter(field=field).aggregate(v=Max("version"))["v"] or 0
        ) + 1
        relative = Path("routing") / f"{field}-v{version}.model"
        path = model_save(model, Path(settings.DATA_DIR) / relative)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        current = RoutingModel.objects.filter(field=field, state=RoutingModel.State.ACTIVE).first()
        promoted = force or current is None or model_promote(model.card, _card_of(current))
        row = RoutingModel.objects.create(
            field=field,
            version=version,
            path=str(relative),
            sha256=digest,
            card=card_as_dict(model.card),
            source=source[:200],
            state=RoutingModel.State.CANDIDATE,
        )
        if promoted:
            _activate(row, current)
    _forget_loaded()
    return Registered(row=row, promoted=promoted, previous=current)


def routing_model_promote(*, field: str, version: int) -> RoutingModel:
    """Make *version* of *field* the active model (an admin's explicit choice)."""
    with transaction.atomic():
        row = RoutingModel.objects.select_for_update().get(field=field, version=version)
        current = (
            RoutingModel.objects.filter(field=field, state=RoutingModel.State.ACTIVE)
            .exclude(pk=row.pk)
            .first()
        )
        _activate(row, current)
    _forget_loaded()
    return row


def _activate(row: RoutingModel, current: RoutingModel | None) -> None:
    if current is not None and current.pk != row.pk:
        RoutingModel.objects.filter(pk=current.pk).update(state=RoutingModel.State.RETIRED)
    row.state, row.promoted_at = RoutingModel.State.ACTIVE, clock.now()
    row.save(update_fields=["state", "promoted_at"])


def _card_of(row: RoutingModel) -> ModelCard:
    from postroom.routing.model_file import model_card_from_dict

    return model_card_from_dict(row.card)


@dataclass(frozen=True)
class RetrainResult:
    field: str
    outcome: str  # "promoted" | "kept" (candidate worse) | "skipped"
    detail: str
    version: int | None = None


def routing_retrain(
    *,
    fields: tuple[str, ...] = tuple(RoutedField.values),
    force: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[RetrainResult]:
    """Train each field from the desk's history; promote each new model only when no worse."""
    minimum = int(settings.POSTROOM["ROUTING_MIN_TRAINING"])
    members = None if settings.POSTROOM.get("ROUTING_SENTENCES", True) else ("words",)
    results = []
    for field in fields:
        data = routing_training_set(field=field)
        distinct = len(set(data.labels))
        if len(data) < minimum or distinct < 2:
            results.append(
                RetrainResult(
                    field,
                    "skipped",
                    f"{len(data)} labelled tickets, {distinct} labels (needs {minimum} and 2)",
                )
            )
            continue
        try:
            model = train_classifier(
                texts=data.texts,
                labels=data.labels,
                field=field,
                members=members,
                progress=progress,
            )
        except Exception as exc:  # one field's failure must not stop the others
            logger.exception("training the %s model failed", field)
            results.append(RetrainResult(field, "skipped", f"training failed: {exc}"))
            continue
        registered = routing_model_register(
            model=model, source=f"desk history ({len(data)} tickets)", force=force
        )
        m = model.card.metrics
        figures = (
            f"accuracy {m.accuracy:.1%}, precision {m.precision:.1%} at coverage {m.coverage:.1%}, "
            f"{len(data)} tickets"
        )
        results.append(
            RetrainResult(
                field,
                "promoted" if registered.promoted else "kept",
                figures,
                registered.row.version,
            )
        )
    return results


# --- the active models, loaded once per process ----------------------------------------
@dataclass(frozen=True)
class ActiveModel:
    version: int
    model: TrainedModel

    @property
    def source_prefix(self) -> str:
        return f"classifier:v{self.version}"


_lock = threading.Lock()
_loaded: dict[str, ActiveModel | None] = {}
_loaded_ids: dict[str, int | None] = {}
_checked_at = 0.0


def routing_model_active(field: str) -> ActiveModel | None:
    """Return the active model of *field*, loaded once per process (None: no model yet).

    Another process's promotion is noticed within RECHECK_SECONDS; this process's at once.
    """
    global _checked_at
    now = time.monotonic()
    with _lock:
        if now - _checked_at > RECHECK_SECONDS:
            active = dict(
                RoutingModel.objects.filter(state=RoutingModel.State.ACTIVE).values_list(
                    "field", "pk"
                )
            )
            for name in RoutedField.values:
                if _loaded_ids.get(name, -1) != active.get(name):
                    _loaded.pop(name, None)
                    _loaded_ids[name] = active.get(name)
            _checked_at = now
        if field not in _loaded:
            _loaded[field] = _load(field, _loaded_ids.get(field))
        return _loaded[field]


def _load(field: str, pk: int | None) -> ActiveModel | None:
    from postroom.routing.model_file import ModelFileError, model_load

    if pk is None:
        return None
    row = RoutingModel.objects.filter(pk=pk).first()
    if row is None:
        return None
    path = Path(settings.DATA_DIR) / row.path
    try:
        if hashlib.sha256(path.read_bytes()).hexdigest() != row.sha256:
            raise ModelFileError(f"{path} does not match the version's checksum")
        return ActiveModel(version=row.version, model=model_load(path))
    except (OSError, ModelFileError) as exc:
        # Routing without a model still works (mailbox and rules); say so loudly once.
        logger.error("routing model %s v%s cannot be loaded: %s", field, row.version, exc)
        return None


def _forget_loaded() -> None:
    global _checked_at
    with _lock:
        _loaded.clear()
        _loaded_ids.clear()
        _checked_at = 0.0


def routing_models_forget() -> None:
    """Drop the loaded models (tests; a promotion calls it itself)."""
    _forget_loaded()
