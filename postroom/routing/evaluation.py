"""Measure how well a way of training routes messages it has not seen.

`evaluate` cross-validates (each fold's model trains, calibrates and picks its threshold
on the other folds only, so nothing it is scored on was seen); `evaluate_split` trains on
one set and scores another (a desk's export against a held-out month, say). Both report
accuracy and macro-F1 at full coverage, the precision and coverage of the predictions at
each model's threshold (the rest go to a person), and the label pairs confused most.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from postroom.routing.classifier import Prediction, Progress, TrainedModel

# model_factory(texts=…, labels=…) -> TrainedModel, e.g. functools.partial(train_classifier, …).
ModelFactory = Callable[..., TrainedModel]
CONFUSED_PAIRS = 10


@dataclass(frozen=True)
class ConfusedPair:
    """How often messages of one label were predicted as another (at full coverage)."""

    true: str
    predicted: str
    count: int


@dataclass(frozen=True)
class Evaluation:
    """Held-out quality of a way of training, over `size` scored messages."""

    size: int
    folds: int | None  # None: scored on a separate test set
    labels: int
    accuracy: float
    macro_f1: float
    precision: float
    coverage: float
    threshold: float  # mean over the folds' models
    precision_target: float
    train_seconds: float  # mean per model
    confused: tuple[ConfusedPair, ...]

    def as_dict(self) -> dict:
        """Return the evaluation as plain JSON-ready values."""
        return asdict(self)


def evaluate(
    *,
    model_factory: ModelFactory,
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
) -> Evaluation:
    """Cross-validate *model_factory* on labelled texts with stratified *folds*."""
    from sklearn.model_selection import StratifiedKFold

    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    texts, labels = list(texts), list(labels)
    predictions: list[Prediction | None] = [None] * len(texts)
    models: list[TrainedModel] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with _encoder_cache():
        for number, (train, test) in enumerate(splitter.split(np.zeros(len(labels)), labels), start=1):
            if progress:
                progress("cross-validating", number - 1, folds)
            model = model_factory(texts=[texts[i] for i in train], labels=[labels[i] for i in train])
            models.append(model)
            for i, p in zip(test, model.predict_many([texts[i] for i in test]), strict=True):
                predictions[i] = p
    if progress:
        progress("cross-validating", folds, folds)
    scored = [p for p in predictions if p is not None]
    return _summary(models=models, predictions=scored, truth=labels, folds=folds)


def evaluate_split(
    *,
    model_factory: ModelFactory,
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str],
) -> Evaluation:
    """Train on one labelled set and score the model on another."""
    model = model_factory(texts=list(train_texts), labels=list(train_labels))
    return evaluation_of_model(model=model, texts=test_texts, labels=test_labels)


def evaluation_of_model(*, model: TrainedModel, texts: Sequence[str], labels: Sequence[str]) -> Evaluation:
    """Score an already trained model on labelled texts."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    predictions = model.predict_many(list(texts))
    return _summary(models=[model], predictions=predictions, truth=list(labels), folds=None)


def timed_predictions(model: TrainedModel, texts: Sequence[str]) -> list[float]:
    """Return the seconds each text takes to predict on its own, as a message arrives."""
    seconds = []
    for text in texts:
        start = time.perf_counter()
        model.predict(text)
        seconds.append(time.perf_counter() - start)
    return seconds


def _summary(*, models: Sequence[TrainedModel], predictions: Sequence[Prediction],
             truth: Sequence[str], folds: int | None) -> Evaluation:
    """Reduce predictions against the truth to an Evaluation."""
    from sklearn.metrics import f1_score

    predicted = [p.label for p in predictions]
    correct = np.array([p == t for p, t in zip(predicted, truth, strict=True)])
    kept = np.array([not p.abstained for p in predictions])
    errors = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p)
    return Evaluation(
        size=len(truth),
        folds=folds,
        labels=len(set(truth)),
        accuracy=round(float(correct.mean()), 4),
        macro_f1=round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
        precision=round(float(correct[kept].mean()) if kept.any() else 1.0, 4),
        coverage=round(float(kept.mean()), 4),
        threshold=round(float(np.mean([m.card.threshold for m in models])), 4),
        precision_target=models[0].card.precision_target,
        train_seconds=round(float(np.mean([m.card.train_seconds for m in models])), 2),
        confused=tuple(
            ConfusedPair(true=t, predicted=p, count=n) for (t, p), n in errors.most_common(CONFUSED_PAIRS)
        ),
    )


def _encoder_cache():
    """Return a context in which each text is encoded once across folds (if installed)."""
    from contextlib import nullcontext

    from postroom.routing.encoder import EncoderUnavailable, encoder_spec, sentence_encoder

    if encoder_spec() is None:
        return nullcontext()
    try:
        return sentence_encoder().cached()
    except EncoderUnavailable:
        return nullcontext()
