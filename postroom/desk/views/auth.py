"""Desk views: sign-in, the two-factor code step and its setup, sign-out (issue #4).

Sign-in is Django's auth (`authenticate` / `login`) with two additions: failed attempts
are rate limited (`postroom.desk.ratelimit`), and an agent with two-factor sign-in on is
only logged in once their code is right. Until then the session holds a short-lived
"pending" entry, never an authenticated user.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from postroom.accounts.roles import user_role
from postroom.accounts.totp import (
    totp_disable,
    totp_enable,
    totp_provisioning_svg,
    totp_secret_new,
    totp_verify,
)
from postroom.core import clock
from postroom.desk.access import TOTP_SESSION_KEY, desk_view, totp_required
from postroom.desk.ratelimit import (
    Lockout,
    signin_failure_record,
    signin_failures_clear,
    signin_lockout,
)

# Password checked, code not yet: {"user", "backend", "hash", "at", "next"}.
PENDING_SESSION_KEY = "postroom_signin_pending"
PENDING_FOR = dt.timedelta(minutes=5)
# The secret being set up, kept server-side until a code confirms it.
SETUP_SESSION_KEY = "postroom_totp_setup_secret"

SIGNIN_REFUSED = "Wrong username or password."
NO_DESK_ROLE = "This account may not use the desk. Ask an admin to give it a desk role."
WRONG_CODE = "That code is not right, or it was already used. Enter the code your app shows now."


class SignInForm(forms.Form):
    username = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _code_widget(**extra: Any) -> forms.TextInput:
    return forms.TextInput(attrs={
        "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"[0-9 ]*",
        "maxlength": "8", "size": "8", **extra,
    })


class CodeForm(forms.Form):
    code = forms.CharField(label="Code from your authenticator app", max_length=8,
                           widget=_code_widget())


class SignInCodeForm(CodeForm):
    code = forms.CharField(label="Code from your authenticator app", max_length=8,
                           widget=_code_widget(autofocus=True))


class TwoFactorOffForm(forms.Form):
    password = forms.CharField(
        label="Current password", strip=False, max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(label="Code from your authenticator app", max_length=8,
                           widget=_code_widget())


# --- sign-in ------------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
# HEAD too: uptime checks and link previews ask the sign-in page with HEAD (a 405 otherwise).
@require_http_methods(["GET", "HEAD", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    """Sign a desk user in with username (or email) and password; hand over to the code step."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method in ("GET", "HEAD"):
        if user_role(request.user) is not None:
            if totp_required(request.user) and not request.session.get(TOTP_SESSION_KEY):
                return _redirect_with_next("desk:totp-verify", next_url)
            return HttpResponseRedirect(next_url)
        return _login_form(request, SignInForm(), next_url)

    form = SignInForm(request.POST)
    if not form.is_valid():
        return _login_form(request, form, next_url)
    address = _client_address(request)
    account = _username_for(form.cleaned_data["username"])
    lockout = signin_lockout(scope="login", account=account, address=address)
    if lockout is not None:
        return _login_form(request, form, next_url, lockout=lockout)

    user = authenticate(request, username=account, password=form.cleaned_data["password"])
    if user is None or user_role(user) is None:
        # A right password without a desk role counts too: otherwise that message would
        # let anyone test passwords of non-desk accounts without limit.
        error = SIGNIN_REFUSED if user is None else NO_DESK_ROLE
        started = signin_failure_record(scope="login", account=account, address=address)
        if started is not None:
            error = f"{error} {started.message()}"
        return _login_form(request, form, next_url, error=error)

    if totp_required(user):
        lockout = signin_lockout(scope="totp", account=account, address=address)
        if lockout is not None:
            return _login_form(request, form, next_url, lockout=lockout)
        # A new session key for the half-signed-in state: no fixation across the step.
        request.session.cycle_key()
        request.session[PENDING_SESSION_KEY] = {
            "user": str(user.pk),
            "backend": user.backend,  # type: ignore[attr-defined]  # set by authenticate()
            "hash": user.get_session_auth_hash(),
            "at": clock.now().timestamp(),
            "next": next_url,
        }
        return redirect("desk:totp-verify")

    login(request, user)
    # No second factor to give: mark the step done so `desk_view` never asks.
    request.session[TOTP_SESSION_KEY] = True
    signin_failures_clear(scope="login", account=account)
    return HttpResponseRedirect(next_url)


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def totp_verify_page(request: HttpRequest) -> HttpResponse:
    """Ask for the authenticator code: after the password, or for a session that lacks it."""
    address = _client_address(request)
    if request.user.is_authenticated:
        # Signed in already (two-factor turned on in another session, say): the session
        # still has to give a code before `desk_view` lets it in.
        user: Any = request.user
        next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
        if not totp_required(user) or request.session.get(TOTP_SESSION_KEY):
            request.session[TOTP_SESSION_KEY] = True
            return HttpResponseRedirect(next_url)
    else:
        pending = _pending(request)
        if pending is None:
            return redirect("desk:login")
        user, next_url = pending

    account = user.get_username()
    lockout = signin_lockout(scope="totp", account=account, address=address)
    if lockout is not None:
        return _end_signin(request, lockout)

    form = SignInCodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if totp_verify(user=user, code=form.cleaned_data["code"]):
            if not request.user.is_authenticated:
                login(request, user, backend=request.session[PENDING_SESSION_KEY]["backend"])
            request.session.pop(PENDING_SESSION_KEY, None)
            request.session[TOTP_SESSION_KEY] = True
            signin_failures_clear(scope="totp", account=account)
            signin_failures_clear(scope="login", account=account)
            return HttpResponseRedirect(next_url)
        lockout = signin_failure_record(scope="totp", account=account, address=address)
        if lockout is not None:
            return _end_signin(request, lockout)
        error = WRONG_CODE
    elif request.method == "POST":
        error = WRONG_CODE
    return render(request, "desk/auth/totp_verify.html",
                  {"form": form, "error": error, "next": next_url})


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    """Sign out (POST only, so a link or an image cannot sign anyone out)."""
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("desk:login")


# --- two-factor setup -----------------------------------------------------------------


@sensitive_post_parameters("password", "code")
@never_cache
@desk_view
@require_http_methods(["GET", "POST"])
def totp_setup_page(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on (QR code + confirming code) or off (password + code)."""
    user: Any = request.user
    enabled = totp_required(user)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "enable" and not enabled:
            return _setup_enable(request, user)
        if action == "disable" and enabled:
            return _setup_disable(request, user)
        return redirect("desk:totp-setup")  # a stale form from another tab
    if enabled:
        return _setup_page(request, user, off_form=TwoFactorOffForm())
    return _setup_page(request, user, code_form=CodeForm())


def _setup_enable(request: HttpRequest, user: Any) -> HttpResponse:
    secret = request.session.get(SETUP_SESSION_KEY)
    form = CodeForm(request.POST)
    if not secret:
        return redirect("desk:totp-setup")
    if form.is_valid() and totp_enable(user=user, secret=secret, code=form.cleaned_data["code"]):
        del request.session[SETUP_SESSION_KEY]
        # The code just given is this session's second factor.
        request.session[TOTP_SESSION_KEY] = True
        messages.success(request, "Two-factor sign-in is on. You will be asked for a code "
                                  "each time you sign in.")
        return redirect("desk:totp-setup")
    return _setup_page(request, user, code_form=form, error=WRONG_CODE)


def _setup_disable(request: HttpRequest, user: Any) -> HttpResponse:
    account, address = user.get_username(), _client_address(request)
    form = TwoFactorOffForm(request.POST)
    lockout = signin_lockout(scope="totp", account=account, address=address)
    if lockout is not None:
        return _setup_page(request, user, off_form=form, error=lockout.message(), lockout=lockout)
    if (form.is_valid() and user.check_password(form.cleaned_data["password"])
            and totp_verify(user=user, code=form.cleaned_data["code"])):
        totp_disable(user=user)
        signin_failures_clear(scope="totp", account=account)
        messages.success(request, "Two-factor sign-in is off.")
        return redirect("desk:totp-setup")
    error = "The password or the code is not right."
    lockout = signin_failure_record(scope="totp", account=account, address=address)
    if lockout is not None:
        error = f"{error} {lockout.message()}"
    return _setup_page(request, user, off_form=form, error=error)


def _setup_page(request: HttpRequest, user: Any, *, code_form: CodeForm | None = None,
                off_form: TwoFactorOffForm | None = None, error: str = "",
                lockout: Lockout | None = None) -> HttpResponse:
    context: dict[str, Any] = {"enabled": off_form is not None, "code_form": code_form,
                               "off_form": off_form, "error": error}
    if code_form is not None:
        secret = request.session.get(SETUP_SESSION_KEY)
        if not secret:
            secret = request.session[SETUP_SESSION_KEY] = totp_secret_new()
        context["secret"] = secret
        # segno writes the markup from the URI alone; see totp_provisioning_svg.
        context["qr_svg"] = mark_safe(totp_provisioning_svg(user=user, secret=secret))  # noqa: S308
    response = render(request, "desk/auth/totp_setup.html", context)
    return _too_many(response, lockout)


# --- helpers --------------------------------------------------------------------------


def _login_form(request: HttpRequest, form: SignInForm, next_url: str, *, error: str = "",
                lockout: Lockout | None = None) -> HttpResponse:
    if lockout is not None:
        error = lockout.message()
    default = reverse("desk:inbox")
    response = render(request, "desk/auth/login.html", {
        "form": form, "error": error, "next": next_url if next_url != default else "",
    })
    return _too_many(response, lockout)


def _too_many(response: HttpResponse, lockout: Lockout | None) -> HttpResponse:
    """Turn *response* into a 429 with Retry-After while *lockout* lasts."""
    if lockout is not None:
        response.status_code = 429
        response["Retry-After"] = str(lockout.seconds_left())
    return response


def _end_signin(request: HttpRequest, lockout: Lockout) -> HttpResponse:
    """End the half-done (or code-less) session after too many wrong codes; back to sign-in."""
    if request.user.is_authenticated:
        logout(request)
    else:
        request.session.pop(PENDING_SESSION_KEY, None)
    messages.error(request, f"Too many wrong codes; sign in again later. {lockout.message()}")
    return redirect("desk:login")


def _pending(request: HttpRequest) -> tuple[Any, str] | None:
    """Return the user whose password was checked in this session and where they go next.

    None, with a message when one is due, if there is none or it expired
    (`PENDING_FOR`), or the account changed since (password, deactivated).
    """
    entry = request.session.get(PENDING_SESSION_KEY)
    if not entry:
        return None
    User = get_user_model()
    user = User._default_manager.filter(pk=entry["user"], is_active=True).first()
    age = clock.now().timestamp() - float(entry["at"])
    if (user is None or not 0 <= age <= PENDING_FOR.total_seconds()
            or user.get_session_auth_hash() != entry["hash"] or user_role(user) is None):
        del request.session[PENDING_SESSION_KEY]
        messages.error(request, "Your sign-in took too long or is no longer valid. Please sign in again.")
        return None
    return user, str(entry["next"])


def _username_for(identifier: str) -> str:
    """Return the username *identifier* names: a username (in any case) or an email address.

    Falls back to *identifier* itself, so unknown names are checked (and counted) as typed.
    """
    User = get_user_model()
    field = User.USERNAME_FIELD
    rows = list(
        User._default_manager.filter(Q(**{f"{field}__iexact": identifier}) | Q(email__iexact=identifier))
        .values_list(field, "email")[:10]
    )
    usernames = [name for name, _ in rows]
    if identifier in usernames:
        return identifier
    same_name = [name for name in usernames if name.casefold() == identifier.casefold()]
    if len(same_name) == 1:
        return same_name[0]
    by_email = [name for name, email in rows if email.casefold() == identifier.casefold()]
    if "@" in identifier and len(by_email) == 1:
        return by_email[0]
    return identifier


def _client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites
    # it, and then the proxy should set REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "")


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Return *candidate* if it stays on this site, the inbox otherwise."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("desk:inbox")


def _redirect_with_next(name: str, next_url: str) -> HttpResponse:
    return HttpResponseRedirect(reverse(name) + "?" + urlencode({"next": next_url}))


urlpatterns: list[URLPattern] = [
    path("login/", login_page, name="login"),
    path("login/code/", totp_verify_page, name="totp-verify"),
    path("logout/", logout_page, name="logout"),
    path("account/two-factor/", totp_setup_page, name="totp-setup"),
]
