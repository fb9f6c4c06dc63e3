from django.urls import path

from warmgrid.attachments import views

app_name = "attachments"
urlpatterns = [
    path("<int:attachment_id>/", views.photo_download, name="download"),
    path("<int:attachment_id>/view/", views.photo_view, name="view"),
]
