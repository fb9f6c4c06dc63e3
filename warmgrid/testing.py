"""Personas and a small map for tests, in one place (like healthchecks' hc/test.py).

Two streets; street S1 has community C1 with grids A and B; street S2 has community C2
with grid C. Every role has a persona, and `outsider` holds no role at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from warmgrid.accounts.models import Department, Role, RoleAssignment, User
from warmgrid.lib.idnumber import make_id_number
from warmgrid.lib.pinyin import pinyin_keys
from warmgrid.people.actions import do_refresh_grid_tallies
from warmgrid.people.identifiers import seal_id_number, seal_phone
from warmgrid.people.models import Household, Resident, ResidentTag, Tag
from warmgrid.places.models import Area, Building

PASSWORD = "Test-Passw0rd!"  # noqa: S105  (test accounts only)


def make_area(level: str, code: str, name: str, parent: Area | None = None) -> Area:
    path = f"{parent.path if parent else ''}{code}/"
    return Area.objects.create(level=level, code=code, name=name, parent=parent, path=path)


def make_building(grid: Area, code: str, name: str, units: int = 2) -> Building:
    return Building.objects.create(grid=grid, area_path=grid.path, code=code, name=name,
                                   unit_count=units)


def make_household(building: Building, unit: str, room: str) -> Household:
    return Household.objects.create(building=building, grid=building.grid,
                                    area_path=building.area_path, unit=unit, room=room)


def make_resident(household: Household, name: str, *, birth: dt.date, gender: str = "M",
                  sequence: int | None = None, phone: str = "", region: str = "370102",
                  relation: str = Resident.Relation.HOUSEHOLDER) -> Resident:
    """A resident with a valid ID number (and phone), sealed as the actions seal them."""
    if sequence is None:
        sequence = 101 if gender == "M" else 102
    id_number = make_id_number(region, birth, sequence)
    sealed = seal_id_number(id_number)
    full, initials = pinyin_keys(name)
    resident = Resident(
        household=household, grid=household.grid, area_path=household.area_path, name=name,
        name_pinyin=full, name_initials=initials, gender=gender, birth_date=birth,
        id_number_cipher=sealed.cipher, id_number_index=sealed.index,
        id_last4_index=sealed.last4_index, id_number_masked=sealed.masked,
        relation=relation, residence_status=Resident.ResidenceStatus.HUKOU,
    )
    if phone:
        sealed_phone = seal_phone(phone)
        resident.phone_cipher = sealed_phone.cipher
        resident.phone_index = sealed_phone.index
        resident.phone_masked = sealed_phone.masked
    resident.save()
    resident.id_number_plain = id_number  # for assertions only; never stored
    return resident


def make_user(username: str, *grants: tuple[str, Area], household: Household | None = None,
              department: Department | None = None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    for role, area in grants:
        RoleAssignment.objects.create(
            user=user, role=role, area=area,
            household=household if role == Role.RESIDENT else None,
            department=department if role == Role.DEPARTMENT_HANDLER else None,
        )
    return user


@dataclass
class World:
    district: Area
    street1: Area
    street2: Area
    community1: Area
    community2: Area
    grid_a: Area
    grid_b: Area
    grid_c: Area
    building_a: Building
    building_b: Building
    building_c: Building
    household_a: Household
    household_b: Household
    household_c: Household
    zhang_san: Resident  # grid A
    li_si: Resident  # grid B
    wang_wu: Resident  # grid C (other street)
    worker_a: User
    worker_b: User
    leader_a: User
    community_staff: User
    street_admin: User
    street2_admin: User
    district_admin: User
    system_admin: User
    resident_a: User
    volunteer: User
    handler: User
    researcher: User
    outsider: User


def ensure_reference_data() -> None:
    """The rows the data migrations seed (tags, categories, the registry ledger template).
    A transactional test ends by flushing every table, so the tests after it in the same
    process would find none."""
    from importlib import import_module

    from django.apps import apps

    if not Tag.objects.exists():
        import_module("warmgrid.people.migrations.0002_default_tags").add_tags(apps, None)
    from warmgrid.cases.models import Category

    if not Category.objects.exists():
        import_module("warmgrid.cases.migrations.0002_default_categories").add_categories(
            apps, None)
    from warmgrid.ledgers.models import LedgerTemplate

    if not LedgerTemplate.objects.filter(builtin=True).exists():
        import_module("warmgrid.ledgers.migrations.0002_registry_template"
                      ).add_registry_template(apps, None)
        import_module("warmgrid.ledgers.migrations.0003_department_templates"
                      ).add_department_templates(apps, None)


@transaction.atomic
def build_world() -> World:
    ensure_reference_data()
    district = make_area(Area.Level.DISTRICT, "370102", "历下区")
    street1 = make_area(Area.Level.STREET, "370102001", "解放路街道", district)
    street2 = make_area(Area.Level.STREET, "370102002", "千佛山街道", district)
    community1 = make_area(Area.Level.COMMUNITY, "370102001001", "和平社区", street1)
    community2 = make_area(Area.Level.COMMUNITY, "370102002001", "佛山苑社区", street2)
    grid_a = make_area(Area.Level.GRID, "370102001001001", "和平社区第一网格", community1)
    grid_b = make_area(Area.Level.GRID, "370102001001002", "和平社区第二网格", community1)
    grid_c = make_area(Area.Level.GRID, "370102002001001", "佛山苑社区第一网格", community2)
    building_a = make_building(grid_a, "370102001001001-B01", "3号楼")
    building_b = make_building(grid_b, "370102001001002-B01", "5号楼")
    building_c = make_building(grid_c, "370102002001001-B01", "8号楼")
    household_a = make_household(building_a, "2", "301")
    household_b = make_household(building_b, "1", "502")
    household_c = make_household(building_c, "1", "101")
    zhang_san = make_resident(household_a, "张三", birth=dt.date(1950, 3, 8), gender="M",
                              phone="13812345678")
    li_si = make_resident(household_b, "李四", birth=dt.date(1988, 11, 2), gender="F",
                          phone="13987654321")
    wang_wu = make_resident(household_c, "王五", birth=dt.date(1972, 6, 15), gender="M")
    for household, resident in ((household_a, zhang_san), (household_b, li_si),
                                (household_c, wang_wu)):
        household.householder = resident
        household.save(update_fields=["householder"])
    alone = Tag.objects.get(code="elderly_alone")
    ResidentTag.objects.create(resident=zhang_san, tag=alone, area_path=zhang_san.area_path,
                               source="走访 2026-01", valid_from=dt.date(2026, 1, 1),
                               legal_basis="statutory_duty")
    do_refresh_grid_tallies()
    police = Department.objects.create(code="police-370102", name="历下公安分局",
                                       kind=Department.Kind.POLICE, area=district)
    handler = make_user("handler", (Role.DEPARTMENT_HANDLER, district), department=police)
    police.members.add(handler)
    return World(
        district=district, street1=street1, street2=street2, community1=community1,
        community2=community2, grid_a=grid_a, grid_b=grid_b, grid_c=grid_c,
        building_a=building_a, building_b=building_b, building_c=building_c,
        household_a=household_a, household_b=household_b, household_c=household_c,
        zhang_san=zhang_san, li_si=li_si, wang_wu=wang_wu,
        worker_a=make_user("worker_a", (Role.GRID_WORKER, grid_a)),
        worker_b=make_user("worker_b", (Role.GRID_WORKER, grid_b)),
        leader_a=make_user("leader_a", (Role.GRID_LEADER, grid_a)),
        community_staff=make_user("staff_c1", (Role.COMMUNITY_STAFF, community1)),
        street_admin=make_user("street_s1", (Role.STREET_ADMIN, street1)),
        street2_admin=make_user("street_s2", (Role.STREET_ADMIN, street2)),
        district_admin=make_user("district", (Role.DISTRICT_ADMIN, district)),
        system_admin=make_user("sysadmin", (Role.SYSTEM_ADMIN, district)),
        resident_a=make_user("resident_a", (Role.RESIDENT, grid_a), household=household_a),
        volunteer=make_user("volunteer_a", (Role.VOLUNTEER, grid_a)),
        handler=handler,
        researcher=make_user("researcher", (Role.RESEARCHER, district)),
        outsider=make_user("outsider"),
    )
