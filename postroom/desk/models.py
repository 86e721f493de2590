"""What the desk keeps per agent: saved inbox views and who is looking at which ticket."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from postroom.core import clock


class SavedView(models.Model):
    """An inbox view an agent named: the inbox's query string (view, filters, sort, q)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=1000, help_text="The inbox URL's query string.")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_owner_name")]

    def __str__(self) -> str:
        return self.name


class TicketPresence(models.Model):
    """An agent has a ticket open (and maybe is writing a reply): collision detection.

    The ticket page refreshes its row every few seconds; rows older than a minute mean
    the agent left. A table, not a cache, so several server processes agree.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    replying = models.BooleanField(default=False)
    seen_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="presence_ticket_user")]

    def __str__(self) -> str:
        return f"{self.user} on {self.ticket_id}"
