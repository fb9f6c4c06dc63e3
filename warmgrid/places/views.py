"""Area pages: the map of the user's areas, one area with its children, and, for
street and district admins, residents by vulnerable group (table and chart)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language

from warmgrid.accounts.models import Role
from warmgrid.accounts.scopes import (
    area_read_paths,
    grants_of,
    is_system_admin,
    registry_read_paths,
)
from warmgrid.people import queries as people_queries
from warmgrid.places import queries

SUPERVISOR_ROLES = frozenset({Role.STREET_ADMIN, Role.DISTRICT_ADMIN})


def _supervises(user, area) -> bool:
    """Street and district admins over the area (and system admins) see group counts."""
    if is_system_admin(user):
        return True
    return any(g.role in SUPERVISOR_ROLES and area.path.startswith(g.area_path)
               for g in grants_of(user))


def _reads_registry(user) -> bool:
    paths = registry_read_paths(user)
    return paths is None or bool(paths)


def _breadcrumbs(user, area) -> list[tuple]:
    """Ancestors, linked only where the user may open them."""
    paths = area_read_paths(user)
    return [(a, paths is None or any(a.path.startswith(p) for p in paths))
            for a in queries.ancestors(area)]


def _tag_label(tag) -> str:
    return tag.name_en if (get_language() or "").startswith("en") and tag.name_en else tag.name


@login_required
def area_index(request):
    """The areas the user holds a role in; with only one, go straight to it."""
    area_ids = {g.area_id for g in grants_of(request.user)}
    areas = list(queries.areas_visible_to(request.user).filter(pk__in=area_ids))
    if not areas:
        raise Http404
    if len(areas) == 1:
        return redirect("places:area_detail", area_id=areas[0].pk)
    return render(request, "places/area_index.html", {"areas": areas})


@login_required
def area_detail(request, area_id):
    user = request.user
    area = queries.access_area_for_user(user, area_id)
    children = list(queries.child_areas(area))
    reads_registry = _reads_registry(user)
    counts = (people_queries.resident_counts_by_child(user, area, children)
              if reads_registry and children else {})
    context = {
        "area": area,
        "crumbs": _breadcrumbs(user, area),
        "children": [(child, counts.get(child.pk)) for child in children],
        "reads_registry": reads_registry,
        "total": people_queries.resident_count_under(user, area) if reads_registry else None,
        "buildings": (list(queries.buildings_visible_to(user).filter(grid=area))
                      if area.level == area.Level.GRID else []),
        "supervises": _supervises(user, area),
    }
    return render(request, "places/area_detail.html", context)


@login_required
def area_groups(request, area_id):
    """Residents by vulnerable group under an area, per child area: street and district admins."""
    user = request.user
    area = queries.access_area_for_user(user, area_id)
    if not _supervises(user, area):
        raise Http404
    counts = people_queries.tag_counts_under(user, area)
    tags = counts["tags"]
    rows = [(child, [by_tag[t.pk] for t in tags], sum(by_tag.values()))
            for child, by_tag in counts["children"]]
    totals = [counts["totals"][t.pk] for t in tags]
    chart_rows = rows or [(area, totals, sum(totals))]
    chart = {
        "areas": [child.name for child, _, _ in chart_rows],
        "series": [{"name": _tag_label(tag), "data": [numbers[i] for _, numbers, _ in chart_rows]}
                   for i, tag in enumerate(tags)],
    }
    context = {
        "area": area,
        "crumbs": _breadcrumbs(user, area),
        "tags": tags,
        "rows": rows,
        "totals": totals,
        "grand_total": sum(totals),
        "chart": chart,
        "as_of": counts["as_of"],
    }
    return render(request, "places/area_groups.html", context)
