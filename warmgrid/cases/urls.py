from django.urls import path

from warmgrid.cases import views

app_name = "cases"
urlpatterns = [
    path("report/", views.case_report, name="report"),
    path("mine/", views.my_reports, name="mine"),
    path("tasks/", views.task_list, name="tasks"),
    path("triage/", views.triage_queue, name="triage"),
    path("board/", views.board, name="board"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/act/", views.case_act, name="act"),
]
