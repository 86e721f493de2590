"""The desk's door: every desk view is signed-in, role-checked and queue-scoped (issue #4).

Views use `desk_view` (sign-in, desk role, two-factor step done) and fetch tickets only
through `ticket_for` / `tickets_visible_to`, so a ticket of a queue the agent does not
belong to answers 404 everywhere: pages, htmx fragments, downloads.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse

from postroom.accounts.models import AgentProfile
from postroom.accounts.roles import is_supervisor, user_role
from postroom.desk.htmx import page_redirect
from postroom.tickets.models import Ticket
from postroom.tickets.queries import tickets_visible_to

# Set in the session once the second factor was given (or the user has none).
TOTP_SESSION_KEY = "postroom_totp_ok"

View = Callable[..., HttpResponseBase]


def totp_required(user: Any) -> bool:
    """Return whether *user* has two-factor sign-in switched on."""
    try:
        return bool(user.agent_profile.totp_enabled)
    except AgentProfile.DoesNotExist:
        return False


def _to_login(request: HttpRequest, name: str) -> HttpResponse:
    return page_redirect(request, reverse(name) + "?" + urlencode({"next": request.get_full_path()}),
                         htmx_status=204)


def desk_view(view: View | None = None, *, supervisor: bool = False) -> Any:
    """Wrap a desk view: signed in, allowed on the desk, second factor given.

    `supervisor=True` also requires the supervisor or admin role (403 otherwise).
    """

    def decorate(func: View) -> View:
        @wraps(func)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return _to_login(request, "desk:login")
            if totp_required(user) and not request.session.get(TOTP_SESSION_KEY):
                return _to_login(request, "desk:totp-verify")
            if user_role(user) is None:
                raise PermissionDenied("This account may not use the desk.")
            if supervisor and not is_supervisor(user):
                raise PermissionDenied("Supervisors only.")
            return func(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate


def ticket_for(request: HttpRequest, ticket_id: int, *, select: tuple[str, ...] = ()) -> Ticket:
    """Return ticket *ticket_id* if the signed-in agent may see it; 404 otherwise."""
    qs = tickets_visible_to(request.user)
    if select:
        qs = qs.select_related(*select)
    ticket = qs.filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket
