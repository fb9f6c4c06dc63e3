"""The governance map over JSON: areas, buildings, and vulnerable-group counts under an area.

Areas and buildings are those the user holds any role in (places/queries.py); counts of
residents come from the registry scope (people/queries.py) and only for roles that read it.
"""

from django.utils.translation import gettext as _
from ninja import Router

from warmgrid.accounts.scopes import registry_read_paths
from warmgrid.api.errors import LIST_ERRORS, READ_ERRORS, ErrorOut, Id, PageQuery, page_of
from warmgrid.errors import Forbidden
from warmgrid.people.queries import tag_counts_under
from warmgrid.places.queries import (
    access_area_for_user,
    access_building_for_user,
    areas_visible_to,
    buildings_visible_to,
)
from warmgrid.places.schemas import (
    AreaOut,
    AreaPage,
    BuildingOut,
    BuildingPage,
    Level,
    TagCountsOut,
)

router = Router()


@router.get("/areas", tags=["areas"], operation_id="listAreas", summary="List areas",
            response={200: AreaPage, **LIST_ERRORS})
def list_areas(request, page: PageQuery, level: Level | None = None, parent: Id | None = None):
    """Areas you hold a role in and everything under them, in map order."""
    areas = areas_visible_to(request.user)
    if level is not None:
        areas = areas.filter(level=level)
    if parent is not None:
        areas = areas.filter(parent_id=parent)
    items, count = page_of(areas, page)
    return {"items": items, "count": count}


@router.get("/areas/{area_id}", tags=["areas"], operation_id="getArea", summary="One area",
            response={200: AreaOut, **READ_ERRORS})
def get_area(request, area_id: Id):
    return access_area_for_user(request.user, area_id)


@router.get("/areas/{area_id}/tag-counts", tags=["areas"], operation_id="getAreaTagCounts",
            summary="Vulnerable groups under an area",
            response={200: TagCountsOut, 403: ErrorOut, **READ_ERRORS})
def get_area_tag_counts(request, area_id: Id):
    """Residents in each vulnerable group today under the area, in total and per child
    area, keyed by tag code; for roles that read the registry of the area."""
    area = access_area_for_user(request.user, area_id)
    paths = registry_read_paths(request.user)
    if paths is not None and not any(area.path.startswith(p) for p in paths):
        raise Forbidden(_("Your role does not read the registry of this area."))
    counts = tag_counts_under(request.user, area)
    tags = counts["tags"]
    return {
        "area": area,
        "as_of": counts["as_of"],
        "residents": counts["residents"],
        "tags": tags,
        "totals": {t.code: counts["totals"][t.pk] for t in tags},
        "children": [{"area": child, "counts": {t.code: by_tag[t.pk] for t in tags}}
                     for child, by_tag in counts["children"]],
    }


@router.get("/buildings", tags=["buildings"], operation_id="listBuildings",
            summary="List buildings", response={200: BuildingPage, **LIST_ERRORS})
def list_buildings(request, page: PageQuery, grid: Id | None = None):
    buildings = buildings_visible_to(request.user)
    if grid is not None:
        buildings = buildings.filter(grid_id=grid)
    items, count = page_of(buildings, page)
    return {"items": items, "count": count}


@router.get("/buildings/{building_id}", tags=["buildings"], operation_id="getBuilding",
            summary="One building", response={200: BuildingOut, **READ_ERRORS})
def get_building(request, building_id: Id):
    return access_building_for_user(request.user, building_id)
