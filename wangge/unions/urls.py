from django.urls import path

from wangge.unions import views

app_name = "unions"
urlpatterns = [
    # Public, what a QR code opens: the join page, the member card, the card check.
    path("u/card/<str:token>/", views.card_page, name="card"),
    path("u/v/<str:token>/", views.verify_page, name="verify"),
    path("u/<slug:code>/", views.join_page, name="join"),
    # The staff console.
    path("unions/", views.console_page, name="console"),
    path("unions/<slug:code>/", views.members_page, name="members"),
    path("unions/<slug:code>/export.xlsx", views.member_export, name="export"),
    path("unions/<slug:code>/poster/", views.poster_page, name="poster"),
    path("unions/<slug:code>/members/<int:member_id>/<str:verb>/", views.member_review, name="review"),
]
