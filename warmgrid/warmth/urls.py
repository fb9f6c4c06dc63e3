from django.urls import path

from warmgrid.warmth import report_views, views

app_name = "warmth"
urlpatterns = [
    path("", views.index, name="index"),
    path("instruments/upload/", views.instrument_upload, name="instrument_upload"),
    path("instruments/<int:version_id>/publish/", views.instrument_publish,
         name="instrument_publish"),
    path("instruments/<int:version_id>/<str:kind>/", views.instrument_download,
         name="instrument_download"),
    path("waves/new/", views.wave_new, name="wave_new"),
    path("waves/<int:wave_id>/", views.wave_detail, name="wave"),
    path("waves/<int:wave_id>/close/", views.wave_close, name="wave_close"),
    path("waves/<int:wave_id>/grids/<int:grid_id>/cards/", views.wave_cards, name="cards"),
    path("waves/<int:wave_id>/interview/", views.interview, name="interview"),
    path("records/", views.records, name="records"),
]
urlpatterns += [
    path("waves/<int:wave_id>/report/", report_views.report, name="report"),
    path("waves/<int:wave_id>/communities/<str:code>/", report_views.community_card,
         name="card"),
    path("waves/<int:wave_id>/communities/<str:code>/pdf/", report_views.community_pdf,
         name="card_pdf"),
    path("waves/<int:wave_id>/export/", report_views.export, name="export"),
]
