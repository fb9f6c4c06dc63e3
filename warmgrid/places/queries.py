"""Reads of the governance map, scoped to the user."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from warmgrid.accounts.scopes import area_read_paths, path_filter
from warmgrid.places.models import Area, Building


def areas_visible_to(user) -> QuerySet[Area]:
    paths = area_read_paths(user)
    areas = Area.objects.all()
    if paths is None:
        return areas
    return areas.filter(path_filter(paths, "path"))


def access_area_for_user(user, area_id: int) -> Area:
    try:
        return areas_visible_to(user).get(pk=area_id)
    except (Area.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_area_by_code_for_user(user, code: str) -> Area:
    try:
        return areas_visible_to(user).get(code=code)
    except Area.DoesNotExist:
        raise Http404 from None


def areas_under(area: Area) -> QuerySet[Area]:
    """The area and everything below it: one prefix query on the path index."""
    return Area.objects.filter(path__startswith=area.path)


def buildings_visible_to(user) -> QuerySet[Building]:
    paths = area_read_paths(user)
    buildings = Building.objects.select_related("grid")
    if paths is None:
        return buildings
    return buildings.filter(path_filter(paths))


def access_building_for_user(user, building_id: int) -> Building:
    try:
        return buildings_visible_to(user).get(pk=building_id)
    except (Building.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def ancestors(area: Area) -> list[Area]:
    """Breadcrumbs: the codes in the path name every ancestor, fetched in one query."""
    codes = [c for c in area.path.split("/") if c][:-1]
    by_code = {a.code: a for a in Area.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


def child_areas(area: Area) -> QuerySet[Area]:
    """The direct children of an access-checked area (inside its scope by construction)."""
    return Area.objects.filter(parent=area).order_by("code")


def grids_visible_to(user) -> QuerySet[Area]:
    return areas_visible_to(user).filter(level=Area.Level.GRID)


def buildings_editable_by(user) -> QuerySet[Building]:
    """Buildings where the user may register households: grid and community staff."""
    from warmgrid.accounts.scopes import registry_edit_paths

    return Building.objects.select_related("grid").filter(path_filter(registry_edit_paths(user)))
