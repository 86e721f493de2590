"""The models a routing classifier is made of, each scoring every label for a text.

- `words`: TF-IDF of words (1–2-grams) and characters (2–5-grams inside words) into a
  linear SVM. Fast, and good at the exact phrases a desk's customers use.
- `sentences`: the MiniLM sentence vector (postroom.routing.encoder) into a multinomial
  logistic regression. Knows that "card hasn't come" and "still waiting on my card" agree.
- `neighbours`: for each label, the cosine similarity of the message's last-layer MiniLM
  vector to the nearest training message of that label (one-nearest-neighbour per label).
  Remembers the odd phrasings a linear model averages away: +0.5 points of accuracy and
  +2 of coverage on banking77 on top of the other two, for a tenth of a millisecond.
- `sentences_mlp`: the same vector into a small neural network (one hidden layer): a
  non-linear second opinion. Not used by default: on banking77 it added nothing to the
  other two (bench/routing.py) and costs 25 s of training and a millisecond a message.

Scores are on each model's own scale; the classifier divides each by the spread of its
held-out scores, weighs them (WEIGHTS, or a mix that does better on the desk's own
held-out messages), then calibrates the sum.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
Scores = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]

# Preferred weights of each member's normalised scores in the sum: the best mix in 5-fold
# cross-validation on banking77-train (the sentence models know more, and say so).
WEIGHTS: dict[str, float] = {"words": 1.0, "sentences": 2.0, "neighbours": 3.0, "sentences_mlp": 1.5}
# A label a member never saw in training gets this score (normalised units): far below
# any real one, so it is never predicted by that member alone.
_UNSEEN = -50.0


class Member(Protocol):
    """A model that learns from texts (and their sentence vectors) and scores labels."""

    name: str
    uses_vectors: bool

    def fit(self, texts: Sequence[str], vectors: Vectors | None, y: Indices, *, n_labels: int) -> None:
        """Learn from texts whose label indices are *y* (0 .. n_labels-1)."""

    def scores(self, texts: Sequence[str], vectors: Vectors | None) -> Scores:
        """Return a (len(texts), n_labels) matrix: higher means more likely."""


def _full_columns(partial: Scores, classes: Indices, n_labels: int) -> Scores:
    """Spread a model's columns (one per class it saw) over all label indices."""
    if len(classes) == n_labels:
        return partial
    low = partial.min() if partial.size else 0.0
    full = np.full((partial.shape[0], n_labels), low + _UNSEEN, dtype=np.float64)
    full[:, classes] = partial
    return full


class WordsMember:
    """TF-IDF words and characters into a linear SVM."""

    name = "words"
    uses_vectors = False

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, texts: Sequence[str], vectors: Vectors | None, y: Indices, *, n_labels: int) -> None:
        """Learn the vocabulary and the per-label weights."""
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        self.n_labels = n_labels
        self.words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                     min_df=2, dtype=np.float32)
        texts = list(texts)
        x = hstack([self.words.fit_transform(texts), self.chars.fit_transform(texts)]).tocsr()
        model = LinearSVC(C=0.5, random_state=self.seed).fit(x, y)
        self.weights, self.bias, self.classes = _linear_parts(model)

    def scores(self, texts: Sequence[str], vectors: Vectors | None) -> Scores:
        """Return the SVM margins of every label."""
        from scipy.sparse import hstack

        texts = list(texts)
        x = hstack([self.words.transform(texts), self.chars.transform(texts)]).tocsr()
        return _full_columns(np.asarray(x @ self.weights) + self.bias, self.classes, self.n_labels)


class SentencesMember:
    """Sentence vectors into a multinomial logistic regression."""

    name = "sentences"
    uses_vectors = True

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, texts: Sequence[str], vectors: Vectors | None, y: Indices, *, n_labels: int) -> None:
        """Learn one weight vector per label."""
        from sklearn.linear_model import LogisticRegression

        assert vectors is not None
        self.n_labels = n_labels
        model = LogisticRegression(C=20, max_iter=300, random_state=self.seed)
        with warnings.catch_warnings():
            # 300 L-BFGS steps are within 0.1 point of convergence on banking77 and keep
            # training inside its two-minute budget.
            warnings.simplefilter("ignore", category=_convergence_warning())
            model.fit(vectors, y)
        self.weights, self.bias, self.classes = _linear_parts(model)

    def scores(self, texts: Sequence[str], vectors: Vectors | None) -> Scores:
        """Return the logits of every label."""
        assert vectors is not None
        return _full_columns(vectors @ self.weights + self.bias, self.classes, self.n_labels)


class NeighboursMember:
    """Per label, the similarity to its nearest training message (last-layer vectors)."""

    name = "neighbours"
    uses_vectors = True
    # Rows scored at once: a block of similarities stays a few tens of MB.
    _BLOCK = 1024

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, texts: Sequence[str], vectors: Vectors | None, y: Indices, *, n_labels: int) -> None:
        """Keep the training vectors, grouped by label."""
        assert vectors is not None
        self.n_labels = n_labels
        order = np.argsort(y, kind="stable")
        ordered = np.asarray(y)[order]
        self.classes, self.starts = np.unique(ordered, return_index=True)
        # float16 halves the model file; the similarities are computed in float32.
        self.memory = np.ascontiguousarray(_last_layer(vectors)[order], dtype=np.float16)
        self._memory32: Vectors | None = None

    def scores(self, texts: Sequence[str], vectors: Vectors | None) -> Scores:
        """Return each label's highest cosine similarity to the message."""
        assert vectors is not None
        if self._memory32 is None:
            self._memory32 = self.memory.astype(np.float32)
        query = _last_layer(vectors)
        out = np.empty((len(query), len(self.classes)), dtype=np.float64)
        for start in range(0, len(query), self._BLOCK):
            similarity = query[start : start + self._BLOCK] @ self._memory32.T
            out[start : start + self._BLOCK] = np.maximum.reduceat(similarity, self.starts, axis=1)
        return _full_columns(out, self.classes, self.n_labels)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_memory32": None}


def _last_layer(vectors: Vectors) -> Vectors:
    """Return the unit-length last-layer part of sentence vectors (their last 384 floats)."""
    from postroom.routing.encoder import HIDDEN

    return np.ascontiguousarray(vectors[:, -HIDDEN:], dtype=np.float32)


class SentencesMlpMember:
    """Sentence vectors into a one-hidden-layer neural network."""

    name = "sentences_mlp"
    uses_vectors = True

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, texts: Sequence[str], vectors: Vectors | None, y: Indices, *, n_labels: int) -> None:
        """Train the network for a fixed number of epochs (seeded, so repeatable)."""
        from sklearn.neural_network import MLPClassifier

        assert vectors is not None
        self.n_labels = n_labels
        model = MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, batch_size=min(128, len(y)),
                              max_iter=30, random_state=self.seed)
        with warnings.catch_warnings():
            # A fixed epoch budget, not convergence, is the point: it bounds training time.
            warnings.simplefilter("ignore", category=_convergence_warning())
            model.fit(vectors, y)
        self.hidden = (model.coefs_[0], model.intercepts_[0])
        self.output = (model.coefs_[1], model.intercepts_[1])
        self.classes = np.asarray(model.classes_, dtype=np.intp)

    def scores(self, texts: Sequence[str], vectors: Vectors | None) -> Scores:
        """Return the network's log-probabilities of every label (as predict_proba, faster)."""
        from scipy.special import log_softmax

        assert vectors is not None
        hidden = np.maximum(vectors @ self.hidden[0] + self.hidden[1], 0)
        logits = (hidden @ self.output[0] + self.output[1]).astype(np.float64)
        if logits.shape[1] == 1:  # two labels: one logistic unit, for the second
            logits = np.column_stack([np.zeros(len(logits)), logits[:, 0]])
        return _full_columns(log_softmax(logits, axis=1), self.classes, self.n_labels)


def _linear_parts(model) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], Indices]:
    """Return (weights as columns, bias, classes) of a fitted linear model.

    Scoring with them directly skips scikit-learn's input checks, about a millisecond a
    message (issue #3: under 10 ms per message in all).
    """
    weights, bias = model.coef_.T.astype(np.float64), model.intercept_.astype(np.float64)
    classes = np.asarray(model.classes_, dtype=np.intp)
    if weights.shape[1] == 1:  # two labels: one margin, for the second
        weights, bias = np.hstack([-weights, weights]), np.concatenate([-bias, bias])
    return weights, bias, classes


def _convergence_warning() -> type[Warning]:
    from sklearn.exceptions import ConvergenceWarning

    return ConvergenceWarning


MEMBERS: dict[str, type[WordsMember] | type[SentencesMember] | type[NeighboursMember]
              | type[SentencesMlpMember]] = {
    "words": WordsMember,
    "sentences": SentencesMember,
    "neighbours": NeighboursMember,
    "sentences_mlp": SentencesMlpMember,
}


def member_build(name: str, *, seed: int = 0) -> Member:
    """Return a new, untrained member by name (see MEMBERS)."""
    try:
        return MEMBERS[name](seed=seed)
    except KeyError:
        raise ValueError(f"unknown member {name!r}; known: {', '.join(MEMBERS)}") from None
