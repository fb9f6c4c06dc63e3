"""`warmgrid demo`: the map (building coordinates, area blocks) and a year of cases."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
import re
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from warmgrid.accounts.models import Department, User
from warmgrid.audit.models import AuditEntry
from warmgrid.cases.models import Case, CaseEvent, Category
from warmgrid.cases.taxonomy import CATEGORIES, PRIVATE
from warmgrid.demo import names
from warmgrid.demo.cases import (
    BACKLOG_STATES,
    FIRST_DAY,
    REFERENCE_TIME,
    SHANGHAI,
    CaseContext,
    CasePlanner,
    GridSite,
    GridVolume,
    SiteBuilding,
    SiteHousehold,
    _day_weights,
    plan_case_volume,
)
from warmgrid.demo.plan import plan_blocks, plan_layout
from warmgrid.lib.casestates import CLOSED, OPEN_STATES, TRANSITIONS
from warmgrid.lib.geojson import check_outline
from warmgrid.places.models import Area, Building

HOUSEHOLDS = 600
SEED = 7
START_STATES = {"triage", "dispatched"}  # where cases.actions files a new report
NO_MOVE = {"note", "rate", "units"}  # events that leave the state as it is


def build(**options) -> str:
    out = StringIO()
    call_command("demo", households=HOUSEHOLDS, seed=SEED, stdout=out, stderr=StringIO(),
                 **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def district(django_db_setup, django_db_blocker, tmp_path_factory):
    """One build for the module, rolled back at its end so other modules start empty."""
    with (django_db_blocker.unblock(),
          override_settings(VAR_DIR=tmp_path_factory.mktemp("var")),
          transaction.atomic()):
        yield build()
        transaction.set_rollback(True)


@pytest.fixture
def demo(district, db):
    return district


def histories() -> dict[int, list[CaseEvent]]:
    events = defaultdict(list)
    for event in CaseEvent.objects.order_by("at", "id"):
        events[event.case_id].append(event)
    return events


def local_month(at: dt.datetime) -> int:
    return at.astimezone(SHANGHAI).month


def metres(lat1, lon1, lat2, lon2) -> float:
    dy = (float(lat1) - float(lat2)) * 111_320
    dx = (float(lon1) - float(lon2)) * 111_320 * math.cos(math.radians(float(lat1)))
    return math.hypot(dx, dy)


# ------------------------------------------------------------------ the map


def test_every_building_stands_in_its_grids_block_inside_the_district(demo):
    blocks = plan_blocks(plan_layout(households=HOUSEHOLDS, seed=SEED))
    district = blocks["370102"]
    assert abs(district.south + district.north - 2 * 36.65) < 0.01
    assert abs(district.west + district.east - 2 * 117.02) < 0.01
    grids = {a.pk: a for a in Area.objects.filter(level="grid")}
    by_grid = defaultdict(list)
    for building in Building.objects.all():
        assert building.latitude is not None and building.longitude is not None
        lat, lon = float(building.latitude), float(building.longitude)
        assert district.contains(lat, lon)
        assert blocks[grids[building.grid_id].code].contains(lat, lon)
        by_grid[building.grid_id].append(building)
    for buildings in by_grid.values():
        spread = max(metres(a.latitude, a.longitude, b.latitude, b.longitude)
                     for a in buildings for b in buildings)
        assert spread < 320


def test_areas_are_contiguous_blocks_with_outlines(demo):
    areas = list(Area.objects.all())
    blocks = plan_blocks(plan_layout(households=HOUSEHOLDS, seed=SEED))
    for area in areas:
        assert area.outline == blocks[area.code].outline()
        check_outline(area.outline)
    for level, parent_level in (("street", "district"), ("community", "street"),
                                ("grid", "community")):
        for parent in (a for a in areas if a.level == parent_level):
            children = [blocks[a.code] for a in areas
                        if a.level == level and a.parent_id == parent.pk]
            whole = blocks[parent.code]
            # Children tile their parent: the same area, no overlaps, nothing outside.
            area = sum((c.north - c.south) * (c.east - c.west) for c in children)
            assert area == pytest.approx((whole.north - whole.south)
                                         * (whole.east - whole.west))
            for i, a in enumerate(children):
                assert whole.contains(a.south, a.west) and whole.contains(a.north, a.east)
                for b in children[i + 1:]:
                    overlap_ns = min(a.north, b.north) - max(a.south, b.south)
                    overlap_ew = min(a.east, b.east) - max(a.west, b.west)
                    assert overlap_ns <= 1e-12 or overlap_ew <= 1e-12


# ------------------------------------------------------------------ volume and shape


def test_it_files_about_one_case_a_year_per_four_households(demo):
    n = Case.objects.count()
    assert abs(n - HOUSEHOLDS / 4) <= HOUSEHOLDS / 40
    entry = AuditEntry.objects.get(object_type="demo")
    assert entry.changes["cases"] == n
    assert entry.changes["case_events"] == CaseEvent.objects.count()
    assert entry.changes["open_cases"] == Case.objects.filter(state__in=OPEN_STATES).count()
    assert AuditEntry.objects.filter(object_type="case").count() == 0
    assert f"{n:,}" in demo
    first = FIRST_DAY
    for at in Case.objects.values_list("created_at", flat=True):
        assert first <= at.astimezone(SHANGHAI).date() and at < REFERENCE_TIME


def test_drainage_peaks_in_the_summer_rains_and_heating_in_winter(demo):
    months = Counter()
    for at, code in Case.objects.exclude(category=None).values_list("created_at",
                                                                    "category__code"):
        months[code, local_month(at)] += 1
    assert months["drainage", 7] + months["drainage", 8] > \
        months["drainage", 1] + months["drainage", 2]
    heating = [local_month(at) for at in Case.objects.filter(
        description__regex="暖气|供暖").values_list("created_at", flat=True)]
    assert heating and set(heating) <= {10, 11, 12, 1, 2, 3}


def test_each_topic_has_its_season_and_each_channel_its_hours():
    def share(topic_code: str, months: set[int], office: bool = False) -> float:
        topic = next(t for t in names.CASE_TOPICS if t.code == topic_code)
        weights = _day_weights(topic, office)
        days = [weights[0], *(b - a for a, b in itertools.pairwise(weights))]
        inside = sum(w for i, w in enumerate(days)
                     if (FIRST_DAY + dt.timedelta(days=i)).month in months)
        return inside / weights[-1]

    assert share("drainage_rain", {7, 8}) > 0.6
    assert share("heating", {11, 12}) > 0.5 and share("heating", {5, 6, 7, 8, 9}) == 0
    assert share("noise_summer", {6, 7, 8}) > 0.5
    festival = {FIRST_DAY + dt.timedelta(days=i) for i in range(365)
                if abs((FIRST_DAY + dt.timedelta(days=i) - dt.date(2026, 2, 17)).days) <= 16}
    assert {d.month for d in festival} <= {1, 2, 3}
    assert share("garbage_festival", {1, 2, 3}) == pytest.approx(1)
    topic = names.CASE_TOPICS[0]
    office = _day_weights(topic, True)
    weekday_share = sum(
        b - a for i, (a, b) in enumerate(itertools.pairwise([0.0, *office]))
        if (FIRST_DAY + dt.timedelta(days=i)).weekday() < 5) / office[-1]
    assert weekday_share > 0.85


def test_grids_differ_in_their_rates():
    layout = plan_layout(households=20000, seed=2026)
    volumes = plan_case_volume(layout)
    assert sum(v.cases for v in volumes.values()) == 5000
    rates = sorted(v.rate for v in volumes.values())
    median = rates[len(rates) // 2]
    assert 2 <= rates[-1] / median <= 4 and rates[-1] / rates[0] >= 3
    old = [v.rate for v in volumes.values() if v.era == "old"]
    new = [v.rate for v in volumes.values() if v.era == "new"]
    assert sum(old) / len(old) > 1.4 * sum(new) / len(new)


def test_channels_and_reporters_fit_the_brief(demo):
    cases = list(Case.objects.select_related("reporter", "grid"))
    channels = Counter(c.channel for c in cases)
    n = len(cases)
    assert 0.33 <= channels["resident"] / n <= 0.57
    assert 0.2 <= channels["grid_worker"] / n <= 0.4
    assert channels["phone"] and channels["hotline_12345"]
    residents = set(User.objects.filter(username__startswith="res-")
                    .values_list("username", flat=True))
    numbers = set()
    for case in cases:
        grid = case.grid.code
        if case.channel == "grid_worker":
            assert case.reporter.username in {f"gw-{grid}-1", f"gw-{grid}-2"}
        elif case.channel == "resident":
            expected = f"res-{grid}" if f"res-{grid}" in residents else None
            assert getattr(case.reporter, "username", None) == expected
        else:
            assert case.reporter is None
        if case.channel == "hotline_12345":
            assert re.fullmatch(r"SD12345-20\d\d-\d{7}", case.external_id)
            numbers.add(case.external_id)
        else:
            assert case.external_id == ""
        assert "{" not in case.description and len(case.description) >= 12
    assert len(numbers) == channels["hotline_12345"]
    assert 0 < sum(c.anonymous for c in cases) < 0.15 * n


# ------------------------------------------------------------------ lives of cases


def test_every_history_is_a_valid_path_that_ends_in_the_cases_state(demo):
    events = histories()
    for case in Case.objects.all():
        history = events[case.pk]
        report = history[0]
        assert (report.action, report.from_state) == ("report", "")
        assert report.to_state in START_STATES
        assert report.at == case.created_at
        state = report.to_state
        for previous, event in itertools.pairwise(history):
            assert event.at >= previous.at, case.pk
            assert event.from_state == state, (case.pk, event)
            if event.action in NO_MOVE:
                assert event.to_state == state
            else:
                assert TRANSITIONS[(state, event.action)] == event.to_state, (case.pk, event)
            state = event.to_state
        assert state == case.state, case.pk
        assert history[-1].at < REFERENCE_TIME


def test_fields_agree_with_the_history(demo):
    events = histories()
    matching = dispatched = 0
    for case in Case.objects.select_related("category", "merged_into"):
        history = events[case.pk]
        last_of = {e.action: e for e in history}
        accepts = [e for e in history if e.action == "accept"]
        if case.state == CLOSED:
            assert case.outcome and case.result
            closing = history[-1] if history[-1].action != "rate" else [
                e for e in history if e.action in ("close", "check_pass")][-1]
            assert closing.action in ("close", "check_pass")
            assert case.closed_at == closing.at
            assert case.resolved_at == last_of["resolve"].at <= case.closed_at
            assert closing.action == ("check_pass" if case.category.needs_check else "close")
        else:
            assert case.closed_at is None
        if case.state == "resolved":
            assert case.outcome and case.resolved_at == last_of["resolve"].at
        if case.state in ("triage", "dispatched", "merged") and not accepts:
            assert case.responded_at is None and case.assignee_id is None
        if accepts:
            assert case.responded_at == accepts[0].at
            assert case.responded_at >= case.created_at
        if case.state == "merged":
            assert case.merged_into.created_at <= case.created_at
            assert case.merged_into.grid_id == case.grid_id
            assert last_of["merge"].data == {"into": case.merged_into_id}
        if case.state not in ("triage", "merged", "reported"):
            assert case.category is not None
            assert case.first_response_due > case.created_at
            assert case.resolve_due >= case.first_response_due
            dispatched += 1
            matching += case.suggested_category_id == case.category_id
            assert (case.suggestion_confidence is None) == (case.suggested_category_id is None)
    assert matching / dispatched > 0.75


def test_departments_lead_their_categories(demo):
    departments = {d.pk: d.kind for d in Department.objects.all()}
    for case in Case.objects.exclude(category=None).filter(
            state__in=["dispatched", "in_progress", "waiting_resident", "resolved", "closed"]
    ).select_related("category"):
        kind = case.category.unit_kind
        if kind in departments.values():
            assert departments.get(case.lead_department_id) == kind or any(
                e.action == "transfer" for e in case.events.all()), case.pk
        else:
            assert case.lead_department_id is None and case.routing_note == "area_team"


def test_most_closed_cases_are_fixed_and_some_are_not(demo):
    outcomes = Counter(Case.objects.filter(state=CLOSED).values_list("outcome", flat=True))
    n = sum(outcomes.values())
    assert 0.7 <= outcomes["fixed"] / n <= 0.9
    assert outcomes["not_fixed"] and outcomes["partly_fixed"]
    assert set(outcomes) <= set(Case.Outcome.values)


def test_some_cases_are_open_in_every_open_state_and_some_are_overdue(demo):
    states = Counter(Case.objects.values_list("state", flat=True))
    for state in BACKLOG_STATES:
        assert states[state] >= 1, state
    open_cases = Case.objects.filter(state__in=OPEN_STATES)
    assert open_cases.count() < 0.15 * Case.objects.count()
    assert open_cases.filter(resolve_due__lt=REFERENCE_TIME).exists()
    assert states[CLOSED] > 0.8 * Case.objects.count()


def test_ratings_are_only_on_closed_or_reopened_cases(demo):
    events = histories()
    rated = Case.objects.exclude(rating=None)
    assert rated.count() > 0.3 * Case.objects.filter(channel="resident",
                                                     state=CLOSED).count()
    for case in rated:
        assert 1 <= case.rating <= 5
        assert case.channel == "resident"
        actions = [e.action for e in events[case.pk]]
        assert case.state == CLOSED or "reopen" in actions
        last_rating = [e for e in events[case.pk] if e.action == "rate"][-1]
        assert last_rating.data == {"rating": case.rating}
    for case in Case.objects.filter(rating=None):
        assert "rate" not in [e.action for e in events[case.pk]]
    for reopen in CaseEvent.objects.filter(action="reopen"):
        assert reopen.data["rating"] <= 2


def test_every_case_is_placed_in_its_grid(demo):
    grids = {a.pk: a for a in Area.objects.filter(level="grid")}
    buildings = {b.pk: b for b in Building.objects.all()}
    for case in Case.objects.select_related("household"):
        grid = grids[case.grid_id]
        assert case.area_path == grid.path
        building = buildings[case.building_id]
        assert building.grid_id == case.grid_id
        assert case.address.startswith(building.address)
        if case.household is not None:
            assert case.household.building_id == building.pk
            assert case.address.endswith(f"{case.household.unit}单元{case.household.room}室")
        assert metres(case.latitude, case.longitude, building.latitude,
                      building.longitude) < 10


def test_lift_cases_are_in_buildings_with_lifts(demo):
    for floors in Case.objects.filter(category__code="lift").values_list(
            "building__floor_count", flat=True):
        assert floors >= 8


# ------------------------------------------------------------------ determinism, rebuilds


def cases_snapshot() -> str:
    users = dict(User.objects.values_list("pk", "username"))
    rows = sorted(
        (c.building.code, c.household.unit if c.household else "",
         c.household.room if c.household else "", c.created_at.isoformat(), c.description,
         c.state, c.channel, c.external_id, getattr(c.category, "code", None), c.outcome,
         c.rating, str(c.latitude), str(c.longitude), users.get(c.reporter_id),
         users.get(c.assignee_id),
         tuple((e.action, e.at.isoformat(), users.get(e.actor_id), e.note)
               for e in c.events.all()))
        for c in Case.objects.select_related("building", "household", "category")
        .prefetch_related("events")
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_a_forced_rebuild_gives_the_same_cases(demo):
    before = cases_snapshot()
    coordinates = sorted(Building.objects.values_list("code", "latitude", "longitude"))
    output = build(force=True)
    assert f"{Case.objects.count():,}" in output
    assert cases_snapshot() == before
    assert sorted(Building.objects.values_list("code", "latitude", "longitude")) == coordinates
    assert AuditEntry.objects.filter(object_type="demo").count() == 2


def synthetic_grid(code: str = "370102001001001") -> tuple[CaseContext, GridSite]:
    """The shipped categories and one grid of two walk-ups and two towers, unsaved."""
    categories = {spec.code: Category(
        pk=i, code=spec.code, name=spec.name, name_en=spec.name_en,
        response_hours=spec.response_hours, resolve_days=spec.resolve_days,
        priority=spec.priority, needs_check=spec.needs_check, unit_kind=spec.unit_kind,
        is_public=spec.code not in PRIVATE) for i, spec in enumerate(CATEGORIES, start=1)}
    kinds = ("police", "fire", "civil_affairs", "urban_management", "property")
    context = CaseContext(categories=categories,
                          departments={k: i for i, k in enumerate(kinds, start=1)},
                          users={"dh-property": 10, "dh-urban": 11, "dh-police": 12,
                                 "dh-fire": 13, "dh-civil": 14, f"gw-{code}-1": 20,
                                 f"gw-{code}-2": 21, f"gl-{code}": 22})
    floors = (6, 6, 18, 18)
    buildings = tuple(SiteBuilding(b + 1, f"{b + 1}号楼", f"暖城区和平路1号幸福家园{b + 1}号楼",
                                   f, 2, None, None) for b, f in enumerate(floors))
    households = tuple(
        SiteHousehold(len(floors) * 100 + i, b, str(unit), f"{floor}0{room}")
        for i, (b, unit, floor, room) in enumerate(
            (b, unit, floor, room) for b, f in enumerate(floors) for unit in (1, 2)
            for floor in range(1, f + 1) for room in (1, 2)))
    return context, GridSite(grid_id=1, code=code, path="370102/", estate="幸福家园",
                             road="和平路", community_code=code[:12], buildings=buildings,
                             households=households)


def test_the_planner_is_deterministic_without_a_database():
    context, site = synthetic_grid()
    volume = GridVolume(era="mid", rate=1.0, cases=120, backlog=4)

    def plan():
        drafts = CasePlanner(context, SEED).plan_grid(site, volume)
        return [(d.fields, d.events) for d in drafts]

    first = plan()
    assert first == plan()
    assert len(first) == volume.cases
    assert first != [(d.fields, d.events)
                     for d in CasePlanner(context, SEED + 1).plan_grid(site, volume)]


def test_old_estates_report_more_lift_and_drainage_and_some_buildings_keep_reporting():
    context, site = synthetic_grid()
    ids = {c.pk: c.code for c in context.categories.values()}

    def share(era: str) -> float:
        drafts = CasePlanner(context, SEED).plan_grid(
            site, GridVolume(era=era, rate=1.0, cases=1500, backlog=0))
        codes = [ids.get(d.fields.get("category_id")) for d in drafts]
        return sum(code in ("lift", "drainage") for code in codes) / len(codes)

    assert share("old") > 1.4 * share("new")

    towers = {b.pk for b in site.buildings if b.floors >= 8}
    repeated = 0
    for n in range(20):
        context, site = synthetic_grid(f"370102001001{n:03d}")
        drafts = CasePlanner(context, SEED).plan_grid(
            site, GridVolume(era="mid", rate=1.0, cases=120, backlog=0))
        # A home that reports the same problem again and again, over the year.
        homes = Counter((d.fields["household_id"], d.fields.get("category_id"))
                        for d in drafts if d.fields["household_id"])
        repeated += max(homes.values()) >= 4
        for d in drafts:
            if ids.get(d.fields.get("category_id")) == "lift":
                assert d.fields["building_id"] in towers
    assert 2 <= repeated <= 15
