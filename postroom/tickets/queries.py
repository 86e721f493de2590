"""Reads on tickets that every page shares: which tickets a user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from postroom.accounts.roles import queue_ids_visible_to
from postroom.tickets.models import Ticket


def tickets_visible_to(user: Any, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """Return the tickets *user* may see: every queue's for admins, else their queues'.

    Enforced by every desk view, download and admin page (issue #4): a ticket of another
    queue is answered 404, so its existence is not disclosed.
    """
    qs = Ticket.objects.all() if queryset is None else queryset
    queue_ids = queue_ids_visible_to(user)
    if queue_ids is None:
        return qs
    return qs.filter(queue_id__in=queue_ids)
