"""Mail in the admin: raw mail downloads and replays, the outbox retries, passwords stay hidden."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from postroom.mail.models import (
    Mailbox,
    OutboundKind,
    OutboundMessage,
    OutboundState,
    RawMessage,
    RawState,
    Source,
)
from postroom.mail.outbound import transports

RAW = (
    b"From: Anna <anna@customer.example>\r\nTo: support@example.test\r\n"
    b"Subject: <script>alert(1)</script> sync\r\nMessage-ID: <raw-1@customer.example>\r\n\r\n"
    b"<script>alert(1)</script> My watch does not sync.\r\n"
)


@pytest.fixture(autouse=True)
def memory_transport(settings):
    settings.POSTROOM = {
        **settings.POSTROOM,
        "OUTBOUND_TRANSPORT": "postroom.mail.outbound.transports.MemoryTransport",
    }
    transports.outbox.clear()
    yield transports.outbox
    transports.outbox.clear()


@pytest.fixture
def raw(mailboxes):
    return RawMessage.objects.create(
        data=RAW,
        size=len(RAW),
        sha256=hashlib.sha256(RAW).hexdigest(),
        message_id="raw-1@customer.example",
        source=Source.SMTP,
        mailbox=mailboxes["support"],
        envelope_from="anna@customer.example",
        envelope_to=["support@example.test"],
        state=RawState.QUARANTINED,
        failed_step="thread",
        error="<b>boom</b>",
    )


@pytest.mark.parametrize(
    "model",
    ["rawmessage", "outboundmessage", "mailbox", "bounce", "suppression", "imapcursor"],
)
def test_mail_admin_pages_render(admin_client, raw, model):
    assert admin_client.get(reverse(f"admin:mail_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:mail_{model}_add")).status_code in (200, 403)


def test_quarantined_raw_message_shows_its_error_escaped(admin_client, raw):
    page = admin_client.get(
        reverse("admin:mail_rawmessage_changelist"), {"attention": "quarantined"}
    ).content.decode()
    assert "&lt;b&gt;boom&lt;/b&gt;" in page
    assert "<b>boom</b>" not in page
    detail = admin_client.get(reverse("admin:mail_rawmessage_change", args=[raw.pk]))
    assert detail.status_code == 200
    assert "<script>alert(1)</script>" not in detail.content.decode()


def test_raw_message_downloads_as_eml_bytes(admin_client, raw):
    response = admin_client.get(reverse("admin:mail_rawmessage_eml", args=[raw.pk]))
    assert response.status_code == 200
    assert response.content == RAW
    assert response["Content-Disposition"] == f'attachment; filename="raw-{raw.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_retry_processing_replays_a_quarantined_message(admin_client, raw):
    response = admin_client.post(
        reverse("admin:mail_rawmessage_changelist"),
        {"action": "retry_processing", "_selected_action": [raw.pk]},
    )
    assert response.status_code == 302
    raw.refresh_from_db()
    assert raw.state == RawState.PROCESSED


def test_retry_now_sends_a_failed_outbox_message(
    admin_client, queues, memory_transport, django_capture_on_commit_callbacks
):
    from postroom.tickets.models import Ticket

    ticket = Ticket.objects.create(subject="x", queue=queues["support"])
    outbound = OutboundMessage.objects.create(
        ticket=ticket,
        kind=OutboundKind.REPLY,
        from_address="support@example.test",
        recipients=["anna@customer.example"],
        subject="Re: x",
        message_id="m@x",
        data=b"Subject: x\r\n\r\nhi\r\n",
        state=OutboundState.FAILED,
        attempts=8,
        last_error="relay down",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:mail_outboundmessage_changelist"),
            {"action": "retry_now", "_selected_action": [outbound.pk]},
        )
    assert response.status_code == 302
    outbound.refresh_from_db()
    assert outbound.state == OutboundState.SENT
    assert [e.data for e in memory_transport] == [b"Subject: x\r\n\r\nhi\r\n"]


def test_mailbox_password_is_write_only(admin_client, queues):
    mailbox = Mailbox.objects.create(
        name="imap", kind="imap", queue=queues["support"], imap_password="hunter2"
    )
    url = reverse("admin:mail_mailbox_change", args=[mailbox.pk])
    page = admin_client.get(url).content.decode()
    assert 'type="password"' in page
    assert "hunter2" not in page

    form = {
        "name": "imap",
        "kind": "imap",
        "queue": queues["support"].pk,
        "active": "on",
        "imap_host": "imap.example.test",
        "imap_port": 993,
        "imap_password": "",
        "imap_folder": "INBOX",
        "addresses-TOTAL_FORMS": 0,
        "addresses-INITIAL_FORMS": 0,
    }
    assert admin_client.post(url, form).status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "hunter2"  # empty keeps the stored one

    assert admin_client.post(url, {**form, "clear_imap_password": "on"}).status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.imap_password == ""
