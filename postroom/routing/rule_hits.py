"""Count rule hits: how often each rule applied, and when last (the admin's rule list)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F

from postroom.core import clock
from postroom.routing.models import Rule


def rule_hits_record(*, rule_ids: Iterable[int], at: dt.datetime | None = None) -> int:
    """Add one hit to each rule in *rule_ids* and stamp its last hit; return rules updated.

    An `update()`, so no save signal fires and the cached rules stay loaded.
    """
    ids = sorted(set(rule_ids))
    if not ids:
        return 0
    return Rule.objects.filter(pk__in=ids).update(hits=F("hits") + 1, last_hit_at=at or clock.now())
