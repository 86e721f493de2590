"""Desk views: the ticket page and what it does in place (issue #4).

The page shows the thread, the timeline and a side panel whose fields are small forms:
with htmx each answers the re-rendered panel (and the header's badges, out of band),
without JavaScript each posts and comes back to the page. Every view fetches the
ticket through `ticket_for`, so another queue's ticket answers 404 everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST, require_safe

from postroom.core import clock
from postroom.desk.access import desk_view, ticket_for
from postroom.desk.htmx import is_htmx, page_redirect
from postroom.desk.presence import presence_others, presence_touch
from postroom.desk.thread import (
    INLINE_IMAGE_TYPES,
    SETTABLE_STATUSES,
    assignees_for,
    customer_summary,
    facts_for_display,
    field_selects,
    inline_image_user,
    message_html,
    queues_for_moving,
    thread_messages,
    timeline_events,
)
from postroom.desk.views import compose
from postroom.sla.due import due_phrase
from postroom.tickets.models import Attachment, Message, Priority, Ticket, TicketStatus
from postroom.tickets.queries import tickets_visible_to
from postroom.tickets.services import (
    ticket_fields_change,
    ticket_merge,
    ticket_set_status,
    ticket_split,
    ticket_tags_change,
    ticket_triage_done,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# What the page reads with the ticket, in the same query.
_SELECT = ("queue", "customer", "assignee", "category", "sla", "merged_into")

# The message frame: nothing but its own inline styles and images from here; no script,
# no forms, no plugins (`sandbox`), whatever the sanitiser might have missed. The desk's
# own origin is named besides 'self': in a sandboxed document (an opaque origin) some
# browsers match 'self' against nothing (w3c/webappsec-csp#260, WebKit#66923).
FRAME_POLICY = "default-src 'none'; img-src 'self' {origin} data:; style-src 'unsafe-inline'; sandbox"
# After "Load images": remote images too (the agent accepts that the sender sees it).
FRAME_POLICY_IMAGES = "default-src 'none'; img-src https: http: data: 'self'; style-src 'unsafe-inline'; sandbox"
INLINE_IMAGE_POLICY = "default-src 'none'; sandbox"

DUE_SOON = dt.timedelta(hours=2)


def _agent(request: HttpRequest) -> User:
    """Return the signed-in agent (`desk_view` let only them through)."""
    return cast("User", request.user)


def _merged_reference(ticket: Ticket) -> str:
    return ticket.merged_into.reference if ticket.merged_into is not None else "the other ticket"


def _ticket_url(ticket: Ticket | int) -> str:
    return reverse("desk:ticket", args=[ticket if isinstance(ticket, int) else ticket.pk])


def _due(ticket: Ticket) -> tuple[str, str]:
    """Return the SLA phrase for the header and its CSS class ("" when nothing is due)."""
    try:
        sla = ticket.sla  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return "", ""
    if sla.paused_since:
        return "paused (waiting on customer)", ""
    if sla.next_due is None:
        return "", ""
    phrase = due_phrase(sla.next_due)
    if sla.next_due < clock.now():
        return phrase, "due-overdue"
    return phrase, "due-soon" if sla.next_due - clock.now() < DUE_SOON else ""


def _header_context(ticket: Ticket) -> dict[str, Any]:
    phrase, css = _due(ticket)
    return {"ticket": ticket, "due_phrase": phrase, "due_class": css}


def _panel_context(request: HttpRequest, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    """Return what the side panel (and the header's badges) need."""
    return {
        **_header_context(ticket),
        "merged": bool(ticket.merged_into_id),
        "summary": customer_summary(ticket=ticket, user=request.user),
        "selects": field_selects(ticket=ticket, user=request.user),
        "tags": list(ticket.tags.all()),
        "facts": facts_for_display(ticket),
        "field_error": "",
        "merge_error": "",
        **extra,
    }


def _page(request: HttpRequest, ticket: Ticket, *, status: int = 200, **extra: Any) -> HttpResponse:
    """Render the whole ticket page; *extra* carries a form's error for the side panel."""
    context: dict[str, Any] = {}
    merged = bool(ticket.merged_into_id)
    thread = thread_messages(ticket)
    timeline = list(timeline_events(ticket))
    if not merged:
        # The composer holds a send when something arrived after what this page shows.
        context.update(compose.composer_context(
            request, ticket,
            seen=max((e.message.pk for e in thread), default=None),
            seen_event=max((e.pk for e in timeline), default=None),
        ))
    context.update(
        _panel_context(request, ticket, **extra),
        nav="inbox",
        thread=thread,
        can_split=not merged and len(thread) > 1,
        timeline=timeline,
        others=presence_others(ticket=ticket, user=request.user),
    )
    return render(request, "desk/ticket.html", context, status=status)


@desk_view
@require_safe
def ticket_page(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Show the ticket: thread, composer, timeline and side panel; note the agent is here."""
    ticket = ticket_for(request, ticket_id, select=_SELECT)
    presence_touch(ticket=ticket, user=request.user, replying=False)
    return _page(request, ticket)


# --- the side panel's fields ----------------------------------------------------------------


class FieldRefused(Exception):
    """A field edit that cannot be done; the message says why, for the agent."""


def _field_change(request: HttpRequest, ticket: Ticket) -> str:
    """Apply the one field edit in the POST through its service; return what was done."""
    post, user = request.POST, _agent(request)
    field = post.get("field", "")
    value = post.get("value", "").strip()
    if ticket.merged_into_id:
        raise FieldRefused(f"{ticket.reference} is merged; change {_merged_reference(ticket)} instead.")
    if field == "status":
        if value not in dict(SETTABLE_STATUSES):
            raise FieldRefused("Choose a status from the list.")
        ticket_set_status(ticket=ticket, status=value, actor=user)
        return f"Status: {TicketStatus(value).label}."
    if field == "priority":
        if value not in Priority.values:
            raise FieldRefused("Choose a priority from the list.")
        ticket_fields_change(ticket=ticket, changes={"priority": value}, actor=user)
        return f"Priority: {Priority(value).label}."
    if field == "queue":
        queue = queues_for_moving(user).filter(pk=int(value)).first() if value.isdigit() else None
        if queue is None:
            raise FieldRefused("Choose one of your queues.")
        ticket_fields_change(ticket=ticket, changes={"queue": queue}, actor=user)
        return f"Moved to {queue.name}."
    if field == "assignee":
        if not value:
            ticket_fields_change(ticket=ticket, changes={"assignee": None}, actor=user)
            return "Unassigned."
        agent = assignees_for(ticket).filter(pk=int(value)).first() if value.isdigit() else None
        if agent is None:
            raise FieldRefused(f"Only a member of {ticket.queue.name} can be assigned this ticket.")
        ticket_fields_change(ticket=ticket, changes={"assignee": agent}, actor=user)
        return f"Assigned to {agent.get_full_name() or agent.get_username()}."
    if field == "category":
        from postroom.routing.models import Category

        category = None
        if value:
            category = Category.objects.filter(pk=int(value)).first() if value.isdigit() else None
            if category is None:
                raise FieldRefused("Choose a category from the list.")
        ticket_fields_change(ticket=ticket, changes={"category": category}, actor=user)
        return f"Category: {category.name}." if category else "Category cleared."
    if field == "tags":
        added, removed = ticket_tags_change(
            ticket=ticket, add=post.get("add", "").split(","), remove=post.getlist("remove"), actor=user,
        )
        if not added and not removed:
            raise FieldRefused("Type a tag to add.")
        return "Tags: " + " ".join([f"+{n}" for n in added] + [f"−{n}" for n in removed]) + "."
    if field == "triage":
        ticket_triage_done(ticket=ticket, actor=user)
        return "Marked as triaged."
    raise FieldRefused("Nothing to change.")


@desk_view
@require_POST
def ticket_fields(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Change one of the ticket's fields; answer the side panel (htmx) or the page."""
    ticket = ticket_for(request, ticket_id, select=_SELECT)
    try:
        done = _field_change(request, ticket)
    except FieldRefused as refused:
        if is_htmx(request):
            # htmx swaps no 4xx answer (its default responseHandling), so the panel with
            # the reason comes back as a normal answer; nothing was changed.
            return render(request, "desk/ticket/_sidepanel_swap.html",
                          _panel_context(request, ticket, field_error=str(refused)))
        return _page(request, ticket, status=400, field_error=str(refused))
    if not tickets_visible_to(request.user).filter(pk=ticket.pk).exists():
        # Moved to a queue the agent sees but does not work in (or no longer sees).
        messages.info(request, f"{ticket.reference} moved to {ticket.queue.name}; it is no longer in your queues.")
        return page_redirect(request, reverse("desk:inbox"))
    if is_htmx(request):
        return render(request, "desk/ticket/_sidepanel_swap.html", {**_panel_context(request, ticket), "toast": done})
    messages.success(request, done)
    return HttpResponseRedirect(_ticket_url(ticket))


# --- presence ------------------------------------------------------------------------------


@desk_view
@require_POST
def ticket_presence(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Note that the agent is here (and whether replying); answer who else is."""
    ticket = ticket_for(request, ticket_id)
    flag = request.POST.get("replying", "0")
    if flag not in {"0", "1"}:
        return HttpResponse("replying must be 0 or 1", status=400, content_type="text/plain")
    # The page's poll sends the composer's draft along: an agent with words in the
    # composer is replying even though the poll itself says 0.
    replying = flag == "1" or bool(request.POST.get("text", "").strip())
    presence_touch(ticket=ticket, user=request.user, replying=replying)
    others = presence_others(ticket=ticket, user=request.user)
    return render(request, "desk/ticket/_presence_list.html", {"others": others})


# --- merge and split -----------------------------------------------------------------------


def _ticket_number(text: str) -> int | None:
    """Return the ticket number in "PR-123", "#123" or "123"; None if there is none."""
    term = text.strip().strip("#[]").strip().upper()
    prefix = f"{str(settings.POSTROOM['TICKET_PREFIX']).upper()}-"
    term = term.removeprefix(prefix)
    return int(term) if term.isdigit() else None


@desk_view
@require_POST
def ticket_merge_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Merge this ticket into the one the agent named, if they may see it; go there."""
    ticket = ticket_for(request, ticket_id, select=_SELECT)
    typed = request.POST.get("target", "")
    number = _ticket_number(typed)
    target = tickets_visible_to(request.user).filter(pk=number).first() if number is not None else None
    if target is None:
        return _page(request, ticket, status=400, merge_error=f"No ticket “{typed.strip()[:40]}” in your queues.")
    try:
        ticket_merge(source=ticket, target=target, actor=_agent(request))
    except ValueError as refused:
        return _page(request, ticket, status=400, merge_error=str(refused))
    messages.success(request, f"{ticket.reference} was merged into {target.reference}.")
    return HttpResponseRedirect(_ticket_url(target))


@desk_view
@require_POST
def ticket_split_view(request: HttpRequest, ticket_id: int, message_id: int) -> HttpResponse:
    """Move one message into a new ticket of the same queue and customer; go there."""
    ticket = ticket_for(request, ticket_id, select=_SELECT)
    message = Message.objects.filter(pk=message_id, ticket=ticket).first()
    if message is None:
        raise Http404("No such message on this ticket.")
    if ticket.merged_into_id:
        messages.error(request, f"{ticket.reference} is merged; split messages on {_merged_reference(ticket)}.")
        return HttpResponseRedirect(_ticket_url(ticket))
    message.ticket = ticket
    try:
        new = ticket_split(message=message, actor=_agent(request))
    except ValueError as refused:
        messages.error(request, str(refused))
        return HttpResponseRedirect(_ticket_url(ticket))
    messages.success(request, f"The message is now {new.reference}.")
    return HttpResponseRedirect(_ticket_url(new))


# --- message HTML and inline images ---------------------------------------------------------


@desk_view
@require_GET
@xframe_options_sameorigin
def message_html_view(request: HttpRequest, ticket_id: int, message_id: int) -> HttpResponse:
    """Answer a message's sanitised HTML as a small document for a sandboxed frame.

    Remote images only with ?images=1; cid: images point at the inline-image view.
    """
    ticket = ticket_for(request, ticket_id)
    message = Message.objects.filter(pk=message_id, ticket=ticket).prefetch_related("attachments").first()
    if message is None or not message.body_html.strip():
        raise Http404("No HTML for this message.")
    images = request.GET.get("images") == "1"
    # Sanitised by nh3 (postroom.core.html) just now; the frame's CSP and sandbox are the
    # second line of defence.
    body = mark_safe(message_html(message=message, user_id=_agent(request).pk, remote_images=images))  # noqa: S308
    response = HttpResponse(render_to_string("desk/ticket/_message_frame.html", {"body": body}))
    origin = request.build_absolute_uri("/").rstrip("/")
    response["Content-Security-Policy"] = FRAME_POLICY_IMAGES if images else FRAME_POLICY.format(origin=origin)
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


def _inline_image_response(ticket: Ticket, attachment_id: int) -> HttpResponse:
    attachment = Attachment.objects.filter(pk=attachment_id, message__ticket_id=ticket.pk).first()
    if attachment is None:
        raise Http404("No such image on this ticket.")
    content_type = attachment.content_type.split(";")[0].strip().lower()
    if content_type not in INLINE_IMAGE_TYPES:
        raise Http404("Not an image the desk shows inline.")
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, ValueError):
        raise Http404("The image's file is missing.") from None
    response = HttpResponse(data, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = INLINE_IMAGE_POLICY
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


@desk_view
def _inline_image_signed_in(request: HttpRequest, ticket_id: int, attachment_id: int) -> HttpResponse:
    return _inline_image_response(ticket_for(request, ticket_id), attachment_id)


@require_GET
def inline_image(request: HttpRequest, ticket_id: int, attachment_id: int) -> HttpResponse:
    """Serve an inline image of this ticket (PNG, JPEG, GIF, WebP only; never SVG).

    The message frame's requests carry no session cookie (a sandboxed frame is another
    site to the browser), so its image URLs are signed for the agent who opened it; that
    agent's access to the ticket is checked again here. Without a signature the desk's
    sign-in applies as everywhere.
    """
    user = inline_image_user(token=request.GET.get("k", ""), ticket_id=ticket_id, attachment_id=attachment_id)
    if user is None:
        return _inline_image_signed_in(request, ticket_id, attachment_id)
    ticket = tickets_visible_to(user).filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404("No such ticket.")
    return _inline_image_response(ticket, attachment_id)


urlpatterns = [
    path("t/<int:ticket_id>/", ticket_page, name="ticket"),
    path("t/<int:ticket_id>/fields/", ticket_fields, name="ticket-fields"),
    path("t/<int:ticket_id>/presence/", ticket_presence, name="ticket-presence"),
    path("t/<int:ticket_id>/merge/", ticket_merge_view, name="ticket-merge"),
    path("t/<int:ticket_id>/split/<int:message_id>/", ticket_split_view, name="ticket-split"),
    path("t/<int:ticket_id>/m/<int:message_id>/html/", message_html_view, name="message-html"),
    path("t/<int:ticket_id>/inline/<int:attachment_id>/", inline_image, name="inline-image"),
]
