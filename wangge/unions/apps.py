from django.apps import AppConfig


class UnionsConfig(AppConfig):
    name = "wangge.unions"
    label = "unions"
    verbose_name = "Unions"
