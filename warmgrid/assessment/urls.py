from django.urls import path

from warmgrid.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.assessment_index, name="index"),
    path("export.csv", views.assessment_csv, name="csv"),
    path("worker/<int:worker_id>/", views.worker_breakdown, name="worker"),
    path("exclusions/", views.exclusion_queue, name="exclusions"),
    path("exclusions/request/<int:case_id>/", views.exclusion_request, name="request"),
    path("exclusions/<int:case_id>/review/", views.exclusion_review, name="review"),
    path("exclusions/<int:case_id>/withdraw/", views.exclusion_withdraw, name="withdraw"),
]
