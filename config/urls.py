from django.contrib import admin
from django.urls import path

admin.site.site_header = "Postroom"
admin.site.site_title = "Postroom"
admin.site.index_title = "Help desk"

urlpatterns = [
    path("", admin.site.urls),
]
