"""Desk views outside the admin's own pages: attachment downloads."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from postroom.desk.access import desk_view
from postroom.tickets.models import Attachment
from postroom.tickets.queries import tickets_visible_to


@require_GET
@desk_view
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Serve an attachment as a download, never rendered inline.

    Only desk users who see the ticket's queue (members, admins) get it; others see 404
    so they learn nothing about tickets they may not read. Attachments come from
    customers' mail, so the browser is told not to sniff or render them.
    """
    attachment = get_object_or_404(Attachment.objects.select_related("message"), pk=attachment_id)
    user = request.user
    visible = tickets_visible_to(user).filter(pk=attachment.message.ticket_id).exists()
    if not visible:
        raise Http404("No such attachment.")
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The attachment's file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename or "attachment",
        # The sender chose the declared type; never let it make the browser render HTML.
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
