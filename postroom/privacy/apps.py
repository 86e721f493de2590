from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "postroom.privacy"
    verbose_name = "Privacy"
