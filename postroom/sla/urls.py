"""The supervisor page's URL; mounted at desk/sla/ in config/urls.py, before the desk."""

from django.urls import path

from postroom.sla import views

app_name = "sla"

urlpatterns = [
    path("", views.supervisor_page, name="supervisor"),
]
