from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Postroom"
admin.site.site_title = "Postroom"
admin.site.index_title = "Help desk"

urlpatterns = [
    path("desk/", include("postroom.tickets.urls")),
    path("", admin.site.urls),
]
