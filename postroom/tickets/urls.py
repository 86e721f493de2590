"""Desk URLs; mounted in config/urls.py before the admin's catch-all."""

from django.urls import path

from postroom.tickets import views

app_name = "tickets"

urlpatterns = [
    path(
        "attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment-download",
    ),
]
