from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "postroom.desk"
    label = "desk"
    verbose_name = "Agent desk"
