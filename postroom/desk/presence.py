"""Who else has a ticket open, and who is writing a reply: collision detection (issue #4).

The ticket page touches its agent's row when it opens and every few seconds after; a row
not touched for `PRESENCE_SECONDS` means the agent left (closed the tab, lost the
network), so nobody has to say goodbye.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from postroom.core import clock
from postroom.desk.models import TicketPresence
from postroom.tickets.models import Ticket

# The page polls every 10 s; a minute without a poll is several missed ones.
PRESENCE_SECONDS = 60


@dataclass(frozen=True)
class PresentAgent:
    """Another agent on the same ticket, as the presence banner names them."""

    user_id: int
    name: str
    replying: bool
    seen_at: dt.datetime


def presence_touch(*, ticket: Ticket, user: Any, replying: bool) -> None:
    """Record that *user* has *ticket* open now (and whether they are writing a reply)."""
    values = {"replying": replying, "seen_at": clock.now()}
    # Every open ticket page polls this: one UPDATE in the usual case rather than
    # update_or_create's savepoint, SELECT and UPDATE.
    if TicketPresence.objects.filter(ticket=ticket, user=user).update(**values):
        return
    try:
        with transaction.atomic():
            TicketPresence.objects.create(ticket=ticket, user=user, **values)
    except IntegrityError:  # the same agent's other tab got there first
        TicketPresence.objects.update_or_create(ticket=ticket, user=user, defaults=values)


def presence_others(*, ticket: Ticket, user: Any) -> list[PresentAgent]:
    """Return the other agents seen on *ticket* within the last minute, replying ones first."""
    since = clock.now() - dt.timedelta(seconds=PRESENCE_SECONDS)
    rows = (
        TicketPresence.objects.filter(ticket=ticket, seen_at__gte=since)
        .exclude(user_id=user.pk)
        .select_related("user")
        .order_by("-replying", "user__first_name", "user__username")
    )
    return [
        PresentAgent(user_id=row.user_id, name=row.user.get_full_name() or row.user.get_username(),
                     replying=row.replying, seen_at=row.seen_at)
        for row in rows
    ]
