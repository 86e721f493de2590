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

    transaction.on_commit(_enqueue)
