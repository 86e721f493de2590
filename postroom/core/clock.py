"""The one clock: every piece of Postroom asks `now()`, so tests can pin time."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

_pinned: dt.datetime | None = None


def now() -> dt.datetime:
    """Return the current aware datetime, or the pinned one inside `pinned()`."""
    return _pinned if _pinned is not None else timezone.now()


@contextlib.contextmanager
def pinned(moment: dt.datetime) -> Iterator[None]:
    """Pin `now()` to *moment* for the duration of the block (tests)."""
    global _pinned
    previous, _pinned = _pinned, moment
    try:
        yield
    finally:
        _pinned = previous
