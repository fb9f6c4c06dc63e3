"""OpenRosa endpoints for ODK Collect, KoboCollect and Enketo (server URL: /openrosa)."""

from django.urls import path

from warmgrid.warmth import views

app_name = "openrosa"
urlpatterns = [
    path("formList", views.openrosa_form_list, name="form_list"),
    path("forms/<int:wave_id>.xml", views.openrosa_form, name="form"),
    path("submission", views.openrosa_submission, name="submission"),
]
