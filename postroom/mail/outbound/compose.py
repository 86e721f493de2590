"""Build outgoing RFC 5322 messages for a ticket: headers that thread, bytes that send.

Pure apart from two reads (the queue's mailbox address, the message replied to); the
outbox stores what `message_compose` returns and a job sends it later.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from postroom.core import clock
from postroom.mail.models import MailboxAddress
from postroom.tickets.models import Direction, Message, Ticket

# RFC 5322 §3.6.4 sets no limit on References, but long chains break MTAs and clients
# (line limits, header size caps); keep the root and the most recent ids, as RFC 5537
# §3.4.4 does for netnews.
MAX_REFERENCES = 20

# Reply prefixes used by common mail clients in many languages ("Re:", "AW:", "SV:",
# "Réf.", "回复:" …), optionally numbered ("Re[2]:", "Re(3):").
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|antw|sv|vs|r[ée]f\.?|rif|res|odp|ynt|atb|vá|回复|回覆|答复)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_SAFE_ID = re.compile(r"^[\x21-\x3b\x3d\x3f-\x7e]+$")  # printable ASCII without < > and space


@dataclass(frozen=True)
class OutgoingAttachment:
    """A file to attach to an outgoing message."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class ComposedMessage:
    """An outgoing message ready for the outbox. Message-IDs are without angle brackets."""

    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    from_address: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    data: bytes

    @property
    def recipients(self) -> tuple[str, ...]:
        """Return the envelope recipients: To, then Cc."""
        return self.to + self.cc


def reply_subject(subject: str, *, reference: str) -> str:
    """Return *subject* as a reply carrying the ticket *reference* exactly once.

    `Re: Re: AW: Watch won't sync [PR-42]` becomes `Re: Watch won't sync [PR-42]`.
    """
    prefix = re.escape(str(settings.POSTROOM["TICKET_PREFIX"]))
    text = " ".join(subject.split())  # also drops CR/LF: no header injection
    text = re.sub(rf"\[\s*{prefix}-\d+\s*\]", " ", text, flags=re.IGNORECASE)
    text = " ".join(text.split())
    while True:  # prefixes may reappear after a removed tag: "Re: [PR-42] Re: …"
        stripped = _REPLY_PREFIX.sub("", text).strip()
        if stripped == text:
            break
        text = stripped
    text = text[:400]
    return f"Re: {text} [{reference}]" if text else f"Re: [{reference}]"


def message_id_new(*, ticket_id: int | None) -> str:
    """Return a new, globally unique Message-ID (without angle brackets) for a ticket."""
    domain = settings.POSTROOM["MAIL_DOMAIN"]
    return f"pr-{ticket_id or 0}-{secrets.token_hex(10)}@{domain}"


def ticket_from_address(ticket: Ticket) -> str:
    """Return the address replies on *ticket* go out from.

    The address the customer wrote to, else the queue's first mailbox address, else
    support@MAIL_DOMAIN.
    """
    if ticket.our_address:
        return ticket.our_address.lower()
    first = (
        MailboxAddress.objects.filter(mailbox__queue_id=ticket.queue_id, mailbox__active=True)
        .order_by("id")
        .values_list("address", flat=True)
        .first()
    )
    return (first or f"support@{settings.POSTROOM['MAIL_DOMAIN']}").lower()


def reply_to_address(*, ticket: Ticket, from_address: str) -> str:
    """Return the plus-address `<local>+t<id>-<token>@<domain>` for *ticket*.

    A reply that lost its subject and threading headers still finds its ticket by it.
    """
    local, _, domain = from_address.rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}+t{ticket.pk}-{ticket.reply_token}@{domain}"


def references_for(message: Message | None) -> tuple[str, ...]:
    """Return the References chain of a reply to *message* (RFC 5322 §3.6.4).

    The parent's References (or, lacking them, its In-Reply-To) followed by the parent's
    own Message-ID, duplicates and unusable ids dropped, trimmed to `MAX_REFERENCES`.
    """
    if message is None or not message.message_id:
        return ()
    chain = (message.references or message.in_reply_to).split()
    ids: list[str] = []
    for mid in (*chain, message.message_id):
        mid = mid.strip("<>")
        if mid and _SAFE_ID.match(mid) and mid not in ids:
            ids.append(mid)
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return tuple(ids)


def last_inbound_message(ticket: Ticket) -> Message | None:
    """Return the customer's latest message on *ticket*, the one a reply answers."""
    return (
        Message.objects.filter(ticket=ticket, direction=Direction.INBOUND)
        .order_by("-created_at", "-id")
        .first()
    )


def addresses_clean(addresses: Iterable[str]) -> tuple[str, ...]:
    """Return *addresses* lower-cased and de-duplicated; raise ValueError on a bad one."""
    seen: list[str] = []
    for raw in addresses:
        address = raw.strip().lower()
        if not address:
            continue
        local, _, domain = address.rpartition("@")
        try:
            # IDNA (RFC 5891) for the domain; a non-ASCII local part would need
            # SMTPUTF8 (RFC 6531), which a relay may not offer, so it is refused.
            address = f"{local}@{domain.encode('idna').decode('ascii')}"
            validate_email(address)
            if not address.isascii():
                raise ValidationError("non-ASCII local part")
        except (ValidationError, UnicodeError):
            raise ValueError(f"not a usable email address: {raw!r}") from None
        if address not in seen:
            seen.append(address)
    return tuple(seen)


def _header_text(value: str) -> str:
    """Return *value* on one line, so hostile text cannot add headers."""
    return " ".join(value.split())


def message_compose(
    *,
    ticket: Ticket,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str = "",
    cc: Sequence[str] = (),
    attachments: Sequence[OutgoingAttachment] = (),
    automatic: bool = False,
    in_reply_to_message: Message | None = None,
    language: str = "",
) -> ComposedMessage:
    """Build the RFC 5322 message for *ticket* to *to*/*cc* (CRLF line endings).

    Threads on *in_reply_to_message* (In-Reply-To, References), carries the reference in
    the subject and the reply token in Reply-To; automatic mail is marked as such.
    """
    to_clean = addresses_clean(to)
    cc_clean = tuple(a for a in addresses_clean(cc) if a not in to_clean)
    if not to_clean:
        raise ValueError("an outgoing message needs at least one recipient")
    from_address = ticket_from_address(ticket)
    team = _header_text(ticket.queue.name)
    message_id = message_id_new(ticket_id=ticket.pk)
    full_subject = reply_subject(subject, reference=ticket.reference)
    parent = in_reply_to_message
    parent_id = parent.message_id.strip("<>") if parent and parent.message_id else ""
    if parent_id and not _SAFE_ID.match(parent_id):
        parent_id = ""
    references = references_for(parent) if parent_id else ()

    msg = EmailMessage(policy=policy.SMTP)
    msg["Message-ID"] = f"<{message_id}>"
    msg["Date"] = format_datetime(clock.now())
    msg["From"] = Address(display_name=team, addr_spec=from_address)
    msg["To"] = ", ".join(to_clean)
    if cc_clean:
        msg["Cc"] = ", ".join(cc_clean)
    msg["Subject"] = full_subject
    if parent_id:
        msg["In-Reply-To"] = f"<{parent_id}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    msg["Reply-To"] = Address(
        display_name=team, addr_spec=reply_to_address(ticket=ticket, from_address=from_address)
    )
    if automatic:
        # RFC 3834 §5: mark automatic mail so other responders do not answer it;
        # "auto-replied" when it answers a message, "auto-generated" otherwise. Precedence
        # is not standardised and not set: Auto-Submitted is the field RFC 3834 defines.
        msg["Auto-Submitted"] = "auto-replied" if parent_id else "auto-generated"
        # Exchange/Outlook: no out-of-office or other automatic answers to this.
        msg["X-Auto-Response-Suppress"] = "All"
    # Our own marker: the loop guard recognises mail that came from us.
    msg["X-Postroom-Ticket"] = ticket.reference

    # Quoted-printable keeps every line 7-bit and short (RFC 5322 §2.1.1) whatever the
    # relay supports.
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if html:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        if not maintype or not subtype or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=_header_text(attachment.filename) or "attachment",
        )
    if language:
        # RFC 3282; set last because set_content() clears Content-* fields.
        msg["Content-Language"] = language

    return ComposedMessage(
        message_id=message_id,
        in_reply_to=parent_id,
        references=references,
        from_address=from_address,
        to=to_clean,
        cc=cc_clean,
        subject=full_subject,
        data=msg.as_bytes(),
    )
