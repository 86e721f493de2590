"""Signing in to the desk (issue #4): passwords, roles, rate limiting, two-factor codes,
signing out, and the `postroom agent` command that makes desk users."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pyotp
import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from postroom.accounts.models import AgentProfile, Role
from postroom.accounts.totp import totp_enable
from postroom.core import clock
from postroom.desk.access import TOTP_SESSION_KEY
from tests.desk.conftest import PASSWORD, signed_in

LOGIN = "/desk/login/"
CODE = "/desk/login/code/"
INBOX = "/desk/"
MOMENT = dt.datetime(2025, 3, 3, 9, 0, 10, tzinfo=dt.UTC)
# Fixed, so that WRONG_CODE is never by chance a right one around MOMENT.
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
WRONG_CODE = "000000"


@pytest.fixture(autouse=True)
def _no_counted_failures():
    """Start and end each test without failed attempts counted (the cache outlives tests)."""
    cache.clear()
    yield
    cache.clear()


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def signed_in_as(client: Client):
    return client.session.get(SESSION_KEY)


@pytest.fixture
def two_factor_agent(agent):
    """Alex with two-factor sign-in on; returns (user, secret)."""
    secret = SECRET
    earlier = MOMENT - dt.timedelta(hours=1)
    with clock.pinned(earlier):
        assert totp_enable(user=agent, secret=secret, code=pyotp.TOTP(secret).at(earlier))
    return agent, secret


def code_at(secret: str, moment: dt.datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


# --- the sign-in page -----------------------------------------------------------------


def test_the_sign_in_page_has_labelled_inputs_with_autocomplete(db):
    page = Client().get(LOGIN).content.decode()
    assert '<label for="id_username">Username or email</label>' in page
    assert '<label for="id_password">Password</label>' in page
    assert 'autocomplete="username"' in page
    assert 'autocomplete="current-password"' in page
    assert 'class="topbar"' not in page  # the desk's menus only once signed in


def test_the_sign_in_page_answers_head_requests(db):
    # Uptime checks and link previews use HEAD; the page must not answer 405 to them.
    response = Client().head(LOGIN)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_desk_pages_name_an_icon_so_the_browser_asks_for_no_favicon(db):
    # Without one the browser fetches /favicon.ico, a 404 on the console of every first page.
    page = Client().get(LOGIN).content.decode()
    assert '<link rel="icon" href="data:,">' in page


def test_signing_in_lands_in_the_inbox(agent):
    client = Client()
    response = sign_in(client, "alex")
    assert response.status_code == 302
    assert response["Location"] == INBOX
    assert signed_in_as(client) == str(agent.pk)
    # No second factor to give: the session is marked as having passed that step.
    assert client.session[TOTP_SESSION_KEY] is True


def test_an_agent_can_sign_in_with_their_email_address_in_any_case(agent):
    client = Client()
    response = sign_in(client, "ALEX@staff.example.test")
    assert response["Location"] == INBOX
    assert signed_in_as(client) == str(agent.pk)


def test_a_wrong_password_shows_an_error_and_signs_nobody_in(agent):
    client = Client()
    response = sign_in(client, "alex", "not the password")
    assert response.status_code == 200
    assert "Wrong username or password." in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert signed_in_as(client) is None


def test_a_user_without_a_desk_role_cannot_sign_in(django_user_model):
    django_user_model.objects.create_user("carol", "carol@example.test", PASSWORD)
    client = Client()
    response = sign_in(client, "carol")
    assert response.status_code == 200
    assert "This account may not use the desk" in response.content.decode()
    assert signed_in_as(client) is None


def test_an_inactive_agent_cannot_sign_in(agent):
    agent.is_active = False
    agent.save()
    response = sign_in(Client(), "alex")
    assert response.status_code == 200
    assert "Wrong username or password." in response.content.decode()


def test_next_on_this_site_is_followed_after_signing_in(agent):
    response = sign_in(Client(), "alex", next="/desk/t/42/")
    assert response["Location"] == "/desk/t/42/"


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)"])
def test_next_to_another_host_is_ignored(agent, target):
    response = sign_in(Client(), "alex", next=target)
    assert response["Location"] == INBOX


def test_a_signed_out_visitor_is_sent_from_a_desk_page_to_sign_in(db):
    response = Client().get(reverse("desk:totp-setup"))
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fdesk%2Faccount%2Ftwo-factor%2F"


def test_the_sign_in_page_sends_a_signed_in_agent_on(agent_client):
    response = agent_client.get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == INBOX


# --- rate limiting --------------------------------------------------------------------


def test_the_sixth_attempt_is_refused_even_with_the_right_password(agent):
    client = Client()
    with clock.pinned(MOMENT):
        for _ in range(5):
            assert sign_in(client, "alex", "wrong").status_code == 200
        response = sign_in(client, "alex")
    assert response.status_code == 429
    assert "Too many attempts; try again in 15 minutes." in response.content.decode()
    assert int(response["Retry-After"]) == 15 * 60
    assert signed_in_as(client) is None


def test_a_locked_account_can_sign_in_again_after_fifteen_minutes(agent):
    client = Client()
    with clock.pinned(MOMENT):
        for _ in range(5):
            sign_in(client, "alex", "wrong")
    with clock.pinned(MOMENT + dt.timedelta(minutes=14)):
        refused = sign_in(client, "alex")
    assert refused.status_code == 429
    assert "try again in 1 minute." in refused.content.decode()
    with clock.pinned(MOMENT + dt.timedelta(minutes=15)):
        response = sign_in(client, "alex")
    assert response["Location"] == INBOX
    assert signed_in_as(client) == str(agent.pk)


def test_the_lockout_counts_the_username_in_any_case_and_by_email(agent):
    client = Client()
    with clock.pinned(MOMENT):
        for name in ("alex", "ALEX", "Alex", "alex@staff.example.test", "Alex@Staff.example.test"):
            sign_in(client, name, "wrong")
        assert sign_in(client, "alex").status_code == 429


def test_the_fifth_failure_says_that_attempts_are_now_refused(agent):
    client = Client()
    with clock.pinned(MOMENT):
        for _ in range(4):
            sign_in(client, "alex", "wrong")
        fifth = sign_in(client, "alex", "wrong").content.decode()
    assert "Wrong username or password. Too many attempts; try again in 15 minutes." in fifth


def test_signing_in_clears_the_count_of_failed_attempts(agent):
    client = Client()
    with clock.pinned(MOMENT):
        for _ in range(4):
            sign_in(client, "alex", "wrong")
        sign_in(client, "alex")
        client.post(reverse("desk:logout"))
        for _ in range(4):
            sign_in(client, "alex", "wrong")
        response = sign_in(client, "alex")
    assert response["Location"] == INBOX


def test_twenty_failures_from_one_address_lock_it_for_every_account(agent, billing_agent):
    client = Client(REMOTE_ADDR="203.0.113.9")
    with clock.pinned(MOMENT):
        for i in range(20):
            sign_in(client, f"nobody{i}", "wrong")
        refused = sign_in(client, "bea")
        elsewhere = sign_in(Client(REMOTE_ADDR="198.51.100.7"), "bea")
    assert refused.status_code == 429
    assert elsewhere["Location"] == INBOX


def test_a_lockout_is_logged_as_a_warning_without_the_password(agent, caplog):
    with clock.pinned(MOMENT), caplog.at_level(logging.WARNING, logger="postroom.desk.ratelimit"):
        for _ in range(5):
            sign_in(Client(), "alex", "hunter2-secret")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'alex'" in warnings[0].getMessage()
    assert "hunter2-secret" not in caplog.text


def test_failed_attempts_by_a_user_without_a_desk_role_are_counted(django_user_model):
    django_user_model.objects.create_user("carol", "carol@example.test", PASSWORD)
    client = Client()
    with clock.pinned(MOMENT):
        for _ in range(5):
            sign_in(client, "carol")
        assert sign_in(client, "carol").status_code == 429


# --- signing out ----------------------------------------------------------------------


def test_signing_out_needs_post(agent_client, agent):
    assert agent_client.get(reverse("desk:logout")).status_code == 405
    assert signed_in_as(agent_client) == str(agent.pk)
    response = agent_client.post(reverse("desk:logout"), follow=True)
    assert response.redirect_chain == [(LOGIN, 302)]
    assert "You are signed out." in response.content.decode()
    assert signed_in_as(agent_client) is None


# --- two-factor sign-in ---------------------------------------------------------------


def test_a_two_factor_users_password_alone_does_not_sign_in(two_factor_agent):
    client = Client()
    with clock.pinned(MOMENT):
        response = sign_in(client, "alex")
        assert response["Location"] == CODE
        assert signed_in_as(client) is None
        desk_page = client.get(reverse("desk:totp-setup"))
    assert desk_page["Location"].startswith(LOGIN)


def test_the_code_step_asks_for_a_one_time_code(two_factor_agent):
    client = Client()
    with clock.pinned(MOMENT):
        sign_in(client, "alex")
        page = client.get(CODE).content.decode()
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert '<label for="id_code">' in page


def test_the_right_code_signs_a_two_factor_user_in(two_factor_agent):
    user, secret = two_factor_agent
    client = Client()
    with clock.pinned(MOMENT):
        sign_in(client, "alex", next="/desk/t/7/")
        response = client.post(CODE, {"code": code_at(secret, MOMENT)})
    assert response["Location"] == "/desk/t/7/"
    assert signed_in_as(client) == str(user.pk)
    assert client.session[TOTP_SESSION_KEY] is True


def test_a_replayed_code_is_refused(two_factor_agent):
    _, secret = two_factor_agent
    code = code_at(secret, MOMENT)
    first, second = Client(), Client()
    with clock.pinned(MOMENT):
        sign_in(first, "alex")
        assert first.post(CODE, {"code": code})["Location"] == INBOX
        sign_in(second, "alex")
        replay = second.post(CODE, {"code": code})
    assert replay.status_code == 200
    assert "already used" in replay.content.decode()
    assert signed_in_as(second) is None


def test_five_wrong_codes_end_the_sign_in(two_factor_agent):
    _, secret = two_factor_agent
    client = Client()
    with clock.pinned(MOMENT):
        sign_in(client, "alex")
        for _ in range(4):
            assert client.post(CODE, {"code": WRONG_CODE}).status_code == 200
        fifth = client.post(CODE, {"code": WRONG_CODE}, follow=True)
        assert fifth.redirect_chain == [(LOGIN, 302)]
        assert "Too many wrong codes" in fifth.content.decode()
        # The half-done sign-in is gone: the right code no longer helps …
        late = client.post(CODE, {"code": code_at(secret, MOMENT)})
        assert late["Location"] == LOGIN
        assert signed_in_as(client) is None
        # … and the password step refuses until the window passes.
        assert sign_in(client, "alex").status_code == 429
    later = MOMENT + dt.timedelta(minutes=15)
    with clock.pinned(later):
        assert sign_in(client, "alex")["Location"] == CODE
        assert client.post(CODE, {"code": code_at(secret, later)})["Location"] == INBOX


def test_the_code_step_expires_after_five_minutes(two_factor_agent):
    _, secret = two_factor_agent
    client = Client()
    with clock.pinned(MOMENT):
        sign_in(client, "alex")
    later = MOMENT + dt.timedelta(minutes=5, seconds=1)
    with clock.pinned(later):
        response = client.post(CODE, {"code": code_at(secret, later)}, follow=True)
    assert response.redirect_chain == [(LOGIN, 302)]
    assert "took too long" in response.content.decode()
    assert signed_in_as(client) is None


def test_the_code_step_without_a_password_first_goes_back_to_sign_in(db):
    assert Client().get(CODE)["Location"] == LOGIN


def test_a_signed_in_session_without_the_code_is_asked_for_it(two_factor_agent):
    user, secret = two_factor_agent
    client = signed_in(user)  # e.g. two-factor was turned on from another session
    with clock.pinned(MOMENT):
        page = client.get(reverse("desk:totp-setup"))
        assert page["Location"] == f"{CODE}?next=%2Fdesk%2Faccount%2Ftwo-factor%2F"
        response = client.post(CODE, {"code": code_at(secret, MOMENT),
                                      "next": "/desk/account/two-factor/"})
    assert response["Location"] == "/desk/account/two-factor/"
    assert client.session[TOTP_SESSION_KEY] is True


def test_wrong_codes_end_a_signed_in_session_that_lacks_the_code(two_factor_agent):
    user, _ = two_factor_agent
    client = signed_in(user)
    with clock.pinned(MOMENT):
        for _ in range(5):
            response = client.post(CODE, {"code": WRONG_CODE})
    assert response["Location"] == LOGIN
    assert signed_in_as(client) is None


# --- two-factor setup -----------------------------------------------------------------


def test_setup_shows_a_qr_code_and_the_key(agent_client):
    page = agent_client.get(reverse("desk:totp-setup")).content.decode()
    secret = agent_client.session["postroom_totp_setup_secret"]
    assert "<svg" in page and 'class="totp-qr"' in page
    assert secret in page
    assert 'autocomplete="one-time-code"' in page


def test_setup_turns_two_factor_on_only_with_a_correct_code(agent_client, agent):
    agent_client.get(reverse("desk:totp-setup"))
    secret = agent_client.session["postroom_totp_setup_secret"]
    with clock.pinned(MOMENT):
        wrong = agent_client.post(reverse("desk:totp-setup"), {"action": "enable", "code": "123456"})
        assert "not right" in wrong.content.decode()
        assert not AgentProfile.objects.get(user=agent).totp_enabled
        # The same secret stays on the page while the agent retries.
        assert agent_client.session["postroom_totp_setup_secret"] == secret
        right = agent_client.post(reverse("desk:totp-setup"),
                                  {"action": "enable", "code": code_at(secret, MOMENT)}, follow=True)
    profile = AgentProfile.objects.get(user=agent)
    assert profile.totp_enabled and profile.totp_secret == secret
    assert "Two-factor sign-in is on" in right.content.decode()
    # This session gave the code, so the desk does not ask again.
    assert agent_client.session[TOTP_SESSION_KEY] is True


def test_turning_two_factor_off_needs_the_password_and_a_code(two_factor_agent):
    user, secret = two_factor_agent
    client = signed_in(user)
    session = client.session
    session[TOTP_SESSION_KEY] = True
    session.save()
    url = reverse("desk:totp-setup")
    with clock.pinned(MOMENT):
        no_password = client.post(url, {"action": "disable", "password": "wrong",
                                        "code": code_at(secret, MOMENT)})
        assert no_password.status_code == 200
        assert AgentProfile.objects.get(user=user).totp_enabled
    later = MOMENT + dt.timedelta(minutes=1)
    with clock.pinned(later):
        client.post(url, {"action": "disable", "password": PASSWORD, "code": code_at(secret, later)})
    profile = AgentProfile.objects.get(user=user)
    assert not profile.totp_enabled and profile.totp_secret == ""


def test_a_superuser_without_a_profile_can_set_up_two_factor(admin_user, client):
    client.force_login(admin_user)
    client.get(reverse("desk:totp-setup"))
    secret = client.session["postroom_totp_setup_secret"]
    with clock.pinned(MOMENT):
        client.post(reverse("desk:totp-setup"), {"action": "enable", "code": code_at(secret, MOMENT)})
    assert AgentProfile.objects.get(user=admin_user).totp_enabled


# --- the admin's user page ------------------------------------------------------------


def test_the_user_admin_shows_the_desk_role_and_resets_two_factor(admin_client, two_factor_agent):
    user, _ = two_factor_agent
    listing = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "Agent" in listing
    change = admin_client.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
    assert "Desk profile" in change or "desk profile" in change
    assert "queue membership" in change.lower()
    assert user.agent_profile.totp_secret not in change
    admin_client.post(reverse("admin:auth_user_changelist"),
                      {"action": "reset_two_factor", "_selected_action": [user.pk]})
    assert not AgentProfile.objects.get(user=user).totp_enabled


# --- `postroom agent` -----------------------------------------------------------------


def test_the_agent_command_creates_a_user_with_role_and_queues(queues, django_user_model):
    out = io.StringIO()
    call_command("agent", "add", "mia", "--role", "supervisor", "--queue", "support",
                 "--queue", "billing", "--email", "mia@staff.example.test", "--name", "Mia Chen",
                 "--password-stdin", stdin=io.StringIO(PASSWORD + "\n"), stdout=out)
    mia = django_user_model.objects.get(username="mia")
    assert mia.agent_profile.role == Role.SUPERVISOR
    assert set(mia.queues.values_list("slug", flat=True)) == {"support", "billing"}
    assert (mia.first_name, mia.last_name, mia.email) == ("Mia", "Chen", "mia@staff.example.test")
    assert mia.check_password(PASSWORD)
    assert not mia.is_staff and not mia.is_superuser
    assert "Created mia (supervisor; support, billing)" in out.getvalue()
    assert sign_in(Client(), "mia")["Location"] == INBOX


def test_the_agent_command_makes_admins_staff_but_not_superusers(db, django_user_model):
    call_command("agent", "add", "ada", "--role", "admin", "--password-stdin",
                 stdin=io.StringIO(PASSWORD), stdout=io.StringIO())
    ada = django_user_model.objects.get(username="ada")
    assert ada.is_staff and not ada.is_superuser
    assert ada.has_perm("tickets.change_ticket")
    assert not ada.has_perm("auth.change_user")
    call_command("agent", "role", "ada", "agent", stdout=io.StringIO())
    ada = django_user_model.objects.get(username="ada")
    assert ada.agent_profile.role == Role.AGENT
    assert not ada.is_staff
    assert not ada.groups.filter(pk__in=Group.objects.filter(name="Desk admins")).exists()


def test_the_agent_command_refuses_unknown_queues_and_weak_passwords(queues):
    with pytest.raises(CommandError, match="No queue with slug sales"):
        call_command("agent", "add", "mia", "--queue", "sales", "--password-stdin",
                     stdin=io.StringIO(PASSWORD))
    with pytest.raises(CommandError, match="Password refused"):
        call_command("agent", "add", "mia", "--password-stdin", stdin=io.StringIO("1234"))
    with pytest.raises(CommandError, match="--password-stdin"):
        call_command("agent", "add", "mia", stdin=io.StringIO(""))


def test_the_agent_command_lists_desk_users_and_resets_two_factor(two_factor_agent, supervisor):
    out = io.StringIO()
    call_command("agent", "list", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["USERNAME", "ROLE", "EMAIL", "QUEUES", "2FA"]
    assert ["alex", "agent", "alex@staff.example.test", "support", "on"] == lines[1].split()
    assert lines[2].split()[:2] == ["sam", "supervisor"]
    call_command("agent", "reset-2fa", "alex", stdout=io.StringIO())
    assert not AgentProfile.objects.get(user=two_factor_agent[0]).totp_enabled
