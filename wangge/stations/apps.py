from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "wangge.stations"
    label = "stations"
    verbose_name = "Stations"
