"""Turn classifier scores into probabilities that mean what they say, and pick the
threshold below which a ticket goes to a person.

Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", 2017): one
number T, fitted on held-out scores, divides every score before the softmax. It keeps the
ranking (and so the accuracy) and makes "p=0.9" right about nine times in ten. The
threshold is then the lowest probability at which the held-out predictions above it are
still right at least `target` of the time (issue #3: precision before coverage).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Scores = npt.NDArray[np.floating]
Flags = npt.NDArray[np.bool_]

# One standard error (one-sided 84%): the chosen threshold keeps meeting the precision
# target on new messages more often than not, not just on the messages it was chosen on.
# (1.645, one-sided 95%, costs banking77 another point of coverage, and makes a desk with
# a thousand tickets abstain on everything.)
Z_MARGIN = 1.0
# Fitted temperatures stay inside these bounds (scores are margins of linear models:
# their scale is arbitrary, but never by more than a few orders of magnitude).
_T_MIN, _T_MAX = 1e-3, 1e3


def softmax(scores: Scores, *, temperature: float = 1.0) -> npt.NDArray[np.float64]:
    """Return row-wise softmax probabilities of *scores* divided by *temperature*."""
    z = np.asarray(scores, dtype=np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def temperature_fit(scores: Scores, truth: npt.NDArray[np.integer]) -> float:
    """Return the temperature that minimises the log loss of *scores* on *truth* (indices)."""
    from scipy.optimize import minimize_scalar

    rows = np.arange(len(truth))

    def log_loss(log_t: float) -> float:
        p = softmax(scores, temperature=float(np.exp(log_t)))[rows, truth]
        return float(-np.log(np.clip(p, 1e-12, None)).mean())

    found = minimize_scalar(log_loss, bounds=(np.log(_T_MIN), np.log(_T_MAX)), method="bounded")
    return float(np.exp(found.x))


@dataclass(frozen=True)
class OperatingPoint:
    """Precision and coverage of the predictions at or above a probability threshold."""

    threshold: float
    precision: float
    coverage: float


def operating_point(confidence: Scores, correct: Flags, *, threshold: float) -> OperatingPoint:
    """Return the precision and coverage of predictions with confidence >= *threshold*."""
    kept = np.asarray(confidence) >= threshold
    covered = int(kept.sum())
    precision = float(np.asarray(correct)[kept].mean()) if covered else 1.0
    return OperatingPoint(threshold=threshold, precision=precision, coverage=covered / max(len(kept), 1))


def threshold_for_precision(confidence: Scores, correct: Flags, *, target: float,
                            z: float = Z_MARGIN) -> float:
    """Return the lowest threshold whose kept predictions are at least *target* precise.

    The kept set grows as the threshold falls; the answer is the largest such set whose
    precision is still at least *target* with confidence: the Wilson score lower bound
    (*z* standard errors; 0 for the plain precision) must reach it. On ten thousand
    messages that asks for about 0.15 points more than the target; on a few hundred, for
    much more, so a desk with little history abstains more. Returns 1.0 + a hair
    (abstain on everything) if no set qualifies.
    """
    confidence = np.asarray(confidence, dtype=np.float64)
    order = np.argsort(-confidence, kind="stable")
    ranked = confidence[order]
    hits = np.cumsum(np.asarray(correct, dtype=np.int64)[order])
    kept = np.arange(1, len(ranked) + 1)
    # Only cut between different confidences: tied predictions stand or fall together.
    last_of_tie = np.append(ranked[1:] < ranked[:-1], True)
    meets = np.flatnonzero((_wilson_lower(hits, kept, z) >= target) & last_of_tie)
    if len(meets) == 0:
        return float(np.nextafter(1.0, 2.0))
    return float(ranked[meets[-1]])


def _wilson_lower(hits: npt.NDArray[np.integer], n: npt.NDArray[np.integer],
                  z: float) -> npt.NDArray[np.float64]:
    """Return the Wilson score lower bound of the proportion hits/n (Wilson, 1927)."""
    p = hits / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)
