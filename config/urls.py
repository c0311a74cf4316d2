from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.api import api
from wangge.core import views as core_views

urlpatterns = [
    path("", include("wangge.grids.urls")),
    path("", include("wangge.cases.urls")),
    path("", include("wangge.intake.urls")),
    path("", include("wangge.stations.urls")),
    path("", include("wangge.unions.urls")),
    path("", include("wangge.outreach.urls")),
    path("", include("wangge.vision.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.healthz, name="healthz"),
    path("livez", core_views.livez, name="livez"),
    path("start/", core_views.start, name="start"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("hotline/", include("wangge.intake.hotline_urls")),
    path("open311/v2/", include("wangge.intake.open311_urls")),
]
