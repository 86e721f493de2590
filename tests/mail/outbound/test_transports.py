"""Transports: .eml files when no relay is configured, a real SMTP conversation otherwise."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from postroom.mail.models import OutboundKind, OutboundState
from postroom.mail.outbound.outbox import outbound_message_queue
from postroom.mail.outbound.transports import (
    Envelope,
    FileTransport,
    SmtpRelayTransport,
    TransportError,
    outbound_transport,
)

from .conftest import T0

DATA = b"From: support@example.test\r\nTo: anna@customer.example\r\nSubject: Hi\r\n\r\n.leading dot\r\nbody\r\n"


def envelope(**kwargs):
    return Envelope(
        outbound_id=7,
        created_at=T0,
        sender="support@example.test",
        recipients=kwargs.pop("recipients", ("anna@customer.example",)),
        data=kwargs.pop("data", DATA),
    )


class RecordingHandler:
    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, env, address, rcpt_options):
        if address.startswith("gone@"):
            return "550 5.1.1 No such user"
        if address.startswith("busy@"):
            return "451 4.3.0 Try again later"
        env.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, env):
        self.envelopes.append(
            (env.mail_from, list(env.rcpt_tos), env.original_content, bool(session.authenticated))
        )
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def relay(settings):
    handler = RecordingHandler()

    def authenticate(server, session, env, mechanism, auth_data):
        ok = auth_data.login == b"desk" and auth_data.password == b"s3cret"
        return AuthResult(success=ok)

    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield handler
    controller.stop()


def test_relay_delivers_the_exact_bytes(relay):
    refused = SmtpRelayTransport().send(envelope())
    assert refused == {}
    assert relay.envelopes == [("support@example.test", ["anna@customer.example"], DATA, False)]


def test_relay_logs_in_when_credentials_are_set(relay, settings):
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "desk", "s3cret"
    SmtpRelayTransport().send(envelope())
    assert relay.envelopes[0][3] is True


def test_relay_reports_refused_recipients_and_delivers_to_the_rest(relay):
    refused = SmtpRelayTransport().send(
        envelope(recipients=("anna@customer.example", "gone@customer.example"))
    )
    assert list(refused) == ["gone@customer.example"]
    assert "550" in refused["gone@customer.example"]
    assert relay.envelopes[0][1] == ["anna@customer.example"]


@pytest.mark.parametrize(
    ("address", "permanent"), [("gone@customer.example", True), ("busy@customer.example", False)]
)
def test_relay_refusal_is_permanent_only_for_5xx(relay, address, permanent):
    with pytest.raises(TransportError) as raised:
        SmtpRelayTransport().send(envelope(recipients=(address,)))
    assert raised.value.permanent is permanent


def test_unreachable_relay_is_a_temporary_failure(settings):
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    with pytest.raises(TransportError) as raised:
        SmtpRelayTransport().send(envelope())
    assert raised.value.permanent is False


def test_queued_reply_goes_through_the_configured_relay(
    relay, settings, ticket, inbound, django_capture_on_commit_callbacks
):
    settings.POSTROOM = {**settings.POSTROOM, "OUTBOUND_TRANSPORT": ""}  # default: relay set
    assert isinstance(outbound_transport(), SmtpRelayTransport)
    with django_capture_on_commit_callbacks(execute=True):
        outbound = outbound_message_queue(
            ticket=ticket,
            kind=OutboundKind.REPLY,
            recipients=["anna@customer.example"],
            subject="x",
            text="Hi",
        )
    outbound.refresh_from_db()
    assert outbound.state == OutboundState.SENT
    assert relay.envelopes[0][2] == bytes(outbound.data)


def test_without_a_relay_mail_is_written_as_eml_files(
    settings, tmp_path, ticket, inbound, django_capture_on_commit_callbacks
):
    settings.POSTROOM = {**settings.POSTROOM, "OUTBOUND_TRANSPORT": ""}
    settings.EMAIL_HOST = ""
    settings.EMAIL_FILE_PATH = tmp_path / "outbox"
    assert isinstance(outbound_transport(), FileTransport)
    with django_capture_on_commit_callbacks(execute=True):
        outbound = outbound_message_queue(
            ticket=ticket,
            kind=OutboundKind.REPLY,
            recipients=["anna@customer.example"],
            subject="x",
            text="Hi",
        )
    outbound.refresh_from_db()
    (written,) = (tmp_path / "outbox").iterdir()
    assert written.name == f"{outbound.created_at:%Y%m%d-%H%M%S}-{outbound.pk}.eml"
    assert written.read_bytes() == bytes(outbound.data)
    assert outbound.state == OutboundState.SENT


def test_file_transport_leaves_no_partial_file_behind(tmp_path):
    target = tmp_path / "outbox"
    FileTransport(target).send(envelope())
    FileTransport(target).send(envelope())  # same id again: replaced, not duplicated
    assert [p.name for p in target.iterdir()] == [f"{T0:%Y%m%d-%H%M%S}-7.eml"]


def test_file_transport_failure_is_a_transport_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(TransportError):
        FileTransport(blocker).send(envelope())


def test_unknown_transport_setting_is_an_error(settings):
    settings.POSTROOM = {**settings.POSTROOM, "OUTBOUND_TRANSPORT": "datetime.date"}
    with pytest.raises(TypeError):
        outbound_transport()
