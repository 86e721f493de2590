from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "postroom.mail"
    label = "mail"
    verbose_name = "Mail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from postroom.mail import signals

        signals.connect()
