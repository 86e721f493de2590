"""Two-factor codes (issue #4, RFC 6238): setup, verification, replay protection."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from postroom.accounts.models import AgentProfile, Role
from postroom.accounts.totp import (
    totp_disable,
    totp_enable,
    totp_provisioning_svg,
    totp_provisioning_uri,
    totp_secret_new,
    totp_verify,
)
from postroom.core import clock

MOMENT = dt.datetime(2025, 3, 3, 9, 0, 10, tzinfo=dt.UTC)
STEP = dt.timedelta(seconds=30)


@pytest.fixture
def mia(django_user_model):
    user = django_user_model.objects.create_user("mia", "mia@staff.example.test", "pw")
    AgentProfile.objects.create(user=user, role=Role.AGENT)
    return user


@pytest.fixture
def enabled(mia):
    """Mia with two-factor on since an hour before MOMENT; returns her secret."""
    secret = totp_secret_new()
    earlier = MOMENT - dt.timedelta(hours=1)
    with clock.pinned(earlier):
        assert totp_enable(user=mia, secret=secret, code=pyotp.TOTP(secret).at(earlier))
    return secret


def verify_at(user, code: str, moment: dt.datetime) -> bool:
    with clock.pinned(moment):
        return totp_verify(user=user, code=code)


def test_a_new_secret_is_random_base32_of_160_bits():
    first, second = totp_secret_new(), totp_secret_new()
    assert first != second
    assert len(base64.b32decode(first)) == 20


def test_the_provisioning_uri_names_postroom_and_the_user(mia):
    secret = totp_secret_new()
    uri = totp_provisioning_uri(user=mia, secret=secret)
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/Postroom:mia"
    query = parse_qs(parts.query)
    assert query["secret"] == [secret]
    assert query["issuer"] == ["Postroom"]


def test_the_qr_code_is_inline_svg_that_carries_no_markup_from_the_username(django_user_model):
    user = django_user_model.objects.create_user('<script>alert("x")</script>', "x@example.test", "pw")
    svg = totp_provisioning_svg(user=user, secret=totp_secret_new())
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert "<script" not in svg and "alert" not in svg
    assert 'class="totp-qr"' in svg


def test_enabling_needs_a_code_from_the_secret(mia):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # fixed: the wrong code below stays wrong
    right = pyotp.TOTP(secret).at(MOMENT)
    wrong = pyotp.TOTP(secret).at(MOMENT + dt.timedelta(minutes=10))
    with clock.pinned(MOMENT):
        assert not totp_enable(user=mia, secret=secret, code=wrong)
        assert not AgentProfile.objects.get(user=mia).totp_enabled
        assert totp_enable(user=mia, secret=secret, code=right)
    profile = AgentProfile.objects.get(user=mia)
    assert profile.totp_enabled and profile.totp_secret == secret


def test_enabling_refuses_a_secret_that_is_not_base32(mia):
    with clock.pinned(MOMENT):
        assert not totp_enable(user=mia, secret="not base32!", code="123456")


def test_the_confirming_code_cannot_sign_in_again(mia):
    secret = totp_secret_new()
    code = pyotp.TOTP(secret).at(MOMENT)
    with clock.pinned(MOMENT):
        assert totp_enable(user=mia, secret=secret, code=code)
    assert not verify_at(mia, code, MOMENT)


def test_the_current_code_is_accepted(mia, enabled):
    assert verify_at(mia, pyotp.TOTP(enabled).at(MOMENT), MOMENT)


def test_a_code_one_step_early_or_late_is_accepted(mia, enabled):
    totp = pyotp.TOTP(enabled)
    assert verify_at(mia, totp.at(MOMENT - STEP), MOMENT)
    assert verify_at(mia, totp.at(MOMENT + STEP), MOMENT)


def test_a_code_two_steps_away_is_refused(mia, enabled):
    totp = pyotp.TOTP(enabled)
    assert not verify_at(mia, totp.at(MOMENT - 2 * STEP), MOMENT)
    assert not verify_at(mia, totp.at(MOMENT + 2 * STEP), MOMENT)


def test_a_used_code_is_refused_the_second_time(mia, enabled):
    code = pyotp.TOTP(enabled).at(MOMENT)
    assert verify_at(mia, code, MOMENT)
    assert not verify_at(mia, code, MOMENT + dt.timedelta(seconds=5))
    assert AgentProfile.objects.get(user=mia).totp_last_step == pyotp.TOTP(enabled).timecode(MOMENT)


def test_an_older_code_is_refused_after_a_newer_one(mia, enabled):
    totp = pyotp.TOTP(enabled)
    assert verify_at(mia, totp.at(MOMENT + STEP), MOMENT)
    assert not verify_at(mia, totp.at(MOMENT), MOMENT)


def test_a_code_typed_with_a_space_is_accepted_and_letters_are_refused(mia, enabled):
    code = pyotp.TOTP(enabled).at(MOMENT)
    assert not verify_at(mia, "12a456", MOMENT)
    assert not verify_at(mia, "", MOMENT)
    assert verify_at(mia, f"{code[:3]} {code[3:]}", MOMENT)


def test_verifying_fails_without_two_factor_on(mia, django_user_model):
    assert not verify_at(mia, "123456", MOMENT)
    nobody = django_user_model.objects.create_user("nobody", "", "pw")
    assert not verify_at(nobody, "123456", MOMENT)


def test_disabling_forgets_the_secret(mia, enabled):
    totp_disable(user=mia)
    profile = AgentProfile.objects.get(user=mia)
    assert (profile.totp_enabled, profile.totp_secret, profile.totp_last_step) == (False, "", 0)
    assert not verify_at(mia, pyotp.TOTP(enabled).at(MOMENT), MOMENT)


def test_enabling_for_a_superuser_without_a_profile_makes_an_admin_profile(admin_user):
    secret = totp_secret_new()
    with clock.pinned(MOMENT):
        assert totp_enable(user=admin_user, secret=secret, code=pyotp.TOTP(secret).at(MOMENT))
    assert AgentProfile.objects.get(user=admin_user).role == Role.ADMIN


def test_secrets_are_never_logged(mia, caplog):
    secret = totp_secret_new()
    with clock.pinned(MOMENT), caplog.at_level("DEBUG"):
        totp_enable(user=mia, secret=secret, code=pyotp.TOTP(secret).at(MOMENT))
        totp_verify(user=mia, code=pyotp.TOTP(secret).at(MOMENT + STEP))
        totp_disable(user=mia)
    assert "Two-factor sign-in turned on for mia" in caplog.text
    assert secret not in caplog.text
