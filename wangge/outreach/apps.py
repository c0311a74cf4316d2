from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "wangge.outreach"
    label = "outreach"
    verbose_name = "Outreach"
