from django.urls import path

from wangge.intake import hotline_views as views

app_name = "hotline"
urlpatterns = [
    path("", views.index, name="index"),
    path("template.<str:fmt>", views.template, name="template"),
    path("<int:batch_id>/", views.detail, name="detail"),
    path("<int:batch_id>/progress/", views.progress, name="progress"),
    path("<int:batch_id>/commit/", views.commit, name="commit"),
    path("<int:batch_id>/discard/", views.discard, name="discard"),
    path("<int:batch_id>/results.<str:fmt>", views.results, name="results"),
]
