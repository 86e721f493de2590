"""Two-factor sign-in with time-based one-time codes (issue #4, RFC 6238).

An agent scans a QR code into an authenticator app, proves it works with one code, and
from then on signs in with their password and the app's current code. Secrets never
leave this module except into the agent's own QR code and setup page; they are never
logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import logging
from typing import Any

import pyotp
import segno
from django.db import transaction

from postroom.accounts.models import AgentProfile, Role
from postroom.accounts.roles import user_role
from postroom.core import clock

log = logging.getLogger(__name__)

ISSUER = "Postroom"
# RFC 6238 §4 and §5.2: 30-second steps, 6 digits (what every authenticator app shows),
# and one step either side to forgive a phone clock that is a little off.
STEP_SECONDS = 30
DIGITS = 6
TOLERANCE_STEPS = 1


def totp_secret_new() -> str:
    """Return a fresh random base32 secret (160 bits, RFC 4226 §4's recommended length)."""
    return pyotp.random_base32(length=32)


def totp_provisioning_uri(*, user: Any, secret: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the QR code."""
    return _totp(secret).provisioning_uri(name=_label(user), issuer_name=ISSUER)


def totp_provisioning_svg(*, user: Any, secret: str) -> str:
    """Return the setup QR code as inline SVG markup.

    segno draws the markup itself; the only text it writes is our constant title, and the
    user's name only travels inside the QR pattern (percent-encoded in the URI), so the
    result is safe to mark safe.
    """
    qr = segno.make(totp_provisioning_uri(user=user, secret=secret), error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", xmldecl=False, scale=5, border=2, dark="#000", light="#fff",
            title="Two-factor setup code for your authenticator app", svgclass="totp-qr")
    return out.getvalue().decode("utf-8")


@transaction.atomic
def totp_enable(*, user: Any, secret: str, code: str) -> bool:
    """Switch two-factor sign-in on for *user* if *code* matches *secret*; return whether it did.

    The confirming code's step counts as used, so it cannot sign in a second time.
    """
    if not _valid_secret(secret):
        return False
    step = _matching_step(secret, code)
    if step is None:
        return False
    profile = _profile(user)
    profile.totp_secret = secret
    profile.totp_enabled = True
    profile.totp_last_step = step
    profile.save(update_fields=["totp_secret", "totp_enabled", "totp_last_step"])
    log.info("Two-factor sign-in turned on for %s", user.get_username())
    return True


def totp_verify(*, user: Any, code: str) -> bool:
    """Return whether *code* is *user*'s current code and not used before; mark it used.

    RFC 6238 §5.2: a code accepted once is refused afterwards, also the older steps still
    within the tolerance. The compare-and-set update makes two racing requests with the
    same code succeed at most once.
    """
    try:
        profile = user.agent_profile
    except AgentProfile.DoesNotExist:
        return False
    if not profile.totp_enabled or not profile.totp_secret:
        return False
    step = _matching_step(profile.totp_secret, code)
    if step is None:
        return False
    taken = AgentProfile.objects.filter(pk=profile.pk, totp_last_step__lt=step).update(
        totp_last_step=step
    )
    if not taken:
        return False
    profile.totp_last_step = step
    return True


def totp_disable(*, user: Any) -> None:
    """Switch two-factor sign-in off for *user* and forget the secret."""
    try:
        profile = user.agent_profile
    except AgentProfile.DoesNotExist:
        return
    profile.totp_secret = ""
    profile.totp_enabled = False
    profile.totp_last_step = 0
    profile.save(update_fields=["totp_secret", "totp_enabled", "totp_last_step"])
    log.info("Two-factor sign-in turned off for %s", user.get_username())


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def _label(user: Any) -> str:
    # "Postroom:alex" in the app's list; pyotp percent-encodes it into the URI.
    return user.get_username()


def _valid_secret(secret: str) -> bool:
    if not secret or len(secret) > 64:  # AgentProfile.totp_secret's length
        return False
    try:
        base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _matching_step(secret: str, code: str) -> int | None:
    """Return the time step within the tolerance whose code is *code*, None if none is."""
    code = "".join(code.split())  # apps show "123 456"
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = _totp(secret)
    current = totp.timecode(clock.now())
    for step in range(current - TOLERANCE_STEPS, current + TOLERANCE_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _profile(user: Any) -> AgentProfile:
    """Return *user*'s AgentProfile, creating it (with their current desk role) if missing."""
    try:
        return user.agent_profile
    except AgentProfile.DoesNotExist:
        pass
    # Superusers and admin-era staff have a desk role without a profile row.
    profile, _ = AgentProfile.objects.get_or_create(
        user=user, defaults={"role": user_role(user) or Role.AGENT}
    )
    user.agent_profile = profile
    return profile
