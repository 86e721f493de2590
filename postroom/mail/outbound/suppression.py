"""Reads on suppressions: which addresses must not get automatic mail right now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db.models import Q

from postroom.mail.models import Suppression


def suppressions_active(*, addresses: Iterable[str], at: dt.datetime) -> dict[str, Suppression]:
    """Return the suppressions in force at *at* for *addresses*, by lower-cased address."""
    wanted = {a.strip().lower() for a in addresses if a.strip()}
    if not wanted:
        return {}
    match = reduce(or_, (Q(address__iexact=a) for a in wanted))
    rows = Suppression.objects.filter(match, until__gt=at)
    return {row.address.lower(): row for row in rows}
