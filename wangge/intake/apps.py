from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "wangge.intake"
    label = "intake"
    verbose_name = "Intake"
