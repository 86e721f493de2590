"""Learn a routed field (category, queue, priority) from a desk's own labelled messages,
and predict it with a calibrated probability, or abstain.

Issue #3: below a per-field threshold a ticket goes to "Needs triage" instead of a guess.
Training runs `calibration_folds`-fold cross-validation on its own data first: the
held-out scores fit the temperature (postroom.routing.calibration), pick the threshold for
the precision target, and are the model's cross-validated metrics, kept in its card, so
that a retrained model replaces the current one only when it is no worse
(`model_promote`). Then every member is fitted on all the data.

Members and weights: postroom.routing.members. With the sentence encoder's weights
missing, a model is trained from words alone and its card says so.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from postroom.routing.calibration import (
    operating_point,
    softmax,
    temperature_fit,
    threshold_for_precision,
)
from postroom.routing.members import WEIGHTS, Member, Vectors, member_build

# Issue #3: at least 98% of the automatic decisions right, then as many as possible.
PRECISION_TARGET = 0.98
CALIBRATION_FOLDS = 3
# The best of bench/routing.py on banking77 (5-fold): 93.6% accuracy, macro-F1 93.7%,
# 98.2% precision at 87.6% coverage, 64–81 s to train on two shared cores, 5.2/7.4 ms
# (p50/p95) a message (words+sentences alone: 93.2%, 98.1% at 85.9%). Adding
# sentences_mlp to words+sentences gave 93.0% (not better) and cost 25 s more.
MEMBERS_WITH_SENTENCES: tuple[str, ...] = ("words", "sentences", "neighbours")
MEMBERS_WITHOUT_SENTENCES: tuple[str, ...] = ("words",)

# progress(step, done, total): "encoding", "calibrating", "fitting".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Prediction:
    """A predicted label, its calibrated probability, and whether a person should decide."""

    label: str
    probability: float
    abstained: bool


@dataclass(frozen=True)
class Metrics:
    """Cross-validated quality: accuracy and macro-F1 at full coverage, and the precision
    and coverage of the predictions at or above the threshold.

    Measured on the same held-out scores that chose the weights, temperature and threshold,
    so a little optimistic (most of all the precision, which the threshold was chosen to
    meet); fair for comparing two models made the same way. postroom.routing.evaluation
    gives figures with nothing chosen on the scored messages.
    """

    accuracy: float
    macro_f1: float
    precision: float
    coverage: float
    folds: int


@dataclass(frozen=True)
class ModelCard:
    """What a trained model is, how it was made and how good it was found to be."""

    field: str
    labels: tuple[str, ...]
    training_size: int
    members: tuple[str, ...]
    encoder: str | None
    temperature: float
    weights: tuple[float, ...]  # multiplier of each member's scores in the sum
    threshold: float
    precision_target: float
    metrics: Metrics
    created_at: str
    train_seconds: float
    seed: int


@dataclass(frozen=True)
class TrainedModel:
    """A card and its fitted members: predicts a label for a text, or abstains."""

    card: ModelCard
    members: tuple[Member, ...] = field(repr=False)

    def predict(self, text: str) -> Prediction:
        """Return the prediction for one message text."""
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        """Return one prediction per text, in order."""
        if not texts:
            return []
        probabilities = self.probabilities(texts)
        best = probabilities.argmax(axis=1)
        threshold = self.card.threshold
        return [
            Prediction(label=self.card.labels[i], probability=float(p), abstained=bool(p < threshold))
            for i, p in zip(best, probabilities[np.arange(len(best)), best], strict=True)
        ]

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Return the calibrated probability of every label (columns: card.labels)."""
        with _single_threaded() if len(texts) <= _FEW else nullcontext():
            vectors = _vectors(texts) if any(m.uses_vectors for m in self.members) else None
            combined = _combine([m.scores(texts, vectors) for m in self.members], self.card.weights)
        return softmax(combined, temperature=self.card.temperature)


def train_classifier(
    *,
    texts: Sequence[str],
    labels: Sequence[str],
    field: str = "category",
    seed: int = 0,
    members: Sequence[str] | None = None,
    precision_target: float = PRECISION_TARGET,
    calibration_folds: int = CALIBRATION_FOLDS,
    progress: Progress | None = None,
) -> TrainedModel:
    """Train, calibrate and cross-validate a model of *field* from labelled texts.

    *members*: names from postroom.routing.members; by default all of them when the
    sentence encoder is installed, else words alone.
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    names = sorted(set(labels))
    if len(names) < 2:
        raise ValueError("training needs at least two different labels")
    started = time.perf_counter()
    installed = _encoder_spec()
    if members is None:
        members = MEMBERS_WITH_SENTENCES if installed is not None else MEMBERS_WITHOUT_SENTENCES
    member_names = tuple(members)
    # Unknown names fail here, before any work.
    needs_vectors = any(member_build(name).uses_vectors for name in member_names)
    if needs_vectors and installed is None:
        from postroom.routing.encoder import EncoderUnavailable

        raise EncoderUnavailable(f"{', '.join(member_names)} need the sentence encoder: not installed")
    spec = installed if needs_vectors else None
    texts = list(texts)
    y = np.searchsorted(np.array(names), np.array(labels))
    vectors = _vectors(texts, progress=progress) if needs_vectors else None

    # Held-out scores of every member, from models that did not see the text.
    held_out = [np.zeros((len(texts), len(names))) for _ in member_names]
    folds = StratifiedKFold(n_splits=calibration_folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # Labels with fewer examples than folds are fine: a member scores a label it did
        # not see far below the others.
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splits = list(folds.split(np.zeros(len(y)), y))
    for number, (train, test) in enumerate(splits, start=1):
        if progress:
            progress("calibrating", number - 1, calibration_folds)
        fold_texts = [texts[i] for i in train]
        test_texts = [texts[i] for i in test]
        for column, name in enumerate(member_names):
            member = member_build(name, seed=seed)
            member.fit(fold_texts, _rows(vectors, train), y[train], n_labels=len(names))
            held_out[column][test] = member.scores(test_texts, _rows(vectors, test))
    if progress:
        progress("calibrating", calibration_folds, calibration_folds)
    weights = _weights_fit(held_out, y, member_names)
    combined = _combine(held_out, weights)
    temperature = temperature_fit(combined, y)
    probabilities = softmax(combined, temperature=temperature)
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    correct = predicted == y
    threshold = threshold_for_precision(confidence, correct, target=precision_target)
    point = operating_point(confidence, correct, threshold=threshold)
    metrics = Metrics(
        accuracy=float(correct.mean()),
        macro_f1=float(f1_score(y, predicted, average="macro")),
        precision=point.precision,
        coverage=point.coverage,
        folds=calibration_folds,
    )

    if progress:
        progress("fitting", 0, 1)
    fitted: list[Member] = []
    for name in member_names:
        member = member_build(name, seed=seed)
        member.fit(texts, vectors, y, n_labels=len(names))
        fitted.append(member)
    if progress:
        progress("fitting", 1, 1)
    card = ModelCard(
        field=field,
        labels=tuple(names),
        training_size=len(texts),
        members=member_names,
        encoder=str(spec) if spec is not None else None,
        temperature=temperature,
        weights=weights,
        threshold=threshold,
        precision_target=precision_target,
        metrics=metrics,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        train_seconds=round(time.perf_counter() - started, 2),
        seed=seed,
    )
    return TrainedModel(card=card, members=tuple(fitted))


def model_promote(candidate: TrainedModel | ModelCard, current: TrainedModel | ModelCard | None,
                  *, tolerance: float = 0.0) -> bool:
    """Return whether *candidate* may replace *current*: never when it is worse.

    Compared on their cross-validated metrics: accuracy, then coverage at the threshold,
    and precision at the threshold where the current model met its target. *tolerance*
    (fraction, e.g. 0.002) forgives differences within the noise of cross-validation.
    """
    new = candidate.card if isinstance(candidate, TrainedModel) else candidate
    if current is None:
        return True
    old = current.card if isinstance(current, TrainedModel) else current
    if new.field != old.field:
        raise ValueError(f"a {new.field!r} model cannot replace a {old.field!r} model")
    a, b = new.metrics, old.metrics
    if a.accuracy < b.accuracy - tolerance or a.macro_f1 < b.macro_f1 - tolerance:
        return False
    if a.coverage < b.coverage - tolerance:
        return False
    floor = min(b.precision, old.precision_target)
    return a.precision >= floor - tolerance


def _combine(scores: Sequence[npt.NDArray[np.float64]], weights: Sequence[float]) -> npt.NDArray[np.float64]:
    """Return the weighted sum of the members' score matrices."""
    total = np.zeros_like(scores[0], dtype=np.float64)
    for s, weight in zip(scores, weights, strict=True):
        total += weight * s
    return total


# Relative weights tried for each member, on scores divided by their held-out spread.
_WEIGHT_GRID = (0.0, 0.5, 1.0, 2.0, 3.0)


def _weights_fit(held_out: Sequence[npt.NDArray[np.float64]], y: npt.NDArray[np.intp],
                 names: Sequence[str]) -> tuple[float, ...]:
    """Return each member's multiplier: the mix whose held-out accuracy is best.

    Every member's scores are first divided by their spread, so the grid's numbers are
    comparable. The preferred mix (members.WEIGHTS, best on banking77) wins ties; with
    little data the mix moves towards whichever member is better at that size.
    """
    import itertools

    spread = [float(s.std()) or 1.0 for s in held_out]
    normal = [s / d for s, d in zip(held_out, spread, strict=True)]
    preferred = tuple(WEIGHTS[name] for name in names)

    def accuracy(mix: Sequence[float]) -> float:
        return float((_combine(normal, mix).argmax(axis=1) == y).mean())

    best, best_accuracy = preferred, accuracy(preferred)
    for mix in itertools.product(_WEIGHT_GRID, repeat=len(names)):
        if any(mix) and (score := accuracy(mix)) > best_accuracy:
            best, best_accuracy = mix, score
    return tuple(w / d for w, d in zip(best, spread, strict=True))


# Up to this many texts, predicting runs numpy's products on one thread: waking a second
# BLAS thread for a one-message product costs more than it saves, and on a busy machine it
# can wait milliseconds for a core (measured: a 0.15 ms product took 8 ms at p50).
_FEW = 8
_blas: list = []


def _single_threaded():
    """Return a context in which BLAS (numpy, scipy) uses one thread."""
    from threadpoolctl import ThreadpoolController

    if not _blas:
        _blas.append(ThreadpoolController())  # inspects the loaded libraries once: ms
    return _blas[0].limit(limits=1, user_api="blas")


def _rows(vectors: Vectors | None, index: npt.NDArray[np.intp]) -> Vectors | None:
    return None if vectors is None else vectors[index]


def _encoder_spec():
    from postroom.routing.encoder import encoder_spec

    return encoder_spec()


def _vectors(texts: Sequence[str], *, progress: Progress | None = None) -> Vectors:
    """Return the sentence vectors of *texts* from the process-wide encoder."""
    from postroom.routing.encoder import sentence_encoder

    report = (lambda done, total: progress("encoding", done, total)) if progress else None
    return sentence_encoder().encode(texts, progress=report)
