from django.apps import AppConfig


class RepliesConfig(AppConfig):
    name = "postroom.replies"
    label = "replies"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Reply templates"
