from django.urls import path

from warmgrid.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("settings/", views.preferences, name="preferences"),
    path("<int:notice_id>/read/", views.mark_read, name="read"),
    path("<int:notice_id>/open/", views.open_notice, name="open"),
]
