"""Mailboxes, raw received mail (stored first), bounces, suppressions and the outbox."""

from __future__ import annotations

from django.db import models

from postroom.core import clock


class MailboxKind(models.TextChoices):
    DELIVERY = "delivery", "SMTP/LMTP delivery"
    IMAP = "imap", "IMAP account"


class Mailbox(models.Model):
    """Where mail for some addresses arrives, and which queue it goes to.

    Kept apart from queues on purpose: credentials belong to a mailbox, not to a team.
    """

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=MailboxKind.choices, default=MailboxKind.DELIVERY)
    queue = models.ForeignKey("accounts.Queue", on_delete=models.PROTECT, related_name="mailboxes")
    active = models.BooleanField(default=True)
    # IMAP settings (kind=imap).
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_ssl = models.BooleanField(default=True)
    imap_username = models.CharField(max_length=255, blank=True)
    imap_password = models.CharField(
        max_length=255, blank=True,
        help_text="Leave empty to read it from the environment variable named below.",
    )
    imap_password_env = models.CharField(max_length=100, blank=True)
    imap_folder = models.CharField(max_length=255, default="INBOX")
    imap_processed_folder = models.CharField(
        max_length=255, blank=True,
        help_text="Move stored messages here; empty = only flag them \\Seen.",
    )

    class Meta:
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return self.name


class MailboxAddress(models.Model):
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="addresses")
    address = models.EmailField(max_length=320, unique=True)

    class Meta:
        verbose_name_plural = "mailbox addresses"

    def __str__(self) -> str:
        return self.address


class ImapCursor(models.Model):
    """How far an IMAP folder has been read (RFC 3501 §2.3.1.1: UIDs are only valid
    together with UIDVALIDITY)."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="cursors")
    folder = models.CharField(max_length=255)
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "folder"], name="uniq_imap_cursor")]

    def __str__(self) -> str:
        return f"{self.mailbox_id}:{self.folder} uidvalidity={self.uidvalidity} last={self.last_uid}"


class RawState(models.TextChoices):
    RECEIVED = "received", "Received, waiting"
    PROCESSED = "processed", "Processed"
    QUARANTINED = "quarantined", "Quarantined (failed)"


class Outcome(models.TextChoices):
    TICKET = "ticket", "New ticket"
    FOLLOWUP = "followup", "Follow-up"
    BOUNCE = "bounce", "Bounce"
    SPAM = "spam", "Spam"
    DUPLICATE = "duplicate", "Duplicate"


class Source(models.TextChoices):
    SMTP = "smtp", "SMTP"
    LMTP = "lmtp", "LMTP"
    IMAP = "imap", "IMAP"
    IMPORT = "import", "Import"
    ADMIN = "admin", "Admin"


class RawMessage(models.Model):
    """The bytes exactly as received, stored before anything else happens."""

    data = models.BinaryField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    message_id = models.CharField(max_length=500, blank=True, db_index=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    mailbox = models.ForeignKey(Mailbox, on_delete=models.SET_NULL, null=True, blank=True)
    envelope_from = models.CharField(max_length=320, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    origin = models.CharField(max_length=500, blank=True, help_text="File path, IMAP UID …")
    received_at = models.DateTimeField(default=clock.now, db_index=True)
    state = models.CharField(max_length=16, choices=RawState.choices, default=RawState.RECEIVED, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="raw_messages"
    )
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)
    failed_step = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Issue #3 §5: card numbers, IBANs, national IDs and passwords are masked in `data`
    # itself; `sha256` stays the hash of the bytes as received (dedupe, audit).
    redactions = models.JSONField(default=list, blank=True, help_text="What was masked: kind, detail, masked.")
    redacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"raw #{self.pk} ({self.state}{'/' + self.outcome if self.outcome else ''})"


class Bounce(models.Model):
    """A delivery status notification matched to what we sent (RFC 3464)."""

    raw = models.ForeignKey(RawMessage, on_delete=models.CASCADE, related_name="bounces")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True)
    outbound = models.ForeignKey(
        "mail.OutboundMessage", on_delete=models.SET_NULL, null=True, blank=True
    )
    recipient = models.CharField(max_length=320, blank=True)
    action = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=32, blank=True)
    diagnostic = models.TextField(blank=True)
    hard = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.recipient} {self.status or self.action}"


class Suppression(models.Model):
    """An address we stop sending automatic mail to until `until`."""

    address = models.EmailField(max_length=320, unique=True)
    reason = models.CharField(max_length=500)
    until = models.DateTimeField()
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.address


class OutboundKind(models.TextChoices):
    ACK = "ack", "Acknowledgement"
    REPLY = "reply", "Agent reply"
    NOTIFICATION = "notification", "Notification"


class OutboundState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"
    SUPPRESSED = "suppressed", "Suppressed"


class OutboundMessage(models.Model):
    """The durable outbox: a message is stored here first, then sent by a job."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="outbound"
    )
    kind = models.CharField(max_length=16, choices=OutboundKind.choices)
    automatic = models.BooleanField(default=False)
    from_address = models.CharField(max_length=320)
    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=500)
    message_id = models.CharField(max_length=500, db_index=True)
    data = models.BinaryField(help_text="The complete RFC 5322 message as sent.")
    state = models.CharField(max_length=16, choices=OutboundState.choices, default=OutboundState.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbox message"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} to {', '.join(self.recipients)}: {self.subject}"
