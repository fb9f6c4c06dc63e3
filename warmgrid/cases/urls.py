from django.contrib.auth.decorators import login_required
from django.urls import path
from django.views.generic import RedirectView

from warmgrid.cases import views

app_name = "cases"
urlpatterns = [
    path("report/", views.case_report, name="report"),
    path("mine/", views.my_reports, name="mine"),
    path("tasks/", views.task_list, name="tasks"),
    path("triage/", views.triage_queue, name="triage"),
    path("queue/", views.unit_queue, name="queue"),
    path("duty/", views.duty_roster, name="duty"),
    # The board moved to /supervision/; old bookmarks still find it.
    path("board/", login_required(RedirectView.as_view(pattern_name="supervision:board"))),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/act/", views.case_act, name="act"),
]
