"""What the desk's ticket page shows: the thread, the timeline, the side panel (issue #4).

Reads only. Mail content stays hostile all the way: text is handed to templates to be
auto-escaped, and message HTML leaves here only through `sanitize_html`, for a sandboxed
frame of its own (never inline in the page).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode

from django.contrib.auth import get_user_model
from django.core import signing
from django.db.models import QuerySet
from django.urls import reverse

from postroom.accounts.models import Customer, Queue
from postroom.accounts.roles import queue_ids_visible_to, user_role
from postroom.core.html import sanitize_html
from postroom.tickets.models import (
    Attachment,
    Direction,
    Message,
    Priority,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from postroom.tickets.queries import tickets_visible_to

# Image types a browser shows as images and nothing else. Never SVG: it is a document
# that can carry script and links.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

RECENT_TICKETS = 5

_CSS: dict[str, str] = {
    Direction.INBOUND: "msg-in",
    Direction.OUTBOUND: "msg-out",
    Direction.NOTE: "msg-note",
    Direction.AUTO: "msg-auto",
}


@dataclass(frozen=True)
class ThreadMessage:
    """One message of the thread as the page shows it (its text still to be escaped)."""

    message: Message
    css: str  # msg-in / msg-out / msg-note / msg-auto
    label: str  # "From customer", "Internal note" … — said in words, not only in colour
    who: str
    text: str  # the reply without quotes (the full text when nothing was stripped)
    has_quoted: bool  # the full text holds more: quoted history, signature
    has_html: bool
    attachments: tuple[Attachment, ...]


def _who(message: Message) -> str:
    if message.direction == Direction.INBOUND:
        if message.from_name:
            return f"{message.from_name} <{message.from_address}>"
        return message.from_address or "Unknown sender"
    if message.author is not None:
        return message.author.get_full_name() or message.author.get_username()
    return message.from_address or "Postroom"


def thread_messages(ticket: Ticket) -> list[ThreadMessage]:
    """Return *ticket*'s messages oldest first (newest last), in three queries whatever their number."""
    rows = (
        Message.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related("attachments")
        .defer("references", "raw")
        .order_by("created_at", "id")
    )
    entries = []
    for m in rows:
        full, visible = m.body_text.strip(), m.visible_text.strip()
        entries.append(ThreadMessage(
            message=m,
            css=_CSS.get(m.direction, "msg-in"),
            label=m.get_direction_display(),
            who=_who(m),
            text=m.visible_text if visible else m.body_text,
            has_quoted=bool(full) and bool(visible) and full != visible,
            has_html=bool(m.body_html.strip()),
            attachments=tuple(sorted(m.attachments.all(), key=lambda a: a.pk)),
        ))
    return entries


def timeline_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    """Return *ticket*'s timeline, oldest first, with the people who acted."""
    return TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("created_at", "id")


# --- message HTML for the sandboxed frame ------------------------------------------------

_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
# nh3 writes every attribute as name="value" with quotes, < and > escaped inside it, so an
# <img …> tag of its output ends at the first ">" and a src value at the first quote.
_CID_SRC = re.compile(r'(\ssrc=")cid:([^"]*)(")', re.IGNORECASE)

_INLINE_SALT = "postroom.desk.inline-image"
# Long enough for a frame that stays open a while; reopening the frame signs anew.
INLINE_IMAGE_MAX_AGE = 2 * 3600


def inline_image_url(*, ticket_id: int, attachment_id: int, user_id: int) -> str:
    """Return the URL of an inline image, signed for *user_id*.

    The message frame is sandboxed (an opaque origin), so browsers send it no SameSite
    session cookie; the signature says which agent the page was shown to, and the view
    checks that agent's access to the ticket again.
    """
    token = signing.TimestampSigner(salt=_INLINE_SALT).sign(f"{user_id}.{ticket_id}.{attachment_id}")
    url = reverse("desk:inline-image", args=[ticket_id, attachment_id])
    return f"{url}?{urlencode({'k': token})}"


def inline_image_user(*, token: str, ticket_id: int, attachment_id: int) -> Any | None:
    """Return the desk user an inline image URL was signed for; None if not valid here."""
    if not token:
        return None
    try:
        value = signing.TimestampSigner(salt=_INLINE_SALT).unsign(token, max_age=INLINE_IMAGE_MAX_AGE)
    except signing.BadSignature:
        return None
    user_id, _, rest = value.partition(".")
    if rest != f"{ticket_id}.{attachment_id}" or not user_id.isdigit():
        return None
    user = get_user_model().objects.filter(pk=int(user_id), is_active=True).first()
    if user is None or user_role(user) is None:
        return None
    return user


def _content_id(value: str) -> str:
    """Return a Content-ID as stored on attachments: unquoted, without angle brackets."""
    # RFC 2392: a cid: URL is the Content-ID, %-encoded, without its angle brackets.
    return unquote(html.unescape(value)).strip().strip("<>").strip()


def message_html(*, message: Message, user_id: int, remote_images: bool = False) -> str:
    """Return *message*'s HTML sanitised for the frame, cid: images pointing at their parts.

    Remote images stay out unless *remote_images* (the agent clicked "Load images").
    """
    cleaned = sanitize_html(message.body_html, remote_images=remote_images)
    urls = {
        _content_id(a.content_id): inline_image_url(ticket_id=message.ticket_id, attachment_id=a.pk, user_id=user_id)
        for a in message.attachments.all()
        if a.content_id and a.content_type.split(";")[0].strip().lower() in INLINE_IMAGE_TYPES
    }
    if "cid:" not in cleaned.lower():
        return cleaned

    def point(src: re.Match[str]) -> str:
        url = urls.get(_content_id(src.group(2)))
        # A cid: with no image part here (a forwarded mail's, an SVG's, a part the sender
        # left out) is dropped: the frame's policy would refuse it and log a CSP error on
        # the agent's console (issue #4: no console errors); the alt text stays.
        return f"{src.group(1)}{html.escape(url)}{src.group(3)}" if url else ""

    return _IMG_TAG.sub(lambda tag: _CID_SRC.sub(point, tag.group(0)), cleaned)


# --- the side panel ------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerSummary:
    """The customer as the side panel shows them, counting only tickets the agent may see."""

    customer: Customer
    addresses: tuple[str, ...]
    ticket_count: int
    recent: tuple[Ticket, ...]  # the latest other tickets, newest first


def customer_summary(*, ticket: Ticket, user: Any) -> CustomerSummary | None:
    """Return *ticket*'s customer with addresses, their ticket count and latest other tickets."""
    customer = ticket.customer
    if customer is None:
        return None
    addresses = tuple(customer.addresses.order_by("id").values_list("address", flat=True))
    theirs = tickets_visible_to(user, Ticket.objects.filter(customer=customer))
    recent = tuple(
        theirs.exclude(pk=ticket.pk).only("id", "subject", "status", "created_at")
        .order_by("-created_at", "-id")[:RECENT_TICKETS]
    )
    return CustomerSummary(customer=customer, addresses=addresses, ticket_count=theirs.count(), recent=recent)


@dataclass(frozen=True)
class FieldSelect:
    """One field of the side panel as a select: its choices for this agent and ticket."""

    field: str  # status, priority, queue, assignee, category (the form's `field` value)
    label: str
    button: str
    button_hint: str  # completes the button's text for screen readers ("Set" + " status")
    options: tuple[tuple[str, str, bool], ...]  # (value, text, selected)


# "Merged" is what merging does, not a status to pick.
SETTABLE_STATUSES = tuple((v, label) for v, label in TicketStatus.choices if v != TicketStatus.MERGED)


def queues_for_moving(user: Any) -> QuerySet[Queue]:
    """Return the queues *user* may move a ticket to: those they see."""
    ids = queue_ids_visible_to(user)
    queues = Queue.objects.all() if ids is None else Queue.objects.filter(id__in=ids)
    return queues.order_by("name")


def assignees_for(ticket: Ticket) -> QuerySet[Any]:
    """Return who *ticket* may be assigned to: the active members of its queue."""
    return ticket.queue.members.filter(is_active=True).order_by("first_name", "username")


def field_selects(*, ticket: Ticket, user: Any) -> tuple[FieldSelect, ...]:
    """Return the selects of the side panel's fields, with the ticket's values selected."""
    from postroom.routing.models import Category

    def pairs(choices: Any, current: object) -> tuple[tuple[str, str, bool], ...]:
        return tuple((str(value), str(text), value == current) for value, text in choices)

    people = [(p.pk, (p.get_full_name() or p.get_username()) + (" (me)" if p.pk == user.pk else ""))
              for p in assignees_for(ticket)]
    return (
        FieldSelect("status", "Status", "Set", " status", pairs(SETTABLE_STATUSES, ticket.status)),
        FieldSelect("priority", "Priority", "Set", " priority", pairs(Priority.choices, ticket.priority)),
        FieldSelect("queue", "Queue", "Move", " to queue",
                    pairs(((q.pk, q.name) for q in queues_for_moving(user)), ticket.queue_id)),
        FieldSelect("assignee", "Assignee", "Assign", "",
                    pairs([("", "— Unassigned —"), *people], ticket.assignee_id or "")),
        FieldSelect("category", "Category", "Set", " category",
                    pairs([("", "— None —"), *((c.pk, c.name) for c in Category.objects.order_by("name"))],
                          ticket.category_id or "")),
    )


def facts_for_display(ticket: Ticket) -> list[tuple[str, str]]:
    """Return the ticket's extracted facts as (label, values) pairs."""
    from postroom.routing.facts import FACT_LABELS

    rows = []
    for kind, values in (ticket.facts or {}).items():
        shown = ", ".join(str(v) for v in values) if isinstance(values, list) else str(values)
        if shown:
            rows.append((FACT_LABELS.get(kind, kind.replace("_", " ").capitalize()), shown))
    return rows
