from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "postroom.routing"
    label = "routing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from postroom.routing import signals

        signals.connect()
