from django.urls import path

from wangge.stations import views

app_name = "stations"
urlpatterns = [
    path("rider/", views.rider_home, name="rider_home"),
    path("stations/", views.finder_page, name="finder"),
    path("stations/host/", views.host_console, name="host_console"),
    path("stations/host/new/", views.station_new, name="station_new"),
    path("stations/host/<int:station_id>/", views.host_station, name="host_station"),
    path("stations/host/<int:station_id>/<str:verb>/", views.host_action, name="host_action"),
    path("stations/pledges/", views.pledge_map, name="pledges"),
    path("stations/pledges/new/", views.pledge_new, name="pledge_new"),
    path("stations/pledges/sign/", views.pledge_sign_page, name="pledge_sign"),
    path("stations/pledges/signed/<str:token>/", views.pledge_signed, name="pledge_signed"),
    path("stations/pledges/<int:pledge_id>/follow-up/", views.pledge_follow_up, name="pledge_follow_up"),
    path("stations/<int:station_id>/", views.station_page, name="detail"),
    path("stations/<int:station_id>/feedback/", views.station_feedback, name="feedback"),
    path("stations/<int:station_id>/checkin/", views.station_checkin, name="checkin"),
    path("stations/<int:station_id>/poster/", views.station_poster, name="poster"),
]
