"""What the desk's views need to know about htmx requests (issue #4)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect


def is_htmx(request: HttpRequest) -> bool:
    """Return whether *request* was made by htmx (a fragment is wanted, not a page)."""
    return request.headers.get("HX-Request") == "true"


def page_redirect(request: HttpRequest, url: str, *, htmx_status: int = 200) -> HttpResponse:
    """Send the browser to *url*: a whole-page load for htmx (which would otherwise follow
    a redirect inside the fragment it swaps), a plain redirect otherwise."""
    if is_htmx(request):
        response = HttpResponse(status=htmx_status)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)
