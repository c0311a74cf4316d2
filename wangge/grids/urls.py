from django.urls import path

from wangge.grids import views

app_name = "grids"
urlpatterns = [
    path("", views.map_page, name="map"),
    path("grids/<str:code>/card/", views.grid_card, name="card"),
    path("merge/", views.merge_report_page, name="merge_report"),
    path("imports/", views.import_upload, name="import_upload"),
    path("imports/<int:batch_id>/", views.import_preview_page, name="import_preview"),
    path("imports/<int:batch_id>/commit/", views.import_commit, name="import_commit"),
    path("imports/<int:batch_id>/discard/", views.import_discard, name="import_discard"),
]
