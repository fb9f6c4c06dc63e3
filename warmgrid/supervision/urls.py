from django.urls import path

from warmgrid.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.board, name="board"),
    path("trends/", views.trends, name="trends"),
    path("recurring/", views.recurring, name="recurring"),
    path("recurring/cases/", views.problem_cases, name="problem_cases"),
    path("alerts/<int:alert_id>/acknowledge/", views.acknowledge_alert,
         name="acknowledge_alert"),
]
