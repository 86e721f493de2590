"""Customer survey pages; mounted at /s/ in config/urls.py (short links in mail)."""

from django.urls import path

from postroom.surveys import views

app_name = "surveys"

urlpatterns = [
    path("<str:token>/", views.survey_page, name="page"),
    path("<str:token>/done/", views.survey_done, name="done"),
    path("<str:token>/comment/", views.survey_comment_add, name="comment"),
    path("<str:token>/reopen/", views.survey_reopen_request, name="reopen"),
]
