"""Retrain the routing models on a schedule (issue #3 §2), beside the job worker.

Training takes a minute or two of CPU; it runs in its own thread so that it never holds up
the worker (acknowledgements go out within seconds meanwhile). A new version replaces the
active one only when it is no worse (`routing_retrain`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.conf import settings
from django.db import close_old_connections
from django.db.models import Max

from postroom.core import clock
from postroom.routing.models import RoutingModel

logger = logging.getLogger("postroom.routing")

_running = threading.Lock()
_last_attempt: dt.datetime | None = None


def routing_retrain_due(*, now: dt.datetime | None = None) -> bool:
    """Return whether the schedule asks for a retrain now (this process, this hour)."""
    hours = int(settings.POSTROOM["ROUTING_RETRAIN_HOURS"])
    if hours <= 0:
        return False
    now = now or clock.now()
    every = dt.timedelta(hours=hours)
    if _last_attempt is not None and now - _last_attempt < every:
        return False
    latest = RoutingModel.objects.aggregate(latest=Max("created_at"))["latest"]
    return latest is None or now - latest >= every


def routing_retrain_in_background() -> threading.Thread | None:
    """Start a retrain in a thread when one is due and none is running; return the thread."""
    global _last_attempt
    if _running.locked() or not routing_retrain_due():
        return None
    _last_attempt = clock.now()
    thread = threading.Thread(target=_retrain, name="postroom-routing-retrain", daemon=True)
    thread.start()
    return thread


def _retrain() -> None:
    from postroom.routing.versions import routing_retrain

    with _running:
        try:
            for result in routing_retrain():
                logger.info(
                    "routing retrain: %s %s — %s", result.field, result.outcome, result.detail
                )
        except Exception:
            logger.exception("scheduled routing retrain failed")
        finally:
            close_old_connections()
