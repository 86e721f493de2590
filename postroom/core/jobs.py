"""The jobs seam: enqueue background work after the current transaction commits.

Jobs are Django Tasks (django-tasks backport); the backend is chosen in settings
(database backend by default, immediate in tests). Jobs carry ids, never objects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction


def enqueue_on_commit(task: Any, *args: Any, run_after: dt.datetime | None = None) -> None:
    """Enqueue *task* with *args* once the surrounding transaction has committed."""

    def _enqueue() -> None:
        t = task.using(run_after=run_after) if run_after is not None else task
        t.enqueue(*args)

    # robust: a failed enqueue must not undo work that is already committed; the stored
    # row (raw message, outbox entry) stays in its waiting state and the worker's sweep
    # picks it up again.
    transaction.on_commit(_enqueue, robust=True)
