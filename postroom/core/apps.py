from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "postroom.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"
