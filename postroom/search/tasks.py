"""Search jobs; they take ids."""

from __future__ import annotations

from django_tasks import task


@task()
def search_refresh(ticket_ids: list[int]) -> int:
    """Rebuild the search documents of *ticket_ids* (after intake, a reply, a merge …)."""
    from postroom.search.services import search_document_refresh

    return search_document_refresh(ticket_ids=ticket_ids)
