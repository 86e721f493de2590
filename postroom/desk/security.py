"""A Content-Security-Policy for every page Postroom serves (issue #4: secure by default).

Mail is shown escaped and its HTML only inside sandboxed frames, so no script from mail
should ever reach a page; this policy is the second wall should one slip through: only
our own static scripts run (no inline script, no eval), nothing loads from elsewhere.
Views that set their own policy (the message frame, downloads) keep it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # The desk's and the admin's templates carry small <style> blocks and style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])


class ContentSecurityPolicyMiddleware:
    """Add POLICY to HTML responses that do not carry a policy of their own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and response.get("Content-Type", "").startswith("text/html"):
            response["Content-Security-Policy"] = POLICY
        return response
