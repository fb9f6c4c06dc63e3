"""ninja Schemas for the governance map: areas, buildings and counts under an area."""

import datetime as dt
from typing import Literal

from ninja import Schema

from warmgrid.people.schemas import TagOut
from warmgrid.places.models import Area

Level = Literal[tuple(Area.Level.values)]


class AreaOut(Schema):
    id: int
    level: str
    code: str
    name: str
    parent_id: int | None
    path: str


class AreaPage(Schema):
    items: list[AreaOut]
    count: int


class BuildingOut(Schema):
    id: int
    grid_id: int
    code: str
    name: str
    address: str
    unit_count: int
    floor_count: int


class BuildingPage(Schema):
    items: list[BuildingOut]
    count: int


class ChildTagCountsOut(Schema):
    area: AreaOut
    counts: dict[str, int]


class TagCountsOut(Schema):
    """Residents in vulnerable groups today, by tag code, under the area and per child."""

    area: AreaOut
    as_of: dt.date | None
    residents: int
    tags: list[TagOut]
    totals: dict[str, int]
    children: list[ChildTagCountsOut]
