from django.urls import path

from wangge.outreach import views

app_name = "outreach"
urlpatterns = [
    # Riders (public, phone-sized)
    path("services/", views.catalogue_page, name="catalogue"),
    path("services/events/<int:event_id>/", views.event_page, name="event"),
    path("survey/<str:code>/", views.survey_page, name="survey"),
    path("survey/<str:code>/thanks/", views.survey_thanks, name="survey_thanks"),
    path("convention/", views.convention_page, name="convention"),
    # Staff
    path("outreach/", views.staff_home, name="staff"),
    path("outreach/services/new/", views.service_edit, name="service_new"),
    path("outreach/services/<int:service_id>/", views.service_edit, name="service_edit"),
    path("outreach/services/<int:service_id>/events/new/", views.event_new, name="event_new"),
    path("outreach/events/<int:event_id>/", views.staff_event, name="staff_event"),
    path("outreach/events/<int:event_id>/signups.csv", views.event_signups_csv, name="signups_csv"),
    path("outreach/signups/<int:signup_id>/cancel/", views.signup_cancel, name="signup_cancel"),
    path("outreach/surveys/new/", views.survey_edit, name="survey_new"),
    path("outreach/surveys/<int:survey_id>/", views.survey_edit, name="survey_edit"),
    path("outreach/surveys/<int:survey_id>/results/", views.survey_results, name="survey_results"),
    path("outreach/surveys/<int:survey_id>/<str:verb>/", views.survey_act, name="survey_act"),
    path("outreach/convention/", views.convention_edit, name="convention_edit"),
    path("outreach/riders/", views.riders_page, name="riders"),
    path("outreach/riders/<int:rider_id>/active/", views.rider_active, name="rider_active"),
]
