from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "wangge.routing"
    label = "routing"
    verbose_name = "Routing"

    def ready(self) -> None:
        from wangge.core.signals import territory_changed
        from wangge.routing.services import on_territory_changed

        territory_changed.connect(on_territory_changed, dispatch_uid="routing-index-invalidate")
