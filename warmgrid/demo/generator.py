"""Building the demo district (暖城区) into the database from its plan (see plan.py).

The plan is streamed grid by grid into bulk inserts inside one transaction, so memory
stays flat from 600 to 400,000 households and a failed build leaves nothing behind.
ID numbers and phones are sealed by the same functions the registry actions use: only
ciphertexts, blind indexes and masked forms reach the database. Once the people and the
accounts are in, a year of events (cases.py) follows, again grid by grid.

    build_demo_district(households=20000, seed=2026) -> DemoSummary
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, reset_queries, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from warmgrid.accounts.models import Department, Role, RoleAssignment, User
from warmgrid.accounts.scopes import SECOND_FACTOR_ROLES
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.cases.models import Case, CaseEvent, CaseUnit, Category, DutyShift
from warmgrid.demo import names
from warmgrid.demo.cases import (
    CaseContext,
    CaseDraft,
    CasePlanner,
    GridSite,
    SiteBuilding,
    SiteHousehold,
    plan_case_volume,
)
from warmgrid.demo.duty import write_duty_and_units
from warmgrid.demo.plan import (
    DISTRICT_CODE,
    AccountPlan,
    GridLayout,
    GridPlan,
    Layout,
    iter_grid_plans,
    plan_accounts,
    plan_blocks,
    plan_layout,
    resident_account,
    totp_key,
)
from warmgrid.lib import casestates
from warmgrid.lib.pinyin import pinyin_keys
from warmgrid.people.actions import do_refresh_grid_tallies
from warmgrid.people.identifiers import seal_id_number, seal_phone
from warmgrid.people.models import (
    GridTally,
    Household,
    LegalBasis,
    Resident,
    ResidentTag,
    SensitiveFieldBasis,
    Tag,
)
from warmgrid.places.models import Area, Building

DEMO_PASSWORD = "Warmgrid-Demo-2026"  # noqa: S105 - published with the demo on purpose
BATCH_SIZE = 2000
LOGINS_FILE = "demo-logins.csv"
LOGINS_COLUMNS = ("role", "username", "area_code", "password", "totp_secret")
STATUTORY = LegalBasis.STATUTORY_DUTY.value

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    households: int
    seed: int
    areas: int
    streets: int
    communities: int
    grids: int
    buildings: int
    residents: int
    tags: int
    field_bases: int
    accounts: int
    departments: int
    seconds: float
    logins_path: Path | None
    cases: int = 0
    case_events: int = 0
    open_cases: int = 0

    @property
    def households_per_second(self) -> float:
        return self.households / self.seconds if self.seconds else 0.0

    def counts(self) -> dict[str, int]:
        return {
            "areas": self.areas, "streets": self.streets, "communities": self.communities,
            "grids": self.grids, "buildings": self.buildings, "households": self.households,
            "residents": self.residents, "tags": self.tags, "field_bases": self.field_bases,
            "accounts": self.accounts, "departments": self.departments,
            "cases": self.cases, "case_events": self.case_events,
            "open_cases": self.open_cases,
        }


# ------------------------------------------------------------------ fast inserts


class RowInserter:
    """Plain rows into the big tables: COPY on PostgreSQL, executemany elsewhere.

    bulk_create compiles every value of every row through the ORM, which is most of the
    build time at a million residents. Rows here are plain tuples in `columns` order;
    every other column gets its field default once (auto_now fields: the build's time).
    Dates are adapted by the backend's own adapter. The caller reads back the keys.
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str], now) -> None:
        meta = model._meta
        given = [meta.get_field(name) for name in columns]
        given_names = {f.name for f in given}
        rest = [f for f in meta.concrete_fields
                if not f.primary_key and f.name not in given_names]
        tail = []
        for f in rest:
            auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            tail.append(f.get_db_prep_save(now if auto else f.get_default(), connection))
        self.tail = tuple(tail)
        self.date_positions = [i for i, f in enumerate(given)
                               if isinstance(f, models.DateField)
                               and not isinstance(f, models.DateTimeField)]
        qn = connection.ops.quote_name
        table = qn(meta.db_table)
        column_sql = ", ".join(qn(f.column) for f in (*given, *rest))
        marks = ", ".join(["%s"] * (len(given) + len(rest)))
        self.sql = f"INSERT INTO {table} ({column_sql}) VALUES ({marks})"  # noqa: S608 - names from model metadata
        self.copy_sql = f"COPY {table} ({column_sql}) FROM STDIN"

    def insert(self, rows: list[tuple]) -> None:
        tail = self.tail
        if connection.vendor == "postgresql":
            # COPY is PostgreSQL's fastest way in; psycopg adapts dates and times itself.
            with connection.cursor() as cursor, cursor.cursor.copy(self.copy_sql) as copy:
                for row in rows:
                    copy.write_row(row + tail)
            return
        if self.date_positions:
            adapt = connection.ops.adapt_datefield_value
            positions = self.date_positions
            rows = [tuple(adapt(v) if i in positions else v for i, v in enumerate(row))
                    for row in rows]
        with connection.cursor() as cursor:
            for start in range(0, len(rows), BATCH_SIZE):
                cursor.executemany(self.sql,
                                   [row + tail for row in rows[start:start + BATCH_SIZE]])


@lru_cache(maxsize=200_000)
def _pinyin(name: str) -> tuple[str, str]:
    return pinyin_keys(name)


def _set_householders(pairs: list[tuple[int, int]]) -> None:
    """Point each household at its householder (pairs of resident id, household id).

    Far cheaper than bulk_update's CASE expression at 400,000 households: one UPDATE
    joined to two arrays on PostgreSQL, one prepared UPDATE run many times elsewhere.
    """
    meta = Household._meta
    qn = connection.ops.quote_name
    table, pk = qn(meta.db_table), qn(meta.pk.column)
    householder = qn(meta.get_field("householder").column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET {householder} = pair.resident FROM unnest("  # noqa: S608 - names from model metadata
                f"%s::bigint[], %s::bigint[]) AS pair(resident, household)"
                f" WHERE {table}.{pk} = pair.household",
                [[r for r, _ in pairs], [h for _, h in pairs]],
            )
            return
        sql = f"UPDATE {table} SET {householder} = %s WHERE {pk} = %s"  # noqa: S608 - names from model metadata
        for start in range(0, len(pairs), BATCH_SIZE):
            cursor.executemany(sql, pairs[start:start + BATCH_SIZE])


@dataclass
class _Counts:
    buildings: int = 0
    households: int = 0
    residents: int = 0
    tags: int = 0
    field_bases: int = 0


class GridWriter:
    """Writes one planned grid after another."""

    def __init__(self, tag_ids: dict[str, int]) -> None:
        now = timezone.now()
        self.tag_ids = tag_ids
        self.counts = _Counts()
        self.households = RowInserter(Household, ("building", "grid", "area_path", "unit",
                                                   "room"), now)
        self.residents = RowInserter(Resident, (
            "household", "grid", "area_path", "name", "name_pinyin", "name_initials", "gender",
            "birth_date", "id_number_cipher", "id_number_index", "id_last4_index",
            "id_number_masked", "phone_cipher", "phone_index", "phone_masked", "relation",
            "residence_status", "ethnicity", "occupation"), now)
        self.tags = RowInserter(ResidentTag, ("resident", "tag", "area_path", "source",
                                              "valid_from", "valid_until", "legal_basis"), now)
        self.bases = RowInserter(SensitiveFieldBasis, ("resident", "field", "basis", "note"),
                                 now)

    def write(self, plan: GridPlan, grid: Area) -> list[int]:
        """Write the grid; return its households' ids in plan order."""
        path = grid.path
        buildings = Building.objects.bulk_create([
            Building(grid_id=grid.pk, area_path=path, code=b.code, name=b.name,
                     address=b.address, unit_count=b.units, floor_count=b.floors,
                     latitude=b.latitude, longitude=b.longitude)
            for b in plan.buildings
        ], batch_size=BATCH_SIZE)
        building_ids = [b.pk for b in buildings]
        self.households.insert([(building_ids[h.building], grid.pk, path, h.unit, h.room)
                                for h in plan.households])
        household_id = {
            (b, unit, room): pk for pk, b, unit, room in
            Household.objects.filter(grid_id=grid.pk).values_list(
                "pk", "building_id", "unit", "room")
        }
        household_ids = [household_id[building_ids[h.building], h.unit, h.room]
                         for h in plan.households]

        rows = []
        for hid, household in zip(household_ids, plan.households, strict=True):
            for person in household.members:
                full, initials = _pinyin(person.name)
                sealed = seal_id_number(person.id_number)
                phone = seal_phone(person.phone) if person.phone else None
                rows.append((
                    hid, grid.pk, path, person.name, full, initials, person.gender,
                    person.birth_date, sealed.cipher, sealed.index, sealed.last4_index,
                    sealed.masked, phone.cipher if phone else "", phone.index if phone else "",
                    phone.masked if phone else "", str(person.relation),
                    str(person.residence_status), person.ethnicity, person.occupation,
                ))
        self.residents.insert(rows)
        # The blind index is unique: it says which new row is which planned person.
        resident_id = dict(Resident.objects.filter(grid_id=grid.pk).values_list(
            "id_number_index", "pk"))
        resident_ids = [resident_id[row[9]] for row in rows]
        del rows

        heads, tags, bases = [], [], []
        people = iter(resident_ids)
        for hid, household in zip(household_ids, plan.households, strict=True):
            for position, person in enumerate(household.members):
                rid = next(people)
                if position == 0:
                    heads.append((rid, hid))
                tags += [(rid, self.tag_ids[t.code], path, t.source, t.valid_from,
                          t.valid_until, STATUTORY) for t in person.tags]
                bases.append((rid, "id_number", STATUTORY, "demo"))
                if person.phone:
                    bases.append((rid, "phone", STATUTORY, "demo"))
        _set_householders(heads)
        self.tags.insert(tags)
        self.bases.insert(bases)

        counts = self.counts
        counts.buildings += len(buildings)
        counts.households += len(household_ids)
        counts.residents += len(resident_ids)
        counts.tags += len(tags)
        counts.field_bases += len(bases)
        return household_ids


# ------------------------------------------------------------------ a year of cases


@dataclass
class _CaseCounts:
    cases: int = 0
    events: int = 0
    by_state: Counter = field(default_factory=Counter)

    @property
    def open_cases(self) -> int:
        return sum(n for state, n in self.by_state.items()
                   if state in casestates.OPEN_STATES)


def _case_site(grid: GridLayout, area: Area, resident_household_id: int | None) -> GridSite:
    """A written grid as the case planner sees it: buildings by code, households in the
    order they were planned (and inserted)."""
    buildings = list(Building.objects.filter(grid_id=area.pk).order_by("code").values_list(
        "pk", "name", "address", "floor_count", "unit_count", "latitude", "longitude"))
    position = {row[0]: i for i, row in enumerate(buildings)}
    households = [SiteHousehold(pk, position[building], unit, room)
                  for pk, building, unit, room in Household.objects.filter(
                      grid_id=area.pk).order_by("pk").values_list(
                      "pk", "building_id", "unit", "room")]
    resident = next((i for i, h in enumerate(households) if h.pk == resident_household_id),
                    None)
    return GridSite(
        grid_id=area.pk, code=area.code, path=area.path,
        community_code=grid.area.parent_code, estate=grid.estate, road=grid.road,
        buildings=tuple(SiteBuilding(*row) for row in buildings),
        households=tuple(households), resident_household=resident,
    )


def _insert_cases(drafts: list[CaseDraft], counts: _CaseCounts) -> None:
    """Cases first (a merged one after the case it joins), then all their histories."""
    for merged in (False, True):
        group = [d for d in drafts if (d.merge_into is not None) == merged]
        for draft in group:
            if merged:
                target = drafts[draft.merge_into].case.pk
                draft.fields["merged_into_id"] = target
                for event in draft.events:
                    if event["action"] == "merge":
                        event["data"] = {"into": target}
            draft.case = Case(**draft.fields)
        Case.objects.bulk_create([d.case for d in group], batch_size=BATCH_SIZE)
    events = [CaseEvent(case_id=d.case.pk, **e) for d in drafts for e in d.events]
    CaseEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
    counts.cases += len(drafts)
    counts.events += len(events)
    counts.by_state.update(d.fields["state"] for d in drafts)


def _write_cases(layout: Layout, areas: dict[str, Area]) -> _CaseCounts:
    """A year of cases (cases.py), planned and inserted one grid at a time."""
    counts = _CaseCounts()
    context = CaseContext(
        categories={c.code: c for c in Category.objects.filter(is_active=True)},
        departments=dict(Department.objects.values_list("kind", "pk")),
        users=dict(User.objects.filter(is_demo=True).values_list("username", "pk")),
    )
    if not context.categories:
        return counts  # a database without the shipped categories: nothing to file under
    volumes = plan_case_volume(layout)
    residents = dict(RoleAssignment.objects.filter(role=Role.RESIDENT).values_list(
        "area__code", "household_id"))
    planner = CasePlanner(context, layout.seed)
    for grid in layout.grids:
        code = grid.area.code
        site = _case_site(grid, areas[code], residents.get(code))
        _insert_cases(planner.plan_grid(site, volumes[code]), counts)
        reset_queries()  # with DEBUG on, the log of big inserts would grow without bound
    return counts


# ------------------------------------------------------------------ areas and accounts


def _write_areas(layout: Layout) -> dict[str, Area]:
    by_code: dict[str, Area] = {}
    blocks = plan_blocks(layout)
    for level_plans in ((layout.district,), layout.streets, layout.communities,
                        tuple(g.area for g in layout.grids)):
        rows = []
        for a in level_plans:
            parent = by_code.get(a.parent_code)
            rows.append(Area(level=a.level, code=a.code, name=a.name, parent=parent,
                             path=f"{parent.path if parent else ''}{a.code}/",
                             outline=blocks[a.code].outline()))
        for area in Area.objects.bulk_create(rows, batch_size=BATCH_SIZE):
            by_code[area.code] = area
    return by_code


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    area_code: str
    totp_secret: str


def _write_accounts(accounts: list[AccountPlan], areas: dict[str, Area],
                    households: dict[tuple[str, int], int], seed: int
                    ) -> tuple[list[Login], int]:
    password = make_password(DEMO_PASSWORD)  # one Argon2 hash for every demo account
    users = User.objects.bulk_create([
        User(username=a.username, password=password, display_name=a.display_name,
             is_demo=True, is_active=True)
        for a in accounts
    ], batch_size=BATCH_SIZE)
    district = areas[DISTRICT_CODE]
    departments = {
        d.kind: d for d in Department.objects.bulk_create([
            Department(code=f"{kind}-{DISTRICT_CODE}", name=name, kind=kind, area=district)
            for kind, name, _ in names.DEPARTMENTS
        ])
    }
    RoleAssignment.objects.bulk_create([
        RoleAssignment(user=user, role=a.role, area=areas[a.area_code],
                       department=departments.get(a.department_kind),
                       household_id=households[a.household] if a.household else None)
        for user, a in zip(users, accounts, strict=True)
    ], batch_size=BATCH_SIZE)
    Membership = Department.members.through
    Membership.objects.bulk_create([
        Membership(department_id=departments[a.department_kind].pk, user_id=user.pk)
        for user, a in zip(users, accounts, strict=True) if a.department_kind
    ])
    logins = []
    for user, a in zip(users, accounts, strict=True):
        # Granting a role is a change like any other: each one is on the audit trail.
        do_record_audit(
            action=AuditEntry.Action.CREATE, object_type="role_assignment",
            object_id=user.pk, object_repr=f"{user.username} · {a.role}",
            area_path=areas[a.area_code].path,
            changes={"username": user.username, "role": a.role, "area": a.area_code,
                     "via": "demo"},
        )
        secret = ""
        if a.role in SECOND_FACTOR_ROLES:
            device = TOTPDevice.objects.create(user=user, name="WarmGrid demo",
                                               key=totp_key(seed, a.username).hex(),
                                               confirmed=True)
            secret = base64.b32encode(device.bin_key).decode()
        logins.append(Login(role=a.role, username=a.username, area_code=a.area_code,
                            totp_secret=secret))
    return logins, len(departments)


def write_logins_csv(path: Path, logins: list[Login]) -> None:
    """The demo accounts for people trying the demo; readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(LOGINS_COLUMNS)
        for login in logins:
            writer.writerow([login.role, login.username, login.area_code, DEMO_PASSWORD,
                             login.totp_secret])


def default_logins_path() -> Path:
    return Path(settings.VAR_DIR) / LOGINS_FILE


def build_demo_district(*, households: int, seed: int, progress: Progress | None = None,
                        logins_path: Path | None = None) -> DemoSummary:
    """Build the demo district into an empty registry and write its logins file.

    `progress(done, total)` is called after every grid with the households written so
    far. The caller decides whether the database may be filled (see `existing_data`).
    """
    started = time.perf_counter()
    layout = plan_layout(households=households, seed=seed)
    accounts = plan_accounts(layout)
    own_households: dict[tuple[str, int], int] = {}
    with transaction.atomic():
        areas = _write_areas(layout)
        writer = GridWriter(dict(Tag.objects.values_list("code", "id")))
        for plan in iter_grid_plans(layout):
            household_ids = writer.write(plan, areas[plan.layout.area.code])
            account = resident_account(plan)
            if account is not None and account.household is not None:
                accounts.append(account)
                own_households[account.household] = household_ids[account.household[1]]
            if progress is not None:
                progress(writer.counts.households, households)
            reset_queries()  # with DEBUG on, the log of big inserts would grow without bound
        logins, n_departments = _write_accounts(accounts, areas, own_households, seed)
        cases = _write_cases(layout, areas)
        duty = write_duty_and_units(seed)  # each second unit adds a "units" step
        do_refresh_grid_tallies()
        counts = writer.counts
        summary = DemoSummary(
            households=counts.households, seed=seed, areas=len(areas),
            streets=len(layout.streets), communities=len(layout.communities),
            grids=len(layout.grids), buildings=counts.buildings, residents=counts.residents,
            tags=counts.tags, field_bases=counts.field_bases, accounts=len(logins),
            departments=n_departments, seconds=0.0, logins_path=None,
            cases=cases.cases, case_events=cases.events + duty.case_units,
            open_cases=cases.open_cases,
        )
        do_record_audit(
            action=AuditEntry.Action.SYSTEM, object_type="demo", object_id=seed,
            object_repr=f"{names.DISTRICT_NAME} demo district (seed {seed})",
            area_path=areas[DISTRICT_CODE].path, changes=summary.counts(),
        )
    path = logins_path or default_logins_path()
    write_logins_csv(path, logins)
    return dataclasses.replace(summary, seconds=time.perf_counter() - started,
                               logins_path=path)


# ------------------------------------------------------------ existing data, wiping


@dataclass(frozen=True)
class ExistingData:
    areas: int
    other_users: int  # accounts that are not demo accounts
    demo_users: int


def existing_data() -> ExistingData:
    return ExistingData(
        areas=Area.objects.count(),
        other_users=User.objects.filter(is_demo=False).count(),
        demo_users=User.objects.filter(is_demo=True).count(),
    )


def _delete_all_rows(model: type[models.Model]) -> None:
    """One DELETE for a whole table: the ORM's collector would load every row first."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a table name from model metadata


def wipe_demo_data() -> None:
    """Delete the registry (every area and all that hangs on it), its cases and the demo
    accounts.

    Accounts that are not demo accounts are kept; their role assignments go with the
    areas. Foreign keys are checked at commit, so the big tables go in one statement each.
    Cases go first: they hold on to departments, which the ORM deletes row by row.
    """
    with transaction.atomic():
        from warmgrid.assessment.models import Exclusion  # holds on to cases and accounts
        from warmgrid.warmth.models import (  # hold on to areas and households
            CommunityRecord,
            Invitation,
            Response,
            Submission,
            Wave,
            WaveCommunity,
        )

        for model in (Exclusion, CaseUnit, DutyShift, CaseEvent, Case, Submission, Response,
                      Invitation, WaveCommunity, Wave, CommunityRecord):
            _delete_all_rows(model)
        RoleAssignment.objects.all().delete()
        Department.objects.all().delete()
        User.objects.filter(is_demo=True).delete()
        for model in (GridTally, ResidentTag, SensitiveFieldBasis, Resident, Household,
                      Building, Area):
            _delete_all_rows(model)
