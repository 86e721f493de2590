from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "postroom.surveys"
    label = "surveys"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Satisfaction surveys"
