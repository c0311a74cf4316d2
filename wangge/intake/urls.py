from django.urls import path

from wangge.intake import views

app_name = "intake"
urlpatterns = [
    path("report/", views.report_page, name="report"),
    path("report/nearby/", views.nearby_partial, name="nearby"),
    path("r/", views.track_page, name="track"),
    path("r/<str:code>/", views.follow_page, name="follow"),
    path("r/<str:code>/photos/<int:photo_id>", views.follow_photo, name="follow_photo"),
    path("triage/", views.triage_page, name="triage"),
    path("triage/<int:report_id>/<str:verb>/", views.triage_act, name="triage_act"),
]
