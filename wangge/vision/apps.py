from django.apps import AppConfig


class VisionConfig(AppConfig):
    name = "wangge.vision"
    label = "vision"
    verbose_name = "Vision"
