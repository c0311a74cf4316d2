from django.urls import path

from wangge.cases import views

app_name = "cases"
urlpatterns = [
    path("cases/", views.queue_page, name="queue"),
    path("cases/new/", views.report_page, name="report"),
    path("cases/<str:code>/", views.case_page, name="case"),
    path("cases/<str:code>/act/<str:verb>/", views.case_act, name="act"),
    path("notifications/", views.notifications_page, name="notifications"),
    path("notifications/count/", views.notification_count, name="notification_count"),
]
