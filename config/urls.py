from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView

from postroom.desk.access import TOTP_SESSION_KEY, totp_required

admin.site.site_header = "Postroom"
admin.site.site_title = "Postroom"
admin.site.index_title = "Settings"
admin.site.site_url = "/desk/"

_admin_has_permission = admin.site.has_permission


def _admin_permission(request: HttpRequest) -> bool:
    """Let staff into the settings pages only after the desk's sign-in, second factor included."""
    user = request.user
    if totp_required(user) and not request.session.get(TOTP_SESSION_KEY):
        return False
    return _admin_has_permission(request)


admin.site.has_permission = _admin_permission  # type: ignore[method-assign]

urlpatterns = [
    path("desk/sla/", include("postroom.sla.urls")),
    path("desk/", include("postroom.desk.urls")),
    path("desk/", include("postroom.tickets.urls")),
    path("s/", include("postroom.surveys.urls")),
    # One sign-in page for everyone: the desk's, with its rate limit and two-factor step.
    path("admin/login/", RedirectView.as_view(pattern_name="desk:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/desk/", permanent=False)),
    # Browsers ask for it on every first visit (the admin's pages name no icon).
    path("favicon.ico", lambda request: HttpResponse(status=204, headers={"Cache-Control": "max-age=86400"})),
]
