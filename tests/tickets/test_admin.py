"""The interim agent desk in the admin: a hostile thread renders harmless, the reply form
lands in the outbox, attachments download safely and only for the ticket's queue."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import include, path, reverse

from postroom.accounts.models import Customer, CustomerAddress
from postroom.mail.models import OutboundKind, OutboundMessage, OutboundState
from postroom.mail.outbound import transports
from postroom.tickets.models import Attachment, Direction, EventKind, Message, Ticket, TicketEvent

# The desk's URLs as config/urls.py mounts them: the app's own before the admin.
urlpatterns = [
    path("desk/sla/", include("postroom.sla.urls")),
    path("desk/", include("postroom.desk.urls")),
    path("desk/", include("postroom.tickets.urls")),
    path("", admin.site.urls),
]
pytestmark = pytest.mark.urls(__name__)

HOSTILE = "<img src=x onerror=alert(1)><script>alert(1)</script>"


@pytest.fixture(autouse=True)
def memory_transport(settings, tmp_path):
    settings.POSTROOM = {
        **settings.POSTROOM,
        "OUTBOUND_TRANSPORT": "postroom.mail.outbound.transports.MemoryTransport",
    }
    settings.MEDIA_ROOT = tmp_path
    transports.outbox.clear()
    yield transports.outbox
    transports.outbox.clear()


def staff_user(django_user_model, username, queue):
    user = django_user_model.objects.create_user(
        username, f"{username}@example.test", "pw", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="tickets", codename__in=["view_ticket", "change_ticket"]
        )
    )
    queue.members.add(user)
    return user


@pytest.fixture
def agent(django_user_model, queues):
    return staff_user(django_user_model, "mia", queues["support"])


@pytest.fixture
def outsider(django_user_model, queues):
    return staff_user(django_user_model, "otto", queues["billing"])


@pytest.fixture
def ticket(queues, mailboxes):
    customer = Customer.objects.create(name="Mallory")
    CustomerAddress.objects.create(customer=customer, address="mallory@customer.example")
    ticket = Ticket.objects.create(
        subject=f"Help {HOSTILE}",
        queue=queues["support"],
        customer=customer,
        our_address="support@example.test",
    )
    message = Message.objects.create(
        ticket=ticket,
        direction=Direction.INBOUND,
        from_address="mallory@customer.example",
        from_name=f"Mallory {HOSTILE}",
        subject=f"Help {HOSTILE}",
        message_id="evil-1@customer.example",
        body_text=f"My watch {HOSTILE}\n\n> quoted history",
        visible_text=f"My watch {HOSTILE}",
        # As if an upstream step had failed to sanitise: the desk must not trust it.
        body_html=f'<p>My watch</p>{HOSTILE}<a href="javascript:alert(2)">x</a>',
    )
    Attachment.objects.create(
        message=message,
        file=ContentFile(b"<html><script>alert(3)</script></html>", name="page.html"),
        filename='evil".html',
        content_type="text/html",
        size=38,
        sha256="0" * 64,
    )
    Message.objects.create(
        ticket=ticket,
        direction=Direction.NOTE,
        body_text="Check the logs",
        visible_text="Check the logs",
    )
    return ticket


def change_url(ticket):
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def test_thread_renders_hostile_mail_as_text(client, agent, ticket):
    client.force_login(agent)
    response = client.get(change_url(ticket))

    assert response.status_code == 200
    page = response.content.decode()
    assert HOSTILE not in page
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x onerror" not in page
    assert "javascript:alert" not in page
    # Shown, escaped, as text the agent can read.
    assert (
        "My watch &lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    )
    assert "&gt; quoted history" in page  # the full text, behind <details>
    assert 'class="desk-msg msg-in"' in page
    assert 'class="desk-msg msg-note"' in page
    assert "<iframe sandbox=" in page


def test_thread_html_is_sanitised_and_framed(client, agent, ticket):
    client.force_login(agent)
    page = client.get(change_url(ticket)).content.decode()
    frame = page.split('srcdoc="', 1)[1].split('"', 1)[0]
    assert "&lt;p&gt;My watch&lt;/p&gt;" in frame
    assert "script" not in frame.replace("Content-Security-Policy", "")
    assert "onerror" not in frame
    assert "default-src &#x27;none&#x27;" in frame


def test_timeline_and_attachment_link_are_shown(client, agent, ticket):
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.ROUTED,
        summary="Routed to Technical Support",
        source="rule:12",
    )
    client.force_login(agent)
    page = client.get(change_url(ticket)).content.decode()
    attachment = Attachment.objects.get()
    assert "rule:12" in page
    assert reverse("tickets:attachment-download", args=[attachment.pk]) in page
    assert "evil&quot;.html" in page


def test_reply_form_queues_a_reply_in_the_outbox(
    client, agent, ticket, memory_transport, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    reply_url = reverse("admin:tickets_ticket_reply", args=[ticket.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reply_url, {"text": "Please re-pair the watch.", "cc": "", "status_after": "pending"}
        )

    assert response.status_code == 302
    assert response["Location"] == change_url(ticket)
    outbound = OutboundMessage.objects.get()
    assert (outbound.kind, outbound.state) == (OutboundKind.REPLY, OutboundState.SENT)
    assert outbound.recipients == ["mallory@customer.example"]
    assert len(memory_transport) == 1
    assert Message.objects.get(message_id=outbound.message_id).author == agent
    ticket.refresh_from_db()
    assert ticket.status == "pending"


def test_reply_form_with_attachment_and_cc(
    client, agent, ticket, memory_transport, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:tickets_ticket_reply", args=[ticket.pk]),
            {
                "text": "Manual attached.",
                "cc": "boss@customer.example",
                "status_after": "solved",
                "attachments": [SimpleUploadedFile("manual.pdf", b"%PDF-1.4", "application/pdf")],
            },
        )
    outbound = OutboundMessage.objects.get()
    assert outbound.recipients == ["mallory@customer.example", "boss@customer.example"]
    assert b"manual.pdf" in memory_transport[0].data
    assert (
        Message.objects.get(message_id=outbound.message_id).attachments.get().filename
        == "manual.pdf"
    )


def test_internal_note_is_not_mailed(client, agent, ticket, django_capture_on_commit_callbacks):
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:tickets_ticket_reply", args=[ticket.pk]),
            {"text": "Known firmware bug", "internal_note": "on", "status_after": "pending"},
        )
    assert response.status_code == 302
    assert not OutboundMessage.objects.exists()
    assert Message.objects.filter(direction=Direction.NOTE, author=agent).count() == 1


def test_invalid_reply_shows_the_page_again_with_the_text(client, agent, ticket):
    client.force_login(agent)
    response = client.post(
        reverse("admin:tickets_ticket_reply", args=[ticket.pk]),
        {"text": "Draft kept", "cc": "not an address", "status_after": "pending"},
    )
    assert response.status_code == 200
    assert "Not an email address" in response.content.decode()
    assert "Draft kept" in response.content.decode()
    assert not OutboundMessage.objects.exists()


def test_reply_form_is_csrf_protected(agent, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(
        reverse("admin:tickets_ticket_reply", args=[ticket.pk]),
        {"text": "Hi", "status_after": "pending"},
    )
    assert response.status_code == 403
    assert not OutboundMessage.objects.exists()


def test_attachment_downloads_and_is_never_rendered(client, agent, ticket):
    client.force_login(agent)
    attachment = Attachment.objects.get()
    response = client.get(reverse("tickets:attachment-download", args=[attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "evil" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == b"<html><script>alert(3)</script></html>"


def test_agent_outside_the_queue_cannot_see_the_ticket_or_its_files(client, outsider, ticket):
    client.force_login(outsider)
    attachment = Attachment.objects.get()

    assert (
        client.get(reverse("tickets:attachment-download", args=[attachment.pk])).status_code == 404
    )
    page = client.get(change_url(ticket))
    assert page.status_code in (302, 404)
    assert "Check the logs" not in page.content.decode()
    reply = client.post(
        reverse("admin:tickets_ticket_reply", args=[ticket.pk]),
        {"text": "Hi", "status_after": "pending"},
    )
    assert reply.status_code == 404
    assert not OutboundMessage.objects.exists()
    listing = client.get(reverse("admin:tickets_ticket_changelist"))
    assert ticket.reference not in listing.content.decode()


def test_superuser_sees_every_queue(client, admin_user, ticket):
    client.force_login(admin_user)
    attachment = Attachment.objects.get()
    assert (
        client.get(reverse("tickets:attachment-download", args=[attachment.pk])).status_code == 200
    )
    assert client.get(change_url(ticket)).status_code == 200


def test_anonymous_visitor_is_sent_to_the_login(client, ticket):
    attachment = Attachment.objects.get()
    response = client.get(reverse("tickets:attachment-download", args=[attachment.pk]))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_changelist_finds_a_ticket_by_reference(client, agent, ticket):
    client.force_login(agent)
    response = client.get(reverse("admin:tickets_ticket_changelist"), {"q": ticket.reference})
    assert response.status_code == 200
    assert change_url(ticket) in response.content.decode()


def test_status_change_on_the_page_is_on_the_timeline(client, agent, ticket):
    client.force_login(agent)
    response = client.post(
        change_url(ticket),
        {
            "subject": ticket.subject,
            "status": "solved",
            "priority": "normal",
            "queue": ticket.queue_id,
            "assignee": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert TicketEvent.objects.get(ticket=ticket, kind=EventKind.STATUS).actor == agent


@pytest.mark.urls("config.urls")
def test_agent_merges_tickets_from_the_list_and_splits_a_message_off(mailboxes, client, django_user_model):
    from postroom.tickets.models import TicketStatus
    from tests.mail.builders import build_mail, deliver

    a = deliver(build_mail(subject="Strap broke", message_id="a1@customer.test")).ticket
    b = deliver(build_mail(subject="Strap broke again", message_id="b1@customer.test")).ticket
    boss = django_user_model.objects.create_superuser("boss2", password="pw-123456")
    client.force_login(boss)
    response = client.post("/admin/tickets/ticket/", {"action": "merge_selected", "_selected_action": [a.pk, b.pk]})
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.status == TicketStatus.MERGED and b.merged_into_id == a.pk
    assert a.messages.count() == 2

    page = client.get(f"/admin/tickets/ticket/{a.pk}/change/").content.decode()
    assert "Split into a new ticket" in page
    moved = a.messages.get(message_id="b1@customer.test")
    response = client.post(f"/admin/tickets/ticket/{a.pk}/split/{moved.pk}/")
    moved.refresh_from_db()
    assert moved.ticket_id not in (a.pk, b.pk)
    assert response.status_code == 302 and response["Location"].endswith(f"/admin/tickets/ticket/{moved.ticket_id}/change/")
    assert client.get(f"/admin/tickets/ticket/{a.pk}/split/{moved.pk}/").status_code == 405
