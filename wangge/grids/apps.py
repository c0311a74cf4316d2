from django.apps import AppConfig


class GridsConfig(AppConfig):
    name = "wangge.grids"
    label = "grids"
    verbose_name = "Grids"
