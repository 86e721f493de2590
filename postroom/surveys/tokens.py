"""Signed, expiring survey links (issue #5): `<survey id>.<nonce>` signed with a timestamp.

A token is `TimestampSigner(salt="postroom.surveys")` over the survey's id and a random
nonce. The signature makes it tamper-proof (a changed character or another survey id
fails), the timestamp lets it expire (`max_age`), and the nonce ties it to one survey
row, which keeps only the nonce's sha256. Single use is the row's business
(`rated_at`, `comment_at`), not the token's. Pure apart from the clock: no database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from django.core import signing

from postroom.core import clock
from postroom.surveys.errors import SurveyLinkExpired, SurveyLinkInvalid

SALT = "postroom.surveys"
_VALUE = re.compile(r"^(?P<id>[1-9][0-9]{0,18})\.(?P<nonce>[A-Za-z0-9_-]{16,64})$")
# Far longer than any token we make; refuse before spending an HMAC on it.
MAX_TOKEN_LENGTH = 300


@dataclass(frozen=True)
class SurveyToken:
    """What a genuine token says: which survey, its nonce, and when it was made."""

    survey_id: int
    nonce: str
    issued_at: dt.datetime


class _ClockSigner(signing.TimestampSigner):
    """A TimestampSigner stamped by `clock.now()`, so tests pin expiry instead of sleeping.

    Tokens are read with `Signer.unsign` (signature only) and their age is checked
    against `clock.now()` in `survey_token_read`; TimestampSigner's own check would read
    the wall clock.
    """

    def timestamp(self) -> str:
        return signing.b62_encode(int(clock.now().timestamp()))


def _signer() -> _ClockSigner:
    return _ClockSigner(salt=SALT, algorithm="sha256")


def nonce_new() -> str:
    """Return a fresh random nonce for a survey link (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


def nonce_hash(nonce: str) -> str:
    """Return the sha256 hex digest stored for *nonce*."""
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


def survey_token_make(*, survey_id: int, nonce: str) -> str:
    """Return the signed token for survey *survey_id* with *nonce*, stamped `clock.now()`."""
    if not _VALUE.match(f"{survey_id}.{nonce}"):
        raise ValueError("not a usable survey id or nonce")
    return _signer().sign(f"{survey_id}.{nonce}")


def survey_token_read(*, token: str, max_age: dt.timedelta) -> SurveyToken:
    """Return what *token* says, or raise SurveyLinkInvalid / SurveyLinkExpired.

    Expired means genuine but older than *max_age*; the error says nothing else.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise SurveyLinkInvalid("malformed token")
    signer = _signer()
    try:
        signed = signing.Signer.unsign(signer, token)
    except signing.BadSignature:
        raise SurveyLinkInvalid("bad signature") from None
    value, _, stamp = signed.rpartition(signer.sep)
    match = _VALUE.match(value)
    if match is None:
        raise SurveyLinkInvalid("unexpected token content")
    try:
        issued = dt.datetime.fromtimestamp(signing.b62_decode(stamp), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise SurveyLinkInvalid("bad timestamp") from None
    survey_id = int(match["id"])
    if clock.now() - issued > max_age:
        raise SurveyLinkExpired("survey link expired", survey_id=survey_id)
    return SurveyToken(survey_id=survey_id, nonce=match["nonce"], issued_at=issued)
