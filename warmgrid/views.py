"""The home page, which differs by role, and a health check for load balancers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from warmgrid.accounts.models import Role
from warmgrid.accounts.scopes import grants_of, roles_of
from warmgrid.places.models import Area


@login_required
def home(request):
    roles = roles_of(request.user)
    grants = grants_of(request.user)
    areas = {a.pk: a for a in Area.objects.filter(pk__in={g.area_id for g in grants})}
    cards = [(g, areas[g.area_id]) for g in grants if g.area_id in areas]
    context = {
        "cards": cards,
        "is_supervisor": bool(roles & {Role.STREET_ADMIN, Role.DISTRICT_ADMIN,
                                        Role.SYSTEM_ADMIN}),
        "today": timezone.localdate(),
    }
    return render(request, "home.html", context)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
