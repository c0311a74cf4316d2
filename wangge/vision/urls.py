from django.urls import path

from wangge.vision import views

app_name = "vision"
urlpatterns = [
    path("vision/", views.wall_page, name="wall"),
    path("vision/cameras/", views.camera_list_page, name="cameras"),
    path("vision/cameras/<int:camera_id>/", views.camera_page, name="camera"),
    path("vision/cameras/<int:camera_id>/frame.jpg", views.camera_frame, name="frame"),
    path("vision/alerts/", views.alert_list_page, name="alerts"),
    path("vision/alerts/<int:alert_id>/", views.alert_page, name="alert"),
    path("vision/alerts/<int:alert_id>/evidence.jpg", views.alert_evidence, name="evidence"),
    path("vision/alerts/<int:alert_id>/<str:verb>/", views.alert_review, name="review"),
]
