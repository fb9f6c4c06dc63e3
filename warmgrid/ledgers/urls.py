from django.urls import path

from warmgrid.ledgers import views

app_name = "ledgers"
urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("imports/<int:import_id>/", views.import_detail, name="import"),
    path("imports/<int:import_id>/mapping/", views.mapping, name="mapping"),
    path("imports/<int:import_id>/errors.xlsx", views.error_report, name="errors"),
    path("imports/<int:import_id>/<str:command>/", views.import_control, name="control"),
    path("review/", views.review, name="review"),
    path("rows/<int:outcome_id>/<str:decision>/", views.decide, name="decide"),
    path("templates/<slug:code>/", views.history, name="history"),
    path("export/", views.export_page, name="export"),
    path("exports/<int:export_id>/", views.export_detail, name="export_detail"),
    path("exports/<int:export_id>/download/", views.export_download, name="export_download"),
]
