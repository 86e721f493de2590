"""Sending from the outbox: retries with backoff, giving up visibly, suppression, sweep."""

from __future__ import annotations

import datetime as dt

import pytest

from postroom.core.clock import pinned
from postroom.mail.models import OutboundKind, OutboundMessage, OutboundState, Suppression
from postroom.mail.outbound.outbox import outbound_message_queue
from postroom.mail.outbound.tasks import outbox_sweep, send_acknowledgement, send_outbound
from postroom.mail.outbound.transports import Envelope, MemoryTransport, TransportError
from postroom.tickets.models import EventKind, Message, TicketEvent

from .conftest import T0


class FailingTransport(MemoryTransport):
    """Fails while `failures_left` > 0 (temporarily, or permanently if `permanent`)."""

    failures_left = 0
    permanent = False
    calls = 0

    def send(self, envelope: Envelope) -> dict[str, str]:
        type(self).calls += 1
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            raise TransportError("451 4.3.0 relay busy", permanent=type(self).permanent)
        return super().send(envelope)


@pytest.fixture
def failing(settings):
    settings.POSTROOM = {
        **settings.POSTROOM,
        "OUTBOUND_TRANSPORT": f"{__name__}.FailingTransport",
        "OUTBOX_MAX_ATTEMPTS": 3,
        "OUTBOX_BACKOFF_SECONDS": 60,
    }
    FailingTransport.failures_left, FailingTransport.permanent, FailingTransport.calls = (
        99,
        False,
        0,
    )
    return FailingTransport


def queue_reply(ticket, **kwargs):
    return outbound_message_queue(
        ticket=ticket,
        kind=kwargs.pop("kind", OutboundKind.REPLY),
        recipients=kwargs.pop("recipients", ["anna@customer.example"]),
        subject=ticket.subject,
        text="Hello",
        **kwargs,
    )


def sweep_at(moment, capture):
    with pinned(moment), capture(execute=True):
        return outbox_sweep()


def test_failed_sends_are_retried_with_doubling_backoff_then_given_up_visibly(
    ticket, inbound, failing, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with pinned(T0), capture(execute=True):
        outbound = queue_reply(ticket)

    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts) == (OutboundState.QUEUED, 1)
    assert outbound.next_attempt_at == T0 + dt.timedelta(seconds=60)
    assert "relay busy" in outbound.last_error

    assert sweep_at(T0 + dt.timedelta(seconds=59), capture) == 0  # not due yet
    assert sweep_at(T0 + dt.timedelta(seconds=60), capture) == 1
    outbound.refresh_from_db()
    assert outbound.attempts == 2
    assert outbound.next_attempt_at == T0 + dt.timedelta(seconds=60 + 120)
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.BOUNCE).exists()

    assert sweep_at(T0 + dt.timedelta(seconds=180), capture) == 1
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts, outbound.next_attempt_at) == (
        OutboundState.FAILED,
        3,
        None,
    )
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.BOUNCE)
    assert event.summary.startswith("Delivery failed: ")
    assert "relay busy" in event.summary
    assert event.source == "outbox:retries"
    assert failing.calls == 3
    assert sweep_at(T0 + dt.timedelta(days=1), capture) == 0


def test_message_is_sent_once_the_relay_recovers(
    ticket, inbound, failing, memory_transport, django_capture_on_commit_callbacks
):
    failing.failures_left = 1
    with pinned(T0), django_capture_on_commit_callbacks(execute=True):
        outbound = queue_reply(ticket)
    later = T0 + dt.timedelta(minutes=5)
    sweep_at(later, django_capture_on_commit_callbacks)

    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts, outbound.sent_at) == (OutboundState.SENT, 2, later)
    assert Message.objects.get(message_id=outbound.message_id).sent_at == later
    assert len(memory_transport) == 1


def test_permanent_refusal_gives_up_at_once(
    ticket, inbound, failing, django_capture_on_commit_callbacks
):
    failing.failures_left, failing.permanent = 1, True
    with pinned(T0), django_capture_on_commit_callbacks(execute=True):
        outbound = queue_reply(ticket)
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts) == (OutboundState.FAILED, 1)
    assert (
        TicketEvent.objects.get(ticket=ticket, kind=EventKind.BOUNCE).source == "outbox:permanent"
    )


def test_retry_is_enqueued_for_later_on_a_backend_that_defers(
    ticket, inbound, failing, settings, django_capture_on_commit_callbacks
):
    from django_tasks import default_task_backend

    with pinned(T0), django_capture_on_commit_callbacks(execute=True):
        outbound = queue_reply(ticket)  # first attempt runs on the immediate backend
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    OutboundMessage.objects.filter(pk=outbound.pk).update(next_attempt_at=None)

    with pinned(T0), django_capture_on_commit_callbacks(execute=True):
        send_outbound.call(outbound.pk)

    outbound.refresh_from_db()
    (result,) = default_task_backend.results
    assert result.task.func is send_outbound.func
    assert list(result.args) == [outbound.pk]
    assert result.task.run_after == outbound.next_attempt_at == T0 + dt.timedelta(seconds=120)


def test_automatic_mail_to_a_suppressed_address_is_not_sent(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks
):
    Suppression.objects.create(
        address="Anna@customer.example",
        reason="5.1.1 user unknown",
        until=T0 + dt.timedelta(days=30),
    )
    with pinned(T0), django_capture_on_commit_callbacks(execute=True):
        outbound = queue_reply(ticket, kind=OutboundKind.NOTIFICATION, automatic=True)

    outbound.refresh_from_db()
    assert outbound.state == OutboundState.SUPPRESSED
    assert memory_transport == []
    event = TicketEvent.objects.get(ticket=ticket, source="loop_guard:suppressed")
    assert "anna@customer.example" in event.summary


def test_automatic_mail_skips_only_the_suppressed_recipient(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks
):
    Suppression.objects.create(
        address="boss@customer.example", reason="hard bounce", until=T0 + dt.timedelta(days=30)
    )
    with pinned(T0), django_capture_on_commit_callbacks(execute=True):
        outbound = queue_reply(ticket, automatic=True, cc=["boss@customer.example"])
    outbound.refresh_from_db()
    assert outbound.state == OutboundState.SENT
    assert memory_transport[0].recipients == ("anna@customer.example",)


def test_expired_suppression_and_agent_replies_are_not_blocked(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks
):
    Suppression.objects.create(
        address="anna@customer.example", reason="old", until=T0 - dt.timedelta(seconds=1)
    )
    with pinned(T0), django_capture_on_commit_callbacks(execute=True):
        automatic = queue_reply(ticket, automatic=True)
    Suppression.objects.update(until=T0 + dt.timedelta(days=1))
    with pinned(T0), django_capture_on_commit_callbacks(execute=True):
        reply = queue_reply(ticket)  # a person wrote it: it goes out
    assert OutboundMessage.objects.get(pk=automatic.pk).state == OutboundState.SENT
    assert OutboundMessage.objects.get(pk=reply.pk).state == OutboundState.SENT


def test_a_sent_or_claimed_message_is_not_sent_again(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks
):
    with pinned(T0), django_capture_on_commit_callbacks(execute=True):
        outbound = queue_reply(ticket)
    assert send_outbound.call(outbound.pk) == OutboundState.SENT
    assert len(memory_transport) == 1

    with pinned(T0), django_capture_on_commit_callbacks(execute=False):
        other = queue_reply(ticket)
    # Another worker holds the lease: a duplicate job must leave it alone.
    OutboundMessage.objects.filter(pk=other.pk).update(next_attempt_at=T0 + dt.timedelta(minutes=5))
    with pinned(T0):
        assert send_outbound.call(other.pk) == OutboundState.QUEUED
    assert len(memory_transport) == 1


def test_sweep_picks_up_messages_whose_job_was_lost(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks
):
    with pinned(T0), django_capture_on_commit_callbacks(execute=False):
        outbound = queue_reply(ticket)  # the enqueue never happens
    assert sweep_at(T0 + dt.timedelta(seconds=30), django_capture_on_commit_callbacks) == 0
    assert sweep_at(T0 + dt.timedelta(seconds=61), django_capture_on_commit_callbacks) == 1
    outbound.refresh_from_db()
    assert outbound.state == OutboundState.SENT


def test_acknowledgement_job_sends_the_acknowledgement(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_acknowledgement.enqueue(ticket.pk, inbound.pk, {"loop_guard": "allowed"})
    (sent,) = OutboundMessage.objects.filter(kind=OutboundKind.ACK)
    assert sent.state == OutboundState.SENT
    assert len(memory_transport) == 1
    assert (
        TicketEvent.objects.get(ticket=ticket, kind=EventKind.ACK).detail["loop_guard"] == "allowed"
    )


def test_acknowledgement_job_for_a_vanished_ticket_does_nothing(db):
    assert send_acknowledgement.call(999, 999) is None
