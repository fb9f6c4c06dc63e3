"""Reads for supervisors (督办): the board, its map, trends, cluster alerts and recurring
problems, each in a few aggregated queries however many cases there are.

Scope: a supervisor sees the areas they dispatch for (accounts.scopes.case_dispatch_paths;
every area for system admins), the same rule as cases.queries.open_cases_supervised_by.
Dispatchers are registry readers, so those paths already lie inside what
cases_visible_to lets them read, and the board filters on the paths alone: one indexed
prefix filter, without the reporter and follower branches no supervisor needs here.
`paths` below is that list of area paths, or None for "no limit".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Count,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.http import Http404

from warmgrid.accounts.scopes import case_dispatch_paths, is_system_admin, scoped
from warmgrid.cases.models import Case, Category
from warmgrid.lib import casestates
from warmgrid.places.models import Area, Building
from warmgrid.supervision.models import CaseMonthTally, ClusterAlert

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN_STATES = sorted(casestates.OPEN_STATES)
# The board's state columns; "reported" lasts only while a report is classified and is
# counted with triage.
BOARD_STATES = (casestates.TRIAGE, casestates.DISPATCHED, casestates.IN_PROGRESS,
                casestates.WAITING, casestates.RESOLVED)
STATE_GROUPS = {casestates.TRIAGE: (casestates.REPORTED, casestates.TRIAGE)}
ALERT_LIMIT = 20
TREND_MONTHS = 12
TREND_FAMILIES = 5  # the families with the most reports get a line each; the rest "other"
# Recurring problems (主动治理): a category with at least RECURRING_MIN_CASES cases in one
# grid in the month, seen in at least RECURRING_MIN_MONTHS of the RECURRING_SPAN months
# ending with it. Tuned on the demo district: lower, and every busy grid is "recurring".
RECURRING_MIN_CASES = 3
RECURRING_MIN_MONTHS = 2
RECURRING_SPAN = 3
RECURRING_BUILDINGS = 5  # buildings named per problem


# ---- scope --------------------------------------------------------------------------------


def supervised_paths(user) -> list[str] | None:
    """The area paths a user supervises; None for every area (system admins)."""
    if is_system_admin(user):
        return None
    return case_dispatch_paths(user)


def supervises(user) -> bool:
    return is_system_admin(user) or bool(case_dispatch_paths(user))


def access_supervised_area_for_user(user, area_id) -> Area:
    """An area the user supervises (to narrow the board to it); 404 otherwise."""
    paths = supervised_paths(user)
    try:
        return scoped(Area.objects.all(), paths, "path").get(pk=int(area_id))
    except (Area.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def access_alert_for_user(user, alert_id) -> ClusterAlert:
    paths = supervised_paths(user)
    try:
        return (scoped(ClusterAlert.objects.select_related("grid", "building", "category"),
                       paths).get(pk=int(alert_id)))
    except (ClusterAlert.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


@dataclass(frozen=True)
class AreaRow:
    """An area as the board needs it: plain values, for up to a district's thousand."""

    pk: int
    level: str
    code: str
    name: str
    path: str
    outline: str | None  # GeoJSON text, as stored


def areas_supervised(user) -> list[AreaRow]:
    """Every area the user supervises, in path order, with outlines: the board's map,
    table and narrowing choices in one query."""
    areas = (scoped(Area.objects.order_by("path"), supervised_paths(user), "path")
             .annotate(outline_text=Cast("outline", TextField())))
    return [AreaRow(*row) for row in areas.values_list("pk", "level", "code", "name", "path",
                                                        "outline_text")]


# ---- the board ----------------------------------------------------------------------------


def open_cases_in(paths: list[str] | None) -> QuerySet[Case]:
    return scoped(Case.objects.filter(state__in=OPEN_STATES), paths)


@dataclass
class GridCounts:
    grid_id: int | None
    open: int = 0
    red: int = 0
    yellow: int = 0
    states: dict[str, int] = field(default_factory=dict)

    @property
    def numbers(self) -> list[int]:
        return [self.states.get(s, 0) for s in BOARD_STATES]


def open_counts_by_grid(paths: list[str] | None) -> dict[int | None, GridCounts]:
    """Open cases per grid, by state and warning, in one GROUP BY (None: not placed in a
    grid yet). Warnings are as the deadline watch last set them (every ten minutes).

    COUNT(*) over (grid, state, warning) reads nothing but the open-case index, and folds
    a few thousand rows here, cheaper than one FILTER aggregate per column there."""
    query = (open_cases_in(paths).order_by().values_list("grid_id", "state", "warning")
             .annotate(n=Count("*")))
    # Up to grids × states × warnings rows: plain tuples, without Django's per-value
    # converters (a district's ten thousand rows cost more there than in the database).
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    counts: dict[int | None, GridCounts] = {}
    board_state = {member: state for state in BOARD_STATES
                   for member in STATE_GROUPS.get(state, (state,))}
    for grid_id, state, warning, n in rows:
        row = counts.get(grid_id)
        if row is None:
            row = counts[grid_id] = GridCounts(grid_id=grid_id)
        row.open += n
        if warning in ("red", "yellow"):
            setattr(row, warning, getattr(row, warning) + n)
        column = board_state.get(state)
        if column:
            row.states[column] = row.states.get(column, 0) + n
    return counts


def cases_with_warning(paths: list[str] | None, warning: str, *, limit: int) -> list[Case]:
    """The open cases with this warning, soonest (or longest past) deadline first. Only
    the building and household are joined: planning a join of eight tables costs more
    than running it, and categories, units and grids are known without one."""
    return list(open_cases_in(paths).filter(warning=warning)
                .select_related("building", "household")
                .order_by("resolve_due", "id")[:limit])


@dataclass(frozen=True)
class AlertCase:
    pk: int
    description: str
    building: str


def open_alerts(paths: list[str] | None, *, cases_each: int = 5) -> list[ClusterAlert]:
    """Open cluster alerts, newest first, each with its first `cases_each` cases
    (`shown_cases`) and how many it has in scope (`cases_in_scope`): a case moved to
    another grid since does not follow the alert out of scope."""
    alerts = list(scoped(ClusterAlert.objects.filter(state=ClusterAlert.State.OPEN), paths)
                  .select_related("grid", "building", "category")
                  .order_by("-last_case_at", "-id")[:ALERT_LIMIT])
    attach_alert_cases(alerts, paths, cases_each=cases_each)
    return alerts


def attach_alert_cases(alerts: list[ClusterAlert], paths: list[str] | None, *,
                       cases_each: int = 5) -> None:
    """The alerts' first cases in scope, and how many more, in one query of plain
    values (the database ranks and counts them per alert)."""
    through = ClusterAlert.cases.through
    links = scoped(through.objects.filter(clusteralert_id__in=[a.pk for a in alerts]), paths,
                   "case__area_path")
    per_alert = {"partition_by": F("clusteralert_id")}
    rows = (links.annotate(
                rank=Window(RowNumber(), order_by=[F("case__created_at").asc(),
                                                   F("case_id").asc()], **per_alert),
                total=Window(Count("*"), **per_alert))
            .filter(rank__lte=cases_each).order_by("clusteralert_id", "rank")
            .values_list("clusteralert_id", "case_id", "case__description",
                         "case__building__name", "total"))
    found: dict[int, list[AlertCase]] = defaultdict(list)
    totals: dict[int, int] = {}
    for alert_id, case_id, description, building, total in rows:
        found[alert_id].append(AlertCase(case_id, description, building or ""))
        totals[alert_id] = total
    for alert in alerts:
        alert.shown_cases = found[alert.pk]
        alert.more_cases = totals.get(alert.pk, 0) - len(alert.shown_cases)


# ---- months -------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def local_month(now: dt.datetime) -> dt.date:
    return month_start(now.astimezone(SHANGHAI).date())


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(month.year, month.month, 1, tzinfo=SHANGHAI)
    nxt = add_months(month, 1)
    return start, dt.datetime(nxt.year, nxt.month, 1, tzinfo=SHANGHAI)


def parse_month(text: str) -> dt.date | None:
    try:
        year, month = (int(part) for part in text.split("-"))
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        return None


# ---- trends -------------------------------------------------------------------------------


@dataclass
class Trend:
    months: list[dt.date]
    families: list[tuple[Category | None, list[int]]]  # reported per month; None: the rest
    reported: list[int]
    closed: list[int]


def monthly_trend(paths: list[str] | None, *, now: dt.datetime) -> Trend:
    """Cases reported (by category family) and closed per month over the last
    TREND_MONTHS months, from the monthly tallies: one aggregated query (and one for the
    families' names)."""
    months = [add_months(local_month(now), -n) for n in range(TREND_MONTHS - 1, -1, -1)]
    rows = (scoped(CaseMonthTally.objects.filter(month__gte=months[0]), paths).order_by()
            .values("month", "family_id").annotate(reported=Sum("reported"),
                                                   closed=Sum("closed")))
    index = {m: i for i, m in enumerate(months)}
    per_family: dict[int | None, list[int]] = defaultdict(lambda: [0] * len(months))
    reported, closed = [0] * len(months), [0] * len(months)
    for row in rows:
        i = index.get(row["month"])
        if i is None:
            continue
        per_family[row["family_id"]][i] += row["reported"]
        reported[i] += row["reported"]
        closed[i] += row["closed"]
    ranked = sorted((fid for fid in per_family if fid is not None and sum(per_family[fid])),
                    key=lambda fid: (-sum(per_family[fid]), fid))
    top = ranked[:TREND_FAMILIES]
    names = Category.objects.in_bulk(top) if top else {}
    families: list[tuple[Category | None, list[int]]] = [
        (names.get(fid), per_family[fid]) for fid in top]
    rest = [sum(column) for column in zip(*(values for fid, values in per_family.items()
                                            if fid not in top), strict=True)]
    if any(rest):
        families.append((None, rest))
    return Trend(months=months, families=families, reported=reported, closed=closed)


# ---- recurring problems -------------------------------------------------------------------


@dataclass
class RecurringProblem:
    grid: Area
    category: Category
    counts: list[int]  # per month, oldest first; the last is the month asked for
    buildings: list[tuple[str, int]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.counts[-1]


def recurring_tallies(paths: list[str] | None, month: dt.date) -> QuerySet[CaseMonthTally]:
    """Categories that keep coming back in a grid: RECURRING_MIN_CASES or more in `month`
    and present in RECURRING_MIN_MONTHS of the RECURRING_SPAN months ending with it, as
    the month's tallies (grid by grid, busiest first), so that a page of them is one
    query however busy the district."""
    earlier = (CaseMonthTally.objects
               .filter(grid_id=OuterRef("grid_id"), category_id=OuterRef("category_id"),
                       month__gte=add_months(month, 1 - RECURRING_SPAN), month__lt=month,
                       reported__gt=0)
               .order_by().values("grid_id").annotate(n=Count("*")).values("n"))
    return (scoped(CaseMonthTally.objects.filter(month=month, grid__isnull=False,
                                                 category__isnull=False,
                                                 reported__gte=RECURRING_MIN_CASES), paths)
            .annotate(months_before=Coalesce(Subquery(earlier), 0))
            .filter(months_before__gte=RECURRING_MIN_MONTHS - 1)
            .order_by("area_path", "-reported", "category_id"))


def recurring_problems(tallies, month: dt.date) -> list[RecurringProblem]:
    """The problems of these tallies (a page of recurring_tallies), with their counts in
    each month of the span."""
    tallies = list(tallies)
    if not tallies:
        return []
    months = [add_months(month, -n) for n in range(RECURRING_SPAN - 1, -1, -1)]
    grids = {t.grid_id for t in tallies}
    categories = {t.category_id for t in tallies}
    earlier: dict[tuple, dict] = defaultdict(dict)
    for grid_id, category_id, when, reported in (
            CaseMonthTally.objects.filter(month__in=months[:-1], grid_id__in=grids,
                                          category_id__in=categories)
            .values_list("grid_id", "category_id", "month", "reported")):
        earlier[(grid_id, category_id)][when] = reported
    names = {a.pk: a for a in Area.objects.filter(pk__in=grids).only("id", "name", "path")}
    kinds = Category.objects.select_related("parent").in_bulk(categories)
    problems = []
    for tally in tallies:
        before = earlier.get((tally.grid_id, tally.category_id), {})
        problems.append(RecurringProblem(
            grid=names[tally.grid_id], category=kinds[tally.category_id],
            counts=[before.get(m, 0) for m in months[:-1]] + [tally.reported]))
    return problems


def name_buildings(paths: list[str] | None, problems: list[RecurringProblem],
                   month: dt.date) -> None:
    """Where each shown problem happened in the month: its busiest buildings, in one
    query over the shown problems' grids and categories."""
    if not problems:
        return
    start, end = month_bounds(month)
    rows = (problem_cases_query(paths, start, end)
            .filter(grid_id__in={p.grid.pk for p in problems},
                    category_id__in={p.category.pk for p in problems},
                    building__isnull=False)
            .order_by().values("grid_id", "category_id", "building_id")
            .annotate(n=Count("id")))
    counts = defaultdict(list)
    for row in rows:
        counts[(row["grid_id"], row["category_id"])].append((row["n"], row["building_id"]))
    tops = [sorted(counts.get((p.grid.pk, p.category.pk), []),
                   key=lambda pair: (-pair[0], pair[1]))[:RECURRING_BUILDINGS] for p in problems]
    names = dict(Building.objects.filter(pk__in={b for top in tops for _, b in top})
                 .values_list("pk", "name"))
    for problem, top in zip(problems, tops, strict=True):
        problem.buildings = [(names.get(b, "?"), n) for n, b in top]


def problem_cases_query(paths: list[str] | None, start: dt.datetime,
                        end: dt.datetime) -> QuerySet[Case]:
    """Cases reported in [start, end) in scope, as the tallies count them (merged
    duplicates are not counted again)."""
    return scoped(Case.objects.filter(created_at__gte=start, created_at__lt=end)
                  .exclude(state=casestates.MERGED), paths)


def cases_of_problem(paths: list[str] | None, *, grid: Area, category: Category,
                     month: dt.date) -> QuerySet[Case]:
    start, end = month_bounds(month)
    return (problem_cases_query(paths, start, end).filter(grid=grid, category=category)
            .select_related("building", "household").order_by("-created_at", "-id"))
