"""The public questionnaire: short links for QR codes, the invitation code is the key."""

from django.urls import path

from warmgrid.warmth import views

app_name = "survey"
urlpatterns = [
    path("", views.survey_start, name="start"),
    path("<str:code>/", views.survey, name="form"),
]
