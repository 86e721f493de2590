from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "postroom.sla"
    label = "sla"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Service levels"

    def ready(self) -> None:
        from postroom.sla.signals import connect

        connect()
