from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Postroom"
admin.site.site_title = "Postroom"
admin.site.index_title = "Settings"
admin.site.site_url = "/desk/"

urlpatterns = [
    path("desk/sla/", include("postroom.sla.urls")),
    path("desk/", include("postroom.desk.urls")),
    path("desk/", include("postroom.tickets.urls")),
    path("s/", include("postroom.surveys.urls")),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/desk/", permanent=False)),
]
