"""Open311 GeoReport v2 at /open311/v2/: every resource takes a .json or .xml suffix."""

from django.urls import path, re_path

from wangge.intake import open311 as views

app_name = "open311"

FMT = r"\.(?P<fmt>\w+)$"
urlpatterns = [
    path("", views.root, name="root"),
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(r"^services/(?P<service_code>[^/]+?)" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests_, name="requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+?)" + FMT, views.request_detail, name="request"),
    re_path(r"^media/(?P<service_request_id>[^/]+)/(?P<photo_id>[0-9]{1,12})$", views.media, name="media"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, views.token, name="token"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
