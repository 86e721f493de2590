"""parse_message never raises, whatever bytes arrive (property-based)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postroom.mail.parsing import ParsedMail, parse_message
from tests.mail.parsing.conftest import PARSING_FIXTURES

SAMPLES = sorted(p.read_bytes() for p in PARSING_FIXTURES.glob("*.eml"))

# Fragments that steer random input into the parser's difficult paths.
TOKENS = [
    b"From: a@example.test\r\n",
    b"Subject: =?utf-8?b?w6k=?= =?x-bogus?q?=FF?=\r\n",
    b"Content-Type: multipart/mixed; boundary=x\r\n",
    b'Content-Type: multipart/alternative; boundary="y"\r\n',
    b"Content-Type: message/rfc822\r\n",
    b"Content-Type: message/delivery-status\r\n",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n",
    b"Content-Type: text/plain; charset=unknown-8bit; format=flowed\r\n",
    b'Content-Type: text/html; charset="iso-2022-jp"\r\n',
    b"Content-Disposition: attachment; filename*0*=utf-8''%E3%81; filename*1=x\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"Content-Transfer-Encoding: x-uuencode\r\n",
    b"Final-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.1.1\r\n",
    b"begin 644 f.bin\r\nM86)C\r\n`\r\nend\r\n",
    b"--x\r\n",
    b"--x--\r\n",
    b"--y\r\n",
    b"\r\n",
    b"> quoted\r\n",
    b"On Mon, 1 Jan 2024, a@b wrote:\r\n",
    b"<html><body><blockquote type=cite>",
    b"\xff\xfe\x00\x80\xc3",
]


def _check(mail: ParsedMail) -> None:
    assert isinstance(mail, ParsedMail)
    assert isinstance(mail.subject, str) and isinstance(mail.text, str)
    assert isinstance(mail.visible_text, str) and isinstance(mail.html, str)
    assert "\x00" not in mail.text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(data):
    _check(parse_message(data))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=24)), max_size=40))
def test_random_mime_fragments_never_raise(chunks):
    _check(parse_message(b"".join(chunks)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(SAMPLES),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["replace", "delete", "insert", "truncate"]),
            st.floats(min_value=0, max_value=1),
            st.binary(min_size=1, max_size=32),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_mutated_real_messages_never_raise(sample, edits):
    data = bytearray(sample)
    for kind, where, chunk in edits:
        at = int(where * len(data))
        if kind == "replace":
            data[at : at + len(chunk)] = chunk
        elif kind == "delete":
            del data[at : at + len(chunk) * 8]
        elif kind == "insert":
            data[at:at] = chunk
        else:
            del data[at:]
    _check(parse_message(bytes(data)))
