"""The search document table that PostgreSQL uses (SQLite keeps its FTS5 table, created
by the migration). A Django model, so that Django knows the table: flushing or deleting
tickets takes the documents along (ON DELETE CASCADE, TRUNCATE together)."""

from __future__ import annotations

from django.db import models


class TsVectorField(models.Field):
    """A PostgreSQL tsvector column (text elsewhere, where the table stays empty)."""

    description = "Full-text search document"

    def db_type(self, connection) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


class TicketDocument(models.Model):
    """A ticket's words for full-text search; written by postroom.search.services in SQL."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+")
    document = TsVectorField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "search_ticketdocument"

    def __str__(self) -> str:
        return f"Search document of ticket {self.ticket_id}"
