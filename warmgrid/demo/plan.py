"""The plan of the demo district: pure, seeded, with no database and no clock.

Every random draw comes from a `random.Random` seeded from the seed and the place it is
for (the layout, one grid, the accounts), so the same seed and size give the same
district: names, ID numbers, phones, codes and usernames. Grids are planned one after
another and only one is held at a time; the ID allocator is the only state carried over.

The map: the district is a rectangle around 36.65 N, 117.02 E, cut into contiguous blocks
(streets, then communities, then grids) with areas in proportion to their households;
a grid's buildings stand in rows within about 300 m of each other inside its block.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from warmgrid.accounts.models import Role
from warmgrid.demo import names
from warmgrid.demo.people import (
    HouseholdPlan,
    IdNumberAllocator,
    draw_gender,
    draw_given_name,
    draw_surname,
    place_featured_names,
    plan_household,
)
from warmgrid.places.models import Area

DISTRICT_CODE = "370102"
HOUSEHOLDS_PER_GRID = 500
HOUSEHOLDS_PER_COMMUNITY = 1000
MIN_HOUSEHOLDS = 20

DISTRICT_CENTRE = (36.65, 117.02)  # latitude, longitude (WGS 84)
GROUND_PER_HOUSEHOLD = 135.0  # m² of the map per household: a 500-household grid is ~260 m square
BUILDING_SPREAD = 210.0  # a grid's buildings stand within this square (diagonal < 300 m)
BLOCK_MARGIN = 15.0  # roads between blocks: buildings keep this far from a block's edge
METRES_PER_DEGREE = 111_320.0  # along a meridian


@dataclass(frozen=True)
class AreaPlan:
    level: str
    code: str
    name: str
    parent_code: str  # "" for the district


@dataclass(frozen=True)
class GridLayout:
    area: AreaPlan
    households: int
    estate: str  # the community's housing estate (小区), for addresses
    road: str
    road_number: int
    first_in_community: bool


@dataclass(frozen=True)
class Layout:
    households: int
    seed: int
    district: AreaPlan
    streets: tuple[AreaPlan, ...]
    communities: tuple[AreaPlan, ...]
    grids: tuple[GridLayout, ...]

    @property
    def areas(self) -> tuple[AreaPlan, ...]:
        """Every area, parents before children."""
        return (self.district, *self.streets, *self.communities,
                *(g.area for g in self.grids))


@dataclass(frozen=True)
class BuildingPlan:
    code: str
    name: str
    address: str
    units: int
    floors: int
    rooms_per_floor: int
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@dataclass
class GridPlan:
    layout: GridLayout
    buildings: list[BuildingPlan]
    households: list[HouseholdPlan]


@dataclass(frozen=True)
class AccountPlan:
    role: str
    username: str
    area_code: str
    display_name: str
    department_kind: str = ""
    # A resident account's own household: (grid code, index of the household in the grid).
    household: tuple[str, int] | None = None


def split_total(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights`, summing exactly (largest remainder)."""
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def seeded_rng(seed: int, *parts: object) -> random.Random:
    # A string seed is hashed with SHA-512 by `random`, the same on every run and machine.
    return random.Random(":".join(["warmgrid-demo", str(seed), *map(str, parts)]))


def plan_layout(*, households: int, seed: int) -> Layout:
    """District → streets → communities (≈1,000 households) → grids (≈500 households)."""
    if households < MIN_HOUSEHOLDS:
        raise ValueError(f"the demo needs at least {MIN_HOUSEHOLDS} households")
    rng = seeded_rng(seed, "layout")
    n_communities = max(2, round(households / HOUSEHOLDS_PER_COMMUNITY))
    n_streets = min(len(names.STREET_NAMES), max(2, -(-n_communities // 5)))
    district = AreaPlan(Area.Level.DISTRICT, DISTRICT_CODE, names.DISTRICT_NAME, "")
    street_order = rng.sample(range(len(names.STREET_NAMES)), n_streets)
    streets = tuple(
        AreaPlan(Area.Level.STREET, f"{DISTRICT_CODE}{i + 1:03d}",
                 names.STREET_NAMES[k], DISTRICT_CODE)
        for i, k in enumerate(street_order)
    )
    roads = [names.STREET_ROADS[k] for k in street_order]
    community_names = _community_names(rng, n_communities)
    per_street = split_total(n_communities, [1.0] * n_streets)
    community_households = split_total(households, [rng.uniform(0.75, 1.25)
                                                    for _ in range(n_communities)])
    communities: list[AreaPlan] = []
    grids: list[GridLayout] = []
    k = 0
    for s, street in enumerate(streets):
        for c in range(per_street[s]):
            base = community_names[k]
            community = AreaPlan(Area.Level.COMMUNITY, f"{street.code}{c + 1:03d}",
                                 f"{base}社区", street.code)
            communities.append(community)
            estate = base + rng.choice(names.ESTATE_SUFFIXES)
            road_number = rng.randrange(1, 300)
            n_grids = max(1, round(community_households[k] / HOUSEHOLDS_PER_GRID))
            grid_households = split_total(community_households[k],
                                          [rng.uniform(0.9, 1.1) for _ in range(n_grids)])
            for g in range(n_grids):
                grids.append(GridLayout(
                    area=AreaPlan(Area.Level.GRID, f"{community.code}{g + 1:03d}",
                                  f"{community.name}第{names.chinese_number(g + 1)}网格",
                                  community.code),
                    households=grid_households[g], estate=estate, road=roads[s],
                    road_number=road_number, first_in_community=g == 0,
                ))
            k += 1
    return Layout(households=households, seed=seed, district=district, streets=streets,
                  communities=tuple(communities), grids=tuple(grids))


def _community_names(rng: random.Random, n: int) -> list[str]:
    """Distinct names: the plain ones shuffled, then 和平东, 和平西 … for big districts."""
    plain = rng.sample(names.COMMUNITY_NAMES, len(names.COMMUNITY_NAMES))
    pool = [base + suffix for suffix in names.COMMUNITY_SUFFIXES for base in plain]
    copy = 2
    while len(pool) < n:
        pool += [f"{base}{copy}" for base in plain]
        copy += 1
    return pool[:n]


@dataclass(frozen=True)
class Box:
    """A rectangle on the map in degrees (WGS 84)."""

    south: float
    west: float
    north: float
    east: float

    @property
    def width_m(self) -> float:
        return (self.east - self.west) * _metres_per_degree_lon(self.south)

    @property
    def height_m(self) -> float:
        return (self.north - self.south) * METRES_PER_DEGREE

    def contains(self, latitude: float, longitude: float) -> bool:
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east

    def outline(self) -> dict:
        """The box as a GeoJSON Polygon (longitude first, counter-clockwise, closed)."""
        corners = [(self.west, self.south), (self.east, self.south), (self.east, self.north),
                   (self.west, self.north), (self.west, self.south)]
        return {"type": "Polygon",
                "coordinates": [[[round(x, 6), round(y, 6)] for x, y in corners]]}


def _metres_per_degree_lon(latitude: float) -> float:
    return METRES_PER_DEGREE * math.cos(math.radians(latitude))


def _partition(box: Box, weights: list[float]) -> list[Box]:
    """Cut `box` into contiguous blocks with areas in proportion to `weights`, in order.

    Halving the list by weight and cutting across the longer side each time keeps the
    blocks close to square at every depth, for two children or two hundred.
    """
    if len(weights) == 1:
        return [box]
    total = sum(weights)
    running, half = 0.0, 1
    for i, w in enumerate(weights[:-1], start=1):
        running += w
        half = i
        if running >= total / 2:
            break
    share = sum(weights[:half]) / total
    if box.width_m >= box.height_m:
        cut = box.west + (box.east - box.west) * share
        first = Box(box.south, box.west, box.north, cut)
        second = Box(box.south, cut, box.north, box.east)
    else:  # the first half to the north, as a map is read
        cut = box.north - (box.north - box.south) * share
        first = Box(cut, box.west, box.north, box.east)
        second = Box(box.south, box.west, cut, box.east)
    return _partition(first, weights[:half]) + _partition(second, weights[half:])


def plan_blocks(layout: Layout) -> dict[str, Box]:
    """Every area's block by code: the district, its streets, communities and grids."""
    street_of = {c.code: c.parent_code for c in layout.communities}
    households: dict[str, float] = {}
    for grid in layout.grids:
        weight = max(grid.households, 1)
        community = grid.area.parent_code
        for code in (grid.area.code, community, street_of[community]):
            households[code] = households.get(code, 0) + weight
    area_m2 = sum(households[s.code] for s in layout.streets) * GROUND_PER_HOUSEHOLD
    width_m = math.sqrt(area_m2 * 1.3)  # a little wider than tall
    height_m = area_m2 / width_m
    lat, lon = DISTRICT_CENTRE
    half_lat = height_m / 2 / METRES_PER_DEGREE
    half_lon = width_m / 2 / _metres_per_degree_lon(lat)
    district = Box(lat - half_lat, lon - half_lon, lat + half_lat, lon + half_lon)
    blocks = {layout.district.code: district}

    def place(parent: Box, children: list[AreaPlan]) -> None:
        for child, block in zip(children, _partition(parent, [households[c.code]
                                                              for c in children]),
                                strict=True):
            blocks[child.code] = block

    place(district, list(layout.streets))
    for street in layout.streets:
        place(blocks[street.code], [c for c in layout.communities
                                    if c.parent_code == street.code])
    for community in layout.communities:
        place(blocks[community.code], [g.area for g in layout.grids
                                       if g.area.parent_code == community.code])
    return blocks


def _site_buildings(rng: random.Random, block: Box, buildings: list[BuildingPlan]
                    ) -> list[BuildingPlan]:
    """The buildings in rows facing south near the middle of the grid's block."""
    lat_per_m = 1 / METRES_PER_DEGREE
    lon_per_m = 1 / _metres_per_degree_lon(block.south)
    width = max(min(block.width_m - 2 * BLOCK_MARGIN, BUILDING_SPREAD), 10.0)
    height = max(min(block.height_m - 2 * BLOCK_MARGIN, BUILDING_SPREAD), 10.0)
    n = len(buildings)
    columns = max(1, min(n, round(math.sqrt(n * width / height))))
    rows = -(-n // columns)
    cell_w, cell_h = width / columns, height / rows
    centre_lat = (block.south + block.north) / 2
    centre_lon = (block.west + block.east) / 2
    placed = []
    for index, building in enumerate(buildings):
        row, column = divmod(index, columns)
        x = (column + 0.5 + rng.uniform(-0.2, 0.2)) * cell_w - width / 2
        y = height / 2 - (row + 0.5 + rng.uniform(-0.2, 0.2)) * cell_h
        placed.append(dataclasses.replace(
            building,
            latitude=Decimal(f"{centre_lat + y * lat_per_m:.6f}"),
            longitude=Decimal(f"{centre_lon + x * lon_per_m:.6f}"),
        ))
    return placed


class GridPlanner:
    """Plans grids one after another; the ID allocator and building numbers carry over."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.ids = IdNumberAllocator()
        self._next_building: dict[str, int] = {}
        self.blocks = plan_blocks(layout)

    def plan(self, grid: GridLayout, grid_index: int) -> GridPlan:
        rng = seeded_rng(self.layout.seed, "grid", grid.area.code)
        community = grid.area.parent_code
        first_number = self._next_building.get(community, 1)
        buildings, rooms = _plan_buildings(rng, grid, first_number)
        self._next_building[community] = first_number + len(buildings)
        # Their own random stream: placing buildings leaves the people of a seed unchanged.
        buildings = _site_buildings(seeded_rng(self.layout.seed, "site", grid.area.code),
                                    self.blocks[grid.area.code], buildings)
        households = [plan_household(rng, building, unit, room)
                      for building, unit, room in rooms]
        featured = names.FEATURED_NAMES
        offset = grid_index * 4 % len(featured)
        wanted = [*featured[offset:], *featured[:offset]][:4]
        if grid_index == 0:
            wanted.insert(0, names.FIRST_GRID_NAME)
        place_featured_names(rng, households, wanted)
        for household in households:
            for person in household.members:
                person.id_number = self.ids.allocate(person.region, person.birth_date,
                                                     person.gender)
        return GridPlan(layout=grid, buildings=buildings, households=households)


def _plan_buildings(rng: random.Random, grid: GridLayout, first_number: int
                    ) -> tuple[list[BuildingPlan], list[tuple[int, str, str]]]:
    """Buildings enough for the grid's households with a few flats empty; the rooms taken."""
    wanted = grid.households
    capacity_needed = wanted / rng.uniform(0.88, 0.97)
    buildings: list[BuildingPlan] = []
    all_rooms: list[tuple[int, str, str]] = []
    while len(all_rooms) < capacity_needed or not buildings:
        style = rng.choices(("walk_up", "mid_rise", "high_rise"), weights=(5, 3, 2))[0]
        if style == "walk_up":
            floors, units, per_floor = rng.choice((6, 6, 6, 7)), rng.randint(2, 4), 2
        elif style == "mid_rise":
            floors, units, per_floor = rng.choice((11, 12)), rng.randint(2, 3), \
                rng.randint(2, 3)
        else:
            floors, units, per_floor = rng.choice((15, 18)), rng.randint(2, 3), \
                rng.randint(2, 4)
        index = len(buildings)
        number = first_number + index
        buildings.append(BuildingPlan(
            code=f"{grid.area.code}-B{index + 1:02d}", name=f"{number}号楼",
            address=f"{names.DISTRICT_NAME}{grid.road}{grid.road_number}号"
                    f"{grid.estate}{number}号楼",
            units=units, floors=floors, rooms_per_floor=per_floor,
        ))
        all_rooms += [(index, str(u), f"{floor}{r:02d}") for u in range(1, units + 1)
                      for floor in range(1, floors + 1) for r in range(1, per_floor + 1)]
        if wanted == 0:
            break
    taken = sorted(rng.sample(range(len(all_rooms)), min(wanted, len(all_rooms))))
    return buildings, [all_rooms[i] for i in taken]


def iter_grid_plans(layout: Layout) -> Iterator[GridPlan]:
    """The district's grids, planned in order; only one grid is held at a time."""
    planner = GridPlanner(layout)
    for index, grid in enumerate(layout.grids):
        yield planner.plan(grid, index)


def plan_accounts(layout: Layout) -> list[AccountPlan]:
    """Staff accounts: a 1+2+N team per grid, community, street, district and others."""
    rng = seeded_rng(layout.seed, "accounts")

    def display_name() -> str:
        gender = draw_gender(rng)
        return draw_surname(rng) + draw_given_name(rng, rng.randint(1965, 2000), gender)

    accounts = [
        AccountPlan(Role.SYSTEM_ADMIN, "sys-admin", DISTRICT_CODE, display_name()),
        AccountPlan(Role.DISTRICT_ADMIN, f"da-{DISTRICT_CODE}", DISTRICT_CODE, display_name()),
        AccountPlan(Role.RESEARCHER, "researcher", DISTRICT_CODE, display_name()),
    ]
    accounts += [AccountPlan(Role.DEPARTMENT_HANDLER, username, DISTRICT_CODE, display_name(),
                             department_kind=kind)
                 for kind, _, username in names.DEPARTMENTS]
    accounts += [AccountPlan(Role.STREET_ADMIN, f"sa-{s.code}", s.code, display_name())
                 for s in layout.streets]
    for community in layout.communities:
        accounts += [AccountPlan(Role.COMMUNITY_STAFF, f"cs-{community.code}-{i}",
                                 community.code, display_name()) for i in (1, 2)]
    for grid in layout.grids:
        code = grid.area.code
        accounts.append(AccountPlan(Role.GRID_LEADER, f"gl-{code}", code, display_name()))
        accounts += [AccountPlan(Role.GRID_WORKER, f"gw-{code}-{i}", code, display_name())
                     for i in (1, 2)]
        accounts += [AccountPlan(Role.VOLUNTEER, f"vol-{code}-{i}", code, display_name())
                     for i in (1, 2)]
    return accounts


def resident_account(plan: GridPlan) -> AccountPlan | None:
    """One resident account per community: the householder of its first grid's first flat."""
    if not plan.layout.first_in_community or not plan.households:
        return None
    code = plan.layout.area.code
    return AccountPlan(Role.RESIDENT, f"res-{code}", code, plan.households[0].members[0].name,
                       household=(code, 0))


def totp_key(seed: int, username: str) -> bytes:
    """A 20-byte TOTP secret derived from the seed: the same district, the same codes."""
    return hashlib.sha256(f"warmgrid-demo-totp:{seed}:{username}".encode()).digest()[:20]
