"""Tickets, their messages and attachments, and the timeline of events."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from postroom.core import clock


def _reply_token() -> str:
    return secrets.token_hex(8)


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending (waiting on customer)"
    SOLVED = "solved", "Solved"
    CLOSED = "closed", "Closed"
    SPAM = "spam", "Spam"
    MERGED = "merged", "Merged"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Ticket(models.Model):
    subject = models.CharField(max_length=500, blank=True)
    queue = models.ForeignKey("accounts.Queue", on_delete=models.PROTECT, related_name="tickets")
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="tickets", null=True
    )
    status = models.CharField(max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    language = models.CharField(max_length=8, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="assigned_tickets",
    )
    # Per-ticket secret in the Reply-To address (support+t<id>-<token>@…): a reply that
    # lost its subject and headers still threads.
    reply_token = models.CharField(max_length=32, default=_reply_token, editable=False)
    # The mailbox address the customer wrote to; replies go out from it.
    our_address = models.EmailField(max_length=320, blank=True)
    linked_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_on_tickets",
        help_text="The closed ticket this one continues.",
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_tickets"
    )
    category = models.ForeignKey(
        "routing.Category", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    tags = models.ManyToManyField("tickets.Tag", blank=True, related_name="tickets")
    # Issue #3: an automatic decision below its confidence threshold waits for a person.
    needs_triage = models.BooleanField(default=False, db_index=True)
    # {"category": {"value": "battery", "source": "classifier:v3 p=0.91"}, …}: what was
    # decided automatically, so that an agent's change is recorded as a correction.
    auto_fields = models.JSONField(default=dict, blank=True)
    # Troubleshooting facts extracted from the customer's messages: {"firmware_version": ["2.3.1"]}.
    facts = models.JSONField(default=dict, blank=True)
    tone = models.CharField(max_length=16, blank=True, help_text="negative / neutral / positive")
    tone_score = models.FloatField(default=0.0)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    updated_at = models.DateTimeField(default=clock.now, db_index=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["queue", "status", "-updated_at"]),
            # The desk's inbox (issue #4): keyset pages over (updated_at, id) per view.
            models.Index(fields=["status", "-updated_at", "-id"], name="ticket_status_updated"),
            models.Index(fields=["assignee", "status", "-updated_at"], name="ticket_assignee_status"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_created"),
            # The inbox's counts read this index alone (one grouped query over open statuses).
            models.Index(fields=["status", "queue", "assignee", "needs_triage"], name="ticket_open_counts"),
            # Needs triage is a small set: a partial index keeps its list and count cheap.
            models.Index(fields=["-updated_at", "-id"], condition=models.Q(needs_triage=True),
                         name="ticket_triage_updated"),
            # Priority sort walks one priority level at a time, newest update first.
            models.Index(fields=["priority", "-updated_at", "-id"], name="ticket_priority_updated"),
        ]

    def __str__(self) -> str:
        return f"[{self.reference}] {self.subject}"

    @property
    def reference(self) -> str:
        return f"{settings.POSTROOM['TICKET_PREFIX']}-{self.pk}"


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Direction(models.TextChoices):
    INBOUND = "in", "From customer"
    OUTBOUND = "out", "Reply to customer"
    NOTE = "note", "Internal note"
    AUTO = "auto", "Automatic message"


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    raw = models.ForeignKey(
        "mail.RawMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    from_address = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    to = models.JSONField(default=list, blank=True)
    cc = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    # Every Message-ID we know, in and out: the threading index.
    message_id = models.CharField(max_length=500, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    references = models.TextField(blank=True)
    body_text = models.TextField(blank=True, help_text="The full text body.")
    visible_text = models.TextField(blank=True, help_text="The reply without quotes or signature.")
    body_html = models.TextField(blank=True, help_text="Sanitised HTML (nh3).")
    language = models.CharField(max_length=8, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} on {self.ticket_id}: {self.subject[:60]}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{clock.now():%Y/%m}/{secrets.token_hex(8)}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=500)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_id = models.CharField(max_length=500, blank=True)
    inline = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    MESSAGE = "message", "Message received"
    REPLY = "reply", "Reply sent"
    ROUTED = "routed", "Routed"
    DECISION = "decision", "Decision"
    REOPENED = "reopened", "Reopened"
    STATUS = "status", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    MERGED = "merged", "Merged"
    SPLIT = "split", "Split"
    LINKED = "linked", "Linked"
    ACK = "ack", "Acknowledgement"
    ACK_SKIPPED = "ack_skipped", "Acknowledgement skipped"
    BOUNCE = "bounce", "Delivery failed"
    NOTE = "note", "Note"
    REDACTED = "redacted", "Sensitive data removed"
    FIELD = "field", "Field changed"


class TicketEvent(models.Model):
    """One line of a ticket's timeline; `source` says who or what decided it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    summary = models.CharField(max_length=500)
    source = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.summary} ({self.source})"
