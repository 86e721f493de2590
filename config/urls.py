from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Postroom"
admin.site.site_title = "Postroom"
admin.site.index_title = "Help desk"

urlpatterns = [
    path("desk/sla/", include("postroom.sla.urls")),
    path("desk/", include("postroom.tickets.urls")),
    path("s/", include("postroom.surveys.urls")),
    path("", admin.site.urls),
]
