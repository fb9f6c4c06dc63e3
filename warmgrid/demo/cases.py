"""A year of events (事件) in the demo district, with the whole history of each.

Planned grid by grid once the district's people and accounts are written (the generator
loads each grid's buildings and households, asks for its cases and writes them), so
memory stays flat from 600 to 400,000 households. For each grid the planner draws what
was reported, where, by whom and when, then lives each case through the state machine
(warmgrid.lib.casestates): report → dispatch → accept → resolve → close or 核查, with
misroutes sent back, waits for the resident, failed checks, ratings and reopenings,
cut off at the demo's reference time, so the state, the fields and the history agree.

Volume: one case a year per four households, split over grids by a per-grid rate (old
estates and a few troubled grids report two to three times as much as new ones). Timing:
each topic has its months (drainage in the July–August rains, heating from mid-November,
rubbish around the Spring Festival, noise on summer nights), each channel its days and
hours (grid workers on weekday patrols, residents in the evening). A few cases per grid
are held open at each stage, as every real desk has a backlog.

Every draw comes from random.Random streams seeded by the demo seed and the grid, so the
same seed gives the same cases. No per-case audit entries: the build's summary entry
counts them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import accumulate
from typing import TYPE_CHECKING

from warmgrid.demo import names
from warmgrid.demo.names import CaseTopic
from warmgrid.demo.people import REFERENCE_DATE
from warmgrid.demo.plan import Layout, seeded_rng, split_total
from warmgrid.lib import casestates
from warmgrid.lib.casestates import DISPATCHED, IN_PROGRESS, RESOLVED, TRIAGE, WAITING

if TYPE_CHECKING:
    from warmgrid.cases.models import Case, Category

# Asia/Shanghai has kept UTC+8 without summer time since 1991: a fixed offset is exact.
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "CST")
# The demo's "now": cases are reported over the 365 days before it and cut off at it.
REFERENCE_TIME = dt.datetime.combine(REFERENCE_DATE, dt.time(0), tzinfo=SHANGHAI)
FIRST_DAY = REFERENCE_DATE - dt.timedelta(days=365)
YEAR_DAYS = 365
CASES_PER_HOUSEHOLD = 0.25

SPRING_FESTIVAL = dt.date(2026, 2, 17)
FESTIVAL_DAYS = range(-10, 17)  # days around it when festival rubbish piles up
# Days offices are closed in the demo year (State Council notice for 2026), besides weekends.
OFFICE_HOLIDAYS = (
    (dt.date(2026, 1, 1), dt.date(2026, 1, 3)), (dt.date(2026, 2, 15), dt.date(2026, 2, 23)),
    (dt.date(2026, 4, 4), dt.date(2026, 4, 6)), (dt.date(2026, 5, 1), dt.date(2026, 5, 5)),
    (dt.date(2026, 6, 19), dt.date(2026, 6, 21)), (dt.date(2026, 9, 25), dt.date(2026, 9, 27)),
    (dt.date(2026, 10, 1), dt.date(2026, 10, 7)),
)
# Working hours and days as calendar time, roughly: nights and weekends stretch them.
CALENDAR_STRETCH = 1.4

CHANNELS = (("resident", 45), ("grid_worker", 30), ("phone", 10), ("hotline_12345", 12),
            ("api", 2), ("open311", 1))
OFFICE_CHANNELS = frozenset({"grid_worker", "phone"})  # report in working hours
STAFF_CHANNELS = frozenset({"grid_worker", "phone", "hotline_12345"})  # a person files it
MAY_BE_ANONYMOUS = frozenset({"resident", "hotline_12345", "open311"})
OUTCOMES = (("fixed", 80), ("partly_fixed", 7), ("not_fixed", 5), ("not_ours", 5),
            ("unreasonable", 3))
# A rating's weights for 1 … 5 by outcome: skewed positive, lower when not fixed.
RATINGS = {
    "fixed": (1, 2, 6, 28, 63), "partly_fixed": (6, 14, 32, 33, 15),
    "not_fixed": (30, 30, 25, 10, 5), "not_ours": (12, 18, 35, 22, 13),
    "unreasonable": (35, 30, 20, 10, 5),
}
RATED_SHARE = 0.8  # of closed cases a resident reported
UNHAPPY = 2  # a rating at or below this reopens the case (see cases.actions)

ERAS = (("old", 35), ("mid", 40), ("new", 25))  # when a community's estate was built
ERA_RATE = {"old": 1.6, "mid": 1.0, "new": 0.7}
TROUBLED_SHARE = 0.12  # grids reporting twice as much as their estate's age suggests
TROUBLED_RATE = 1.8
RECURRING_SHARE = 0.35  # grids with one building whose problem keeps coming back
RECURRING_TOPICS = ("water_leak", "sewer_blocked", "lift_fault", "noise_neighbour",
                    "fire_exit", "garbage_overflow", "property_service", "parking")
DUPLICATE_SHARE = 0.1  # of reports that look for an earlier one of the same problem
BACKLOG_SHARE = 0.03  # of a grid's cases, held open at one stage each
BACKLOG_STATES = (TRIAGE, DISPATCHED, IN_PROGRESS, WAITING, RESOLVED)
LIFT_FLOORS = 8  # buildings this tall have lifts

# Categories a classifier or a dispatcher mistakes for each other.
CONFUSED = {
    "garbage": "sanitation", "sanitation": "garbage", "drainage": "property",
    "property": "drainage", "noise": "neighbour_dispute", "neighbour_dispute": "noise",
    "family_conflict": "neighbour_dispute", "fire_exit": "safety", "safety": "fire_exit",
    "lift": "property", "gas": "safety", "road_lamp": "municipal", "municipal": "road_lamp",
    "traffic": "public_order", "public_order": "neighbour_dispute",
    "social_assistance": "health", "labour": "social_assistance",
    "education": "social_assistance", "health": "social_assistance",
    "illegal_building": "property",
}
# Where a department passes on (转办) what turns out to need another.
TRANSFERS = {"property": "urban_management", "urban_management": "property",
             "fire": "property", "police": "urban_management"}


# ------------------------------------------------------------------ what a grid looks like


@dataclass(frozen=True)
class GridVolume:
    era: str
    rate: float  # relative to the district's mean per household
    cases: int
    backlog: int  # of them held open at a stage


def plan_case_volume(layout: Layout) -> dict[str, GridVolume]:
    """How many cases each grid gets: exactly a quarter of the households in all."""
    rng = seeded_rng(layout.seed, "case-volume")
    era_of = {c.code: rng.choices([e for e, _ in ERAS], weights=[w for _, w in ERAS])[0]
              for c in layout.communities}
    troubled = set(rng.sample(range(len(layout.grids)),
                              max(1, round(len(layout.grids) * TROUBLED_SHARE))))
    rates = []
    for index, grid in enumerate(layout.grids):
        noise = min(1.4, max(0.7, math.exp(rng.gauss(0, 0.2))))
        rate = ERA_RATE[era_of[grid.area.parent_code]] * noise
        rates.append(rate * TROUBLED_RATE if index in troubled else rate)
    weights = [max(g.households, 1) * r for g, r in zip(layout.grids, rates, strict=True)]
    counts = split_total(round(layout.households * CASES_PER_HOUSEHOLD), weights)
    mean = sum(weights) / sum(max(g.households, 1) for g in layout.grids)
    return {
        g.area.code: GridVolume(era=era_of[g.area.parent_code], rate=r / mean, cases=n,
                                backlog=math.ceil(n * BACKLOG_SHARE))
        for g, r, n in zip(layout.grids, rates, counts, strict=True)
    }


@dataclass(frozen=True)
class SiteBuilding:
    pk: int
    name: str
    address: str
    floors: int
    units: int
    latitude: Decimal | None
    longitude: Decimal | None


@dataclass(frozen=True)
class SiteHousehold:
    pk: int
    building: int  # index into GridSite.buildings
    unit: str
    room: str


@dataclass(frozen=True)
class GridSite:
    """One grid as written: its buildings (by code) and households (in plan order)."""

    grid_id: int
    code: str
    path: str
    community_code: str
    estate: str
    road: str
    buildings: tuple[SiteBuilding, ...]
    households: tuple[SiteHousehold, ...]
    resident_household: int | None = None  # index of the demo resident account's home


@dataclass(frozen=True)
class CaseContext:
    """What the whole district shares: categories, departments, demo accounts."""

    categories: dict[str, Category]  # active ones, by code
    departments: dict[str, int]  # kind → pk
    users: dict[str, int]  # demo username → pk

    def handler_of(self, kind: str) -> int | None:
        username = next((u for k, _, u in names.DEPARTMENTS if k == kind), None)
        return self.users.get(username) if username else None


@dataclass
class CaseDraft:
    fields: dict
    events: list[dict] = field(default_factory=list)
    merge_into: int | None = None  # index of an earlier draft of the same grid
    case: Case | None = None


def _era_weight(topic: CaseTopic, era: str) -> float:
    return topic.weight * {"old": topic.old_estates, "new": topic.new_estates}.get(era, 1.0)


# ------------------------------------------------------------------ when things happen


def _is_office_holiday(day: dt.date) -> bool:
    return day.weekday() >= 5 or any(a <= day <= b for a, b in OFFICE_HOLIDAYS)


@cache
def _day_weights(topic: CaseTopic, office: bool) -> list[float]:
    """Cumulative weights of the year's days for one topic and kind of channel."""
    weights = []
    for i in range(YEAR_DAYS):
        day = FIRST_DAY + dt.timedelta(days=i)
        w = topic.months[day.month - 1]
        if (day - SPRING_FESTIVAL).days in FESTIVAL_DAYS:
            w += topic.festival
        if office:
            w *= 0.2 if _is_office_holiday(day) else 1.0
        elif day.weekday() >= 5:
            w *= topic.weekend
        weights.append(w)
    return list(accumulate(weights))


@cache
def _hour_weights(profile: str) -> list[float]:
    return list(accumulate(names.HOUR_WEIGHTS[profile]))


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    return bisect.bisect_right(cumulative, rng.random() * cumulative[-1])


def _report_time(rng: random.Random, topic: CaseTopic, channel: str) -> dt.datetime:
    office = channel in OFFICE_CHANNELS
    day = FIRST_DAY + dt.timedelta(days=_pick(rng, _day_weights(topic, office)))
    hour = _pick(rng, _hour_weights("office" if office else topic.hours))
    local = dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)
    return local + dt.timedelta(seconds=rng.randrange(3600))


def _hours(value: float) -> dt.timedelta:
    return dt.timedelta(hours=value)


def _working_time(rng: random.Random, t: dt.datetime, weekend_share: float = 0.3
                  ) -> dt.datetime:
    """When an office gets to something: nights wait for the morning, most weekends for
    Monday."""
    local = t.astimezone(SHANGHAI)
    opens = local.replace(hour=8, minute=30, second=0, microsecond=0)
    moved = False
    if local.hour >= 18:
        opens += dt.timedelta(days=1)
        moved = True
    elif local < opens:
        moved = True
    if opens.weekday() >= 5 and rng.random() > weekend_share:
        opens += dt.timedelta(days=7 - opens.weekday())
        moved = True
    if not moved:
        return t
    return opens + dt.timedelta(minutes=rng.uniform(0, 120))


def _daytime(rng: random.Random, t: dt.datetime) -> dt.datetime:
    """Handlers finish work in the day: a time at night moves to the next morning."""
    local = t.astimezone(SHANGHAI)
    if 8 <= local.hour < 21:
        return t
    morning = local.replace(hour=8, minute=0, second=0, microsecond=0)
    if local.hour >= 21:
        morning += dt.timedelta(days=1)
    return morning + dt.timedelta(minutes=rng.uniform(0, 180))


# ------------------------------------------------------------------ a case's life


class _History:
    """A case's fields and events, moved only by whitelisted transitions and only up to
    the reference time: whatever would happen later has not happened yet."""

    def __init__(self, draft: CaseDraft) -> None:
        self.draft = draft
        self.state = ""
        self.at: dt.datetime | None = None
        self.stopped = False

    def _event(self, at, action, actor, to_state, note, data) -> dt.datetime | None:
        if self.stopped or at >= REFERENCE_TIME:
            self.stopped = True
            return None
        at = max(at, self.at or at)  # never before the event it follows
        self.draft.events.append({"at": at, "actor_id": actor, "action": action,
                                  "from_state": self.state, "to_state": to_state,
                                  "note": note, "data": data or {}})
        self.at = at
        return at

    def _update(self, asked: dt.datetime, at: dt.datetime, updates: dict) -> None:
        # A field given the event's own time (resolved_at=at …) gets the time it happened.
        self.draft.fields.update({k: at if v is asked else v for k, v in updates.items()})

    def report(self, at: dt.datetime, state: str, actor: int | None, data: dict) -> None:
        self.state = ""
        self._event(at, "report", actor, state, "", data)
        self.draft.fields["state"] = self.state = state

    def move(self, at: dt.datetime, action: str, actor: int | None, note: str = "",
             data: dict | None = None, **updates) -> bool:
        if self.stopped:
            return False
        to_state = casestates.next_state(self.state, action)
        happened = self._event(at, action, actor, to_state, note, data)
        if happened is None:
            return False
        self.state = self.draft.fields["state"] = to_state
        self._update(at, happened, updates)
        return True

    def mark(self, at: dt.datetime, action: str, actor: int | None, note: str = "",
             data: dict | None = None, **updates) -> bool:
        """An event that is no move: a note, a rating."""
        happened = self._event(at, action, actor, self.state, note, data)
        if happened is None:
            return False
        self._update(at, happened, updates)
        return True


@dataclass
class _Report:
    at: dt.datetime
    topic: CaseTopic
    channel: str
    building: int
    household: int | None
    recurring: bool = False
    hold: str | None = None  # a backlog case: it stays in this state
    merge_into: int | None = None


class CasePlanner:
    """Plans the cases of one grid after another; hotline numbers and the turn of the
    backlog's stages carry over between grids."""

    def __init__(self, context: CaseContext, seed: int) -> None:
        self.context = context
        self.seed = seed
        self.topics = [t for t in names.CASE_TOPICS if t.category in context.categories]
        self.hotline_numbers: set[str] = set()
        self.backlog_turn = 0

    # ------------------------------------------------------------ what is reported

    def plan_grid(self, site: GridSite, volume: GridVolume) -> list[CaseDraft]:
        if not site.households or not self.topics or not volume.cases:
            return []
        rng = seeded_rng(self.seed, "cases", site.code)
        by_building: dict[int, list[int]] = {}
        for index, household in enumerate(site.households):
            by_building.setdefault(household.building, []).append(index)
        lifts = [i for i, b in enumerate(site.buildings) if b.floors >= LIFT_FLOORS
                 and i in by_building]
        topics = [t for t in self.topics if lifts or not t.needs_lift]
        topic_weights = list(accumulate(_era_weight(t, volume.era) for t in topics))

        recurring: tuple[CaseTopic, int, int | None, int] | None = None
        candidates = [t for t in topics if t.code in RECURRING_TOPICS]
        if rng.random() < RECURRING_SHARE and candidates:
            topic = rng.choice(candidates)
            building = rng.choice(lifts) if topic.needs_lift else \
                site.households[rng.randrange(len(site.households))].building
            home = rng.choice(by_building[building])
            recurring = (topic, building, home, min(volume.cases // 6, rng.randint(6, 14)))

        reports = []
        for n in range(volume.cases):
            if recurring is not None and n < recurring[3]:
                topic, building, home = recurring[:3]
                channel = self._channel(rng, topic)
                household = home if rng.random() < 0.7 else rng.choice(by_building[building])
                reports.append(_Report(_report_time(rng, topic, channel), topic, channel,
                                       building, household, recurring=True))
                continue
            topic = topics[_pick(rng, topic_weights)]
            channel = self._channel(rng, topic)
            if topic.needs_lift:
                building = rng.choice(lifts)
                household = rng.choice(by_building[building])
            else:
                household = rng.randrange(len(site.households))
                building = site.households[household].building
            if (channel == "resident" and site.resident_household is not None
                    and not topic.needs_lift and (topic.at_home or rng.random() < 0.3)):
                household = site.resident_household
                building = site.households[household].building
            if not topic.at_home and rng.random() < 0.65:
                household = None  # a place in the estate, not a home
            reports.append(_Report(_report_time(rng, topic, channel), topic, channel,
                                   building, household))
        self._hold_backlog(rng, reports, volume.backlog)
        reports.sort(key=lambda r: r.at)
        self._find_duplicates(rng, reports, by_building)
        return [self._draft(rng, site, report) for report in reports]

    def _hold_backlog(self, rng: random.Random, reports: list[_Report], n: int) -> None:
        """Hold a few recent reports open, one stage after another across the district.

        They are picked among the reports of the right age, so the year keeps its shape;
        a small grid without one of that age has a report moved into the window.
        """
        for _ in range(n):
            hold = BACKLOG_STATES[self.backlog_turn % len(BACKLOG_STATES)]
            self.backlog_turn += 1
            # Days before the reference time: long enough ago to have reached the stage.
            oldest, newest = (6, 1) if hold == TRIAGE else (28, 6) if hold == RESOLVED \
                else (28, 3)
            window = (REFERENCE_TIME - dt.timedelta(days=oldest),
                      REFERENCE_TIME - dt.timedelta(days=newest))
            free = [r for r in reports if r.hold is None and not r.recurring]
            if not free:
                return
            recent = [r for r in free if window[0] <= r.at <= window[1]]
            report = rng.choice(recent or free)
            report.hold = hold
            if not recent:
                report.at = window[0] + (window[1] - window[0]) * rng.random()

    def _channel(self, rng: random.Random, topic: CaseTopic) -> str:
        channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        if channel == "open311" and not self.context.categories[topic.category].is_public:
            return "resident"  # Open311 clients see public categories only
        return channel

    def _find_duplicates(self, rng: random.Random, reports: list[_Report],
                         by_building: dict[int, list[int]]) -> None:
        """Some reports repeat one made in the last five days: merged into it."""
        for i, report in enumerate(reports):
            if report.hold or rng.random() >= DUPLICATE_SHARE:
                continue
            for j in range(i - 1, -1, -1):
                earlier = reports[j]
                if report.at - earlier.at > dt.timedelta(days=5):
                    break
                if (earlier.topic is report.topic and earlier.merge_into is None
                        and earlier.hold is None):
                    report.merge_into = j
                    report.building = earlier.building
                    report.household = rng.choice(by_building[earlier.building]) \
                        if report.topic.at_home else None
                    break

    # ------------------------------------------------------------ the words

    def _describe(self, rng: random.Random, site: GridSite, report: _Report) -> str:
        building = site.buildings[report.building]
        if report.household is not None:
            home = site.households[report.household]
            unit, room = home.unit, home.room
        else:
            unit = str(rng.randint(1, max(building.units, 1)))
            room = f"{rng.randint(1, max(building.floors, 1))}{rng.randint(1, 2):02d}"
        floor, number = divmod(int(room), 100) if room.isdigit() else (1, 1)
        others = [b.name for b in site.buildings if b.name != building.name]
        slots = {
            "b": building.name, "b2": rng.choice(others) if others else "小区围墙",
            "u": unit, "r": room, "floor": floor,
            "up": f"{floor + 1}{number:02d}" if floor < building.floors else "邻居",
            "down": f"{floor - 1}{number:02d}" if floor > 1 else "邻居",
            "estate": site.estate, "road": site.road,
            "when": rng.choice(names.WHEN), "days": rng.choice(names.DAYS),
        }
        slots["spot"] = rng.choice(names.SPOTS).format_map(slots)
        staff_voice = report.channel in ("grid_worker", "api")
        text = rng.choice(report.topic.worker if staff_voice
                          else report.topic.resident).format_map(slots)
        if not staff_voice:
            if report.recurring and rng.random() < 0.6:
                text += names.AGAIN
            elif rng.random() < 0.3:
                text += rng.choice(names.RESIDENT_ENDINGS)
        if report.channel == "phone":
            return "居民来电反映：" + text
        if report.channel == "hotline_12345":
            return f"市民来电反映：{text}来电人诉求：{rng.choice(names.HOTLINE_ASKS)}"
        if report.channel == "api":
            return "【城市运行管理平台】" + text
        return text

    def _hotline_number(self, rng: random.Random, at: dt.datetime) -> str:
        """12345 ticket numbers run through the city's year; ours are a sparse share."""
        local = at.astimezone(SHANGHAI)
        day = local.timetuple().tm_yday
        while True:
            number = f"SD12345-{local.year}-{(day - 1) * 2800 + rng.randrange(2800) + 1:07d}"
            if number not in self.hotline_numbers:
                self.hotline_numbers.add(number)
                return number

    # ------------------------------------------------------------ the case

    def _draft(self, rng: random.Random, site: GridSite, report: _Report) -> CaseDraft:
        context = self.context
        users = context.users
        topic = report.topic
        category = context.categories[topic.category]
        building = site.buildings[report.building]
        household = site.households[report.household] \
            if report.household is not None else None

        reporter = None
        if report.channel == "grid_worker":
            reporter = users.get(f"gw-{site.code}-{1 if rng.random() < 0.6 else 2}")
        elif report.channel == "resident" and site.resident_household is not None:
            reporter = users.get(f"res-{site.code}")
        description = self._describe(rng, site, report)
        urgent = []
        if topic.urgent is not None:
            code, label, label_en, words = topic.urgent
            matched = next((w for w in words if w in description), words[0])
            urgent = [{"code": code, "label": label, "label_en": label_en,
                       "matched": matched}]
        address = building.address
        if household is not None:
            address += f"{household.unit}单元{household.room}室"
        latitude = longitude = None
        if building.latitude is not None and building.longitude is not None:
            # Where the phone was when the report was made: a few metres off the building.
            latitude = (building.latitude + Decimal(rng.randint(-45, 45)) / 1_000_000)
            longitude = (building.longitude + Decimal(rng.randint(-55, 55)) / 1_000_000)

        draft = CaseDraft(fields={
            "description": description, "urgent_reasons": urgent, "grid_id": site.grid_id,
            "area_path": site.path, "building_id": building.pk,
            "household_id": household.pk if household else None,
            "latitude": latitude, "longitude": longitude, "address": address[:200],
            "channel": report.channel,
            "external_id": self._hotline_number(rng, report.at)
            if report.channel == "hotline_12345" else "",
            "reporter_id": reporter,
            "anonymous": report.channel in MAY_BE_ANONYMOUS and rng.random() < 0.08,
            "created_at": report.at,
        }, merge_into=report.merge_into)
        self._live(rng, site, report, draft, category, reporter)
        return draft

    def _dispatch_fields(self, category: Category, at: dt.datetime, urgent: bool) -> dict:
        """Routing by the category's unit, and deadlines: urgent cases run on the clock."""
        department = self.context.departments.get(category.unit_kind)
        stretch = 1.0 if urgent else CALENDAR_STRETCH
        return {
            "category_id": category.pk, "lead_department_id": department,
            "routing_note": "category_default" if department else "area_team",
            "first_response_due": at + _hours(category.response_hours * stretch),
            "resolve_due": at + dt.timedelta(days=category.resolve_days * stretch),
        }

    def _handler(self, rng: random.Random, site: GridSite, category: Category) -> int | None:
        """The department's demo handler, or the area's own team."""
        users = self.context.users
        if category.unit_kind in self.context.departments:
            return self.context.handler_of(category.unit_kind)
        if category.unit_kind == "community" and rng.random() < 0.4:
            return users.get(f"cs-{site.community_code}-{rng.randint(1, 2)}")
        return users.get(rng.choice((f"gw-{site.code}-1", f"gw-{site.code}-1",
                                     f"gw-{site.code}-2", f"gl-{site.code}")))

    def _staff(self, rng: random.Random, site: GridSite, other_than: int | None = None
               ) -> int | None:
        """Community staff who triage, dispatch, merge and close (核查 by a second person)."""
        staff = [self.context.users.get(f"cs-{site.community_code}-{i}") for i in (1, 2)]
        choices = [s for s in staff if s != other_than] or staff
        return choices[0] if len(choices) == 1 or rng.random() < 0.6 else choices[1]

    def _suggestion(self, rng: random.Random, category: Category, *, sure: bool,
                    by_person: bool) -> tuple[Category | None, float | None]:
        categories = self.context.categories
        other = categories.get(CONFUSED.get(category.code, ""))
        if sure and not by_person:
            return category, round(rng.uniform(0.72, 0.98), 4)
        if sure:
            if rng.random() < 0.85 or other is None:
                return category, round(rng.uniform(0.6, 0.97), 4)
            return other, round(rng.uniform(0.35, 0.65), 4)
        draw = rng.random()
        if draw < 0.55 or (other is None and draw < 0.9):
            return category, round(rng.uniform(0.3, 0.69), 4)
        if draw < 0.9:
            return other, round(rng.uniform(0.25, 0.6), 4)
        return None, None

    def _live(self, rng: random.Random, site: GridSite, report: _Report, draft: CaseDraft,
              category: Category, reporter: int | None) -> None:
        """Walk the case through its life; _History drops whatever falls after the
        reference time."""
        context = self.context
        hold = report.hold
        urgent = report.topic.urgent is not None
        by_person = report.channel in STAFF_CHANNELS
        t = report.at
        history = _History(draft)

        share = 0.5 if report.merge_into is not None else 0.08 if by_person else 0.35
        triage = hold == TRIAGE or (not urgent and hold is None and rng.random() < share)
        first = category  # the category it is first dispatched under
        wrong = context.categories.get(CONFUSED.get(category.code, ""))
        if (wrong is not None and hold is None and not urgent and report.merge_into is None
                and wrong.unit_kind in context.departments
                and wrong.unit_kind != category.unit_kind and rng.random() < 0.05):
            first = wrong  # misfiled: the department will send it back (退回)
        suggested, confidence = self._suggestion(rng, first, sure=not triage,
                                                 by_person=by_person)
        draft.fields.update(
            suggested_category_id=suggested.pk if suggested else None,
            suggestion_confidence=confidence,
            priority=1 if urgent else (first.priority if not triage or suggested is None
                                       else suggested.priority),
        )
        routing = {}
        if triage:
            # As cases.actions files it: the tentative category is the suggestion.
            draft.fields["category_id"] = suggested.pk if suggested else None
            draft.fields["routing_note"] = ""
        else:
            routing = self._dispatch_fields(first, t, urgent)
            draft.fields.update(routing)
        history.report(t, TRIAGE if triage else DISPATCHED, reporter, {
            "channel": report.channel, "suggested": suggested.code if suggested else None,
            "confidence": confidence, "urgent": [r["code"] for r in draft.fields[
                "urgent_reasons"]], "routing": routing.get("routing_note", ""),
        })

        if report.merge_into is not None:
            t = _working_time(rng, t + _hours(rng.uniform(0.3, 8)))
            history.move(t, "merge", self._staff(rng, site), note=names.MERGE_NOTE,
                         data={"into": None})  # the writer fills in the case's id
            return
        if triage:
            if hold == TRIAGE:
                return
            t = _working_time(rng, t + _hours(rng.expovariate(1 / 1.5)))
            routing = self._dispatch_fields(first, t, urgent)
            history.move(t, "dispatch", self._staff(rng, site),
                         note=rng.choice(names.TRIAGE_NOTES), data={
                             "category": first.code, "suggested": getattr(suggested, "code",
                                                                          None),
                             "corrected": suggested is not None and suggested.pk != first.pk},
                         **routing)
        if first is not category:
            t = _working_time(rng, t + _hours(rng.uniform(2, 30)))
            history.move(t, "return", context.handler_of(first.unit_kind),
                         note=rng.choice(names.RETURN_NOTES),
                         data={"misroute": True,
                               "from_unit": context.departments[first.unit_kind]},
                         lead_department_id=None, assignee_id=None)
            t = _working_time(rng, t + _hours(rng.uniform(0.5, 6)))
            history.move(t, "dispatch", self._staff(rng, site), data={
                "category": category.code, "suggested": getattr(suggested, "code", None),
                "corrected": True}, **self._dispatch_fields(category, t, urgent))
        if hold == DISPATCHED or history.stopped:
            return

        fields = draft.fields
        dispatched_at = t
        response_span = fields["first_response_due"] - t
        resolve_span = fields["resolve_due"] - t
        late = rng.random() < 0.08
        t += response_span * (rng.uniform(1.1, 3.5) if late else rng.uniform(0.03, 0.9))
        if not urgent:
            t = _daytime(rng, t)
        handler = self._handler(rng, site, category)
        history.move(t, "accept", handler, assignee_id=handler, responded_at=t)

        lead = fields.get("lead_department_id")
        to_kind = TRANSFERS.get(category.unit_kind)
        if (hold is None and lead is not None and to_kind in context.departments
                and rng.random() < 0.02):
            t = _working_time(rng, t + _hours(rng.uniform(1, 24)))
            history.move(t, "transfer", handler, note=rng.choice(names.TRANSFER_NOTES),
                         data={"misroute": True, "from_unit": lead,
                               "to_unit": context.departments[to_kind]},
                         lead_department_id=context.departments[to_kind], assignee_id=None)
            handler = context.handler_of(to_kind)
            t = _working_time(rng, t + _hours(rng.uniform(0.5, 8)))
            history.move(t, "accept", handler, assignee_id=handler)
        started = t

        if hold in (WAITING, RESOLVED):
            factor = rng.uniform(0.05, 0.3)
        elif rng.random() < 0.03:
            factor = rng.uniform(3, 10)  # stuck: the overdue cases a supervisor chases
        elif rng.random() < 0.12:
            factor = rng.uniform(1.05, 2.2)
        else:
            factor = min(0.95, max(0.03, math.exp(rng.gauss(math.log(0.3), 0.6))))
        work = max(resolve_span * factor * report.topic.slow - (started - dispatched_at),
                   dt.timedelta(minutes=20))
        if rng.random() < 0.35 or hold == IN_PROGRESS:
            history.mark(started + work * rng.uniform(0.05, 0.2), "note", handler,
                         note=rng.choice(names.PROGRESS_NOTES))
        if hold == IN_PROGRESS:
            return
        waits = 0.18 if report.topic.at_home else 0.1
        if hold == WAITING or (hold is None and rng.random() < waits):
            waited_at = started + work * rng.uniform(0.25, 0.6)
            history.move(waited_at, "wait", handler, note=rng.choice(names.WAIT_NOTES))
            if hold == WAITING:
                return
            pause = dt.timedelta(days=rng.uniform(1, 8))
            history.move(waited_at + pause, "resume", handler,
                         note=rng.choice(names.RESUME_NOTES))
            work += pause
        t = started + work
        if not urgent:
            t = _daytime(rng, t)
        outcome = self._outcome(rng, category, stuck=factor > 3)
        self._resolve(rng, history, t, handler, category, outcome)
        if hold == RESOLVED:
            return

        t = self._close(rng, history, site, t, handler, category)
        if (history.state != casestates.CLOSED or report.channel != "resident"
                or rng.random() >= RATED_SHARE):
            return
        overdue = fields["resolved_at"] > fields["resolve_due"]
        rating = self._rating(rng, outcome, overdue=overdue)
        t = t + _hours(rng.uniform(0.5, 72))
        comment = rng.choice(names.RATING_COMMENTS[rating])
        history.mark(t, "rate", reporter, note=comment, data={"rating": rating},
                     rating=rating, rating_comment=comment)
        if rating > UNHAPPY:
            return
        # An unhappy rating within seven days of closing reopens the case (cases.actions).
        history.move(t, "reopen", reporter, note=comment, data={"rating": rating},
                     closed_at=None, resolved_at=None)
        t = _working_time(rng, t + _hours(rng.uniform(2, 24)))
        history.mark(t, "note", handler, note=rng.choice(names.PROGRESS_NOTES))
        t = _daytime(rng, t + dt.timedelta(days=rng.uniform(1, 6)))
        outcome = rng.choices(("fixed", "partly_fixed", "not_fixed"), weights=(55, 30, 15))[0]
        self._resolve(rng, history, t, handler, category, outcome)
        t = self._close(rng, history, site, t, handler, category)
        if history.state == casestates.CLOSED and rng.random() < 0.5:
            rating = rng.choices((3, 4, 5), weights=(3, 4, 3))[0]
            comment = rng.choice(names.RATING_COMMENTS[rating])
            history.mark(t + _hours(rng.uniform(0.5, 48)), "rate", reporter, note=comment,
                         data={"rating": rating}, rating=rating, rating_comment=comment)

    def _outcome(self, rng: random.Random, category: Category, *, stuck: bool) -> str:
        weights = dict(OUTCOMES)
        if category.unit_kind in ("other", "health"):
            weights["not_ours"] *= 3  # nobody in the district handles these: referred on
        if stuck:
            weights["fixed"] /= 2
        return rng.choices(list(weights), weights=list(weights.values()))[0]

    def _rating(self, rng: random.Random, outcome: str, *, overdue: bool) -> int:
        weights = list(RATINGS[outcome])
        if overdue:
            weights = [w * f for w, f in zip(weights, (1.5, 1.5, 1.2, 0.9, 0.6), strict=True)]
        return rng.choices((1, 2, 3, 4, 5), weights=weights)[0]

    def _resolve(self, rng: random.Random, history: _History, at: dt.datetime,
                 handler: int | None, category: Category, outcome: str) -> None:
        if outcome == "fixed":
            result = rng.choice(names.FIXED_RESULTS.get(category.code)
                                or names.FIXED_RESULTS["property"])
        else:
            result = rng.choice(names.OUTCOME_RESULTS[outcome])
        history.move(at, "resolve", handler, data={"outcome": outcome}, outcome=outcome,
                     result=result, resolved_at=at)

    def _close(self, rng: random.Random, history: _History, site: GridSite,
               t: dt.datetime, handler: int | None, category: Category) -> dt.datetime:
        """Close, or pass 核查 by someone other than the handler; a few checks fail."""
        checker = self._staff(rng, site, other_than=handler)
        if category.needs_check and rng.random() < 0.06:
            t = _working_time(rng, t + _hours(rng.uniform(4, 48)))
            history.move(t, "check_fail", checker, note=rng.choice(names.CHECK_FAIL_NOTES),
                         resolved_at=None, outcome="")
            t = _daytime(rng, t + dt.timedelta(days=rng.uniform(1, 5)))
            self._resolve(rng, history, t, handler, category, "fixed")
        wait = rng.uniform(6, 96) if category.needs_check else rng.uniform(2, 48)
        t = _working_time(rng, t + _hours(wait))
        history.move(t, "check_pass" if category.needs_check else "close", checker,
                     closed_at=t)
        return t
