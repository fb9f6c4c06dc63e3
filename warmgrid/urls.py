from django.contrib import admin
from django.urls import include, path

from warmgrid import views
from warmgrid.api.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("warmgrid.accounts.urls")),
    path("people/", include("warmgrid.people.urls")),
    path("cases/", include("warmgrid.cases.urls")),
    path("places/", include("warmgrid.places.urls")),
    path("attachments/", include("warmgrid.attachments.urls")),
    path("assessment/", include("warmgrid.assessment.urls")),
    path("supervision/", include("warmgrid.supervision.urls")),
    path("notices/", include("warmgrid.notices.urls")),
    path("audit/", include("warmgrid.audit.urls")),
    path("warmth/", include("warmgrid.warmth.urls")),
    path("ledgers/", include("warmgrid.ledgers.urls")),
    path("s/", include("warmgrid.warmth.survey_urls")),
    path("openrosa/", include("warmgrid.warmth.openrosa_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("open311/v2/", include("warmgrid.cases.open311_urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
