"""Every read of the assessment, through the user's scope.

Who sees what:
- grid leaders, community staff, street and district admins: every worker (or unit) with
  cases closed in their area, ranked within the pool they look at (their whole area, or
  an area under it that they choose);
- system admins: the same over everything;
- grid workers and department handlers: only their own breakdown, in full, with the
  pool's averages (the pool being the cases of their grid, or of their unit) and their
  own two ranks; never another person's row or rank;
- everyone else (residents, volunteers, researchers, outsiders): nothing (404).

The pool is read in one query (one row per closed case, with its reopenings, misroutes
and approved exclusion as annotations); names in one more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from warmgrid.accounts.models import Department, Role
from warmgrid.accounts.scopes import case_dispatch_paths, grants_of, is_system_admin, path_filter
from warmgrid.assessment.models import Exclusion
from warmgrid.cases.models import Case
from warmgrid.cases.queries import access_case_for_user
from warmgrid.lib import assessment as method
from warmgrid.places.models import Area

SUPERVISORS = frozenset({Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.STREET_ADMIN,
                         Role.DISTRICT_ADMIN})
BY_WORKER, BY_UNIT = "worker", "unit"
RESOLVED_OUTCOMES = (Case.Outcome.FIXED, Case.Outcome.PARTLY_FIXED)
MISROUTE_ACTIONS = ("return", "transfer")
MAX_WINDOW_DAYS = 366
# Days outside these are typing slips, and near the ends of the calendar they overflow.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
AREA_CHOICES_LIMIT = 300


# ---- the period --------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Cases closed from `start` to `end`, both days included, in Asia/Shanghai."""

    start: dt.date
    end: dt.date
    month: str = ""  # "2026-10" when the window is one calendar month

    @property
    def start_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time(0)))

    @property
    def end_at(self) -> dt.datetime:
        """Exclusive: midnight after the last day."""
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1),
                                                       dt.time(0)))

    def stated(self) -> dict[str, str]:
        return {"on": "closed_at", "start": self.start.isoformat(),
                "end": self.end.isoformat(), "timezone": "Asia/Shanghai"}


def month_window(year: int, month: int) -> Window:
    start = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return Window(start, following - dt.timedelta(days=1), f"{year:04d}-{month:02d}")


def window_between(start: dt.date, end: dt.date) -> Window:
    if not (FIRST_DAY <= start and end <= LAST_DAY):
        raise ValueError("the window is outside the years the platform handles")
    if end < start:
        raise ValueError("the window ends before it starts")
    if (end - start).days >= MAX_WINDOW_DAYS:
        raise ValueError("the window is longer than a year")
    if start.day == 1 and end == month_window(start.year, start.month).end:
        return month_window(start.year, start.month)
    return Window(start, end)


# ---- the scope ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which closed cases make the pool, and whether the user sees only themselves."""

    supervisor: bool
    cases: Q | None  # None: every case (system admins)
    paths: tuple[str, ...] = ()  # a supervisor's areas ("" when unlimited)
    self_id: int | None = None
    area: Area | None = None


def scope_of(user) -> Scope | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if is_system_admin(user):
        return Scope(supervisor=True, cases=None)
    grants = grants_of(user)
    paths = sorted({g.area_path for g in grants if g.role in SUPERVISORS})
    if paths:
        return Scope(supervisor=True, cases=path_filter(paths), paths=tuple(paths))
    q, own = None, []
    for g in grants:
        if g.role == Role.GRID_WORKER:
            part = Q(area_path__startswith=g.area_path)
        elif g.role == Role.DEPARTMENT_HANDLER and g.department_id:
            part = Q(lead_department_id=g.department_id, area_path__startswith=g.area_path)
        else:
            continue
        q = part if q is None else q | part
        own.append(g.area_path)
    if q is None:
        return None
    return Scope(supervisor=False, cases=q, paths=tuple(sorted(set(own))), self_id=user.pk)


def access_scope_for_user(user, area_id=None) -> Scope:
    """The user's scope, narrowed to an area under it when one is named; 404 otherwise."""
    scope = scope_of(user)
    if scope is None:
        raise Http404
    if area_id in (None, ""):
        return scope
    if not scope.supervisor:
        raise Http404
    try:
        area = Area.objects.get(pk=int(area_id))
    except (Area.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    if scope.cases is not None and not any(area.path.startswith(p) for p in scope.paths):
        raise Http404
    return Scope(supervisor=True, cases=Q(area_path__startswith=area.path),
                 paths=(area.path,), area=area)


def area_choices(scope: Scope) -> list[Area]:
    """Areas a supervisor may narrow the pool to (pass the scope before narrowing): down
    to communities, and grids too when the scope is a community or a grid."""
    if not scope.supervisor:
        return []
    areas = Area.objects.all()
    levels = [Area.Level.DISTRICT, Area.Level.STREET, Area.Level.COMMUNITY]
    if scope.cases is not None:
        areas = areas.filter(path_filter(list(scope.paths), "path"))
        # A path holds one "code/" per level: three for a community, four for a grid.
        if all(p.count("/") >= 3 for p in scope.paths):
            levels.append(Area.Level.GRID)
    return list(areas.filter(level__in=levels).order_by("path")[:AREA_CHOICES_LIMIT])


def pool_label(scope: Scope) -> str:
    """The areas whose closed cases make the pool ("" for everything)."""
    if scope.area is not None:
        return scope.area.name
    if not scope.paths:
        return ""
    return "、".join(Area.objects.filter(path__in=scope.paths).order_by("path")
                    .values_list("name", flat=True))


def _pool(scope: Scope) -> QuerySet[Case]:
    cases = Case.objects.filter(state=Case.State.CLOSED)
    return cases if scope.cases is None else cases.filter(scope.cases)


def latest_month(scope: Scope) -> Window:
    """The month of the pool's latest closing, or this month: a sensible first view."""
    latest = _pool(scope).aggregate(at=Max("closed_at"))["at"]
    day = timezone.localtime(latest).date() if latest else timezone.localdate()
    return month_window(day.year, day.month)


# ---- the facts of each case --------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    case_id: int
    assignee_id: int | None
    unit: str
    difficulty: float
    category: str
    category_en: str
    closed_at: dt.datetime
    first_response_due: dt.datetime | None
    responded_at: dt.datetime | None
    resolve_due: dt.datetime | None
    resolved_at: dt.datetime | None
    outcome: str
    rating: int | None
    reopens: int
    misroutes: int
    excluded: bool

    @property
    def responded_on_time(self) -> bool | None:
        if self.first_response_due is None:
            return None
        return self.responded_at is not None and self.responded_at <= self.first_response_due

    @property
    def resolved_on_time(self) -> bool | None:
        if self.resolve_due is None:
            return None
        return self.resolved_at is not None and self.resolved_at <= self.resolve_due

    def subject(self, by: str):
        return self.assignee_id if by == BY_WORKER else self.unit

    def row(self, by: str) -> method.CaseRow:
        return method.CaseRow(
            case_id=self.case_id, subject=self.subject(by), difficulty=self.difficulty,
            responded_on_time=self.responded_on_time, resolved_on_time=self.resolved_on_time,
            resolved=self.outcome in RESOLVED_OUTCOMES, rating=self.rating,
            reopens=self.reopens, misrouted=self.misroutes > 0, excluded=self.excluded)


def unit_key(department_id: int | None, grid_id: int | None) -> str:
    """The handling unit: the lead department, else the grid's own team."""
    if department_id is not None:
        return f"department:{department_id}"
    return f"grid:{grid_id}" if grid_id is not None else ""


def case_facts(scope: Scope, window: Window, *, assignee_id: int | None = None
               ) -> list[CaseFacts]:
    """The pool's closed cases in the window, in one query."""
    cases = _pool(scope).filter(closed_at__gte=window.start_at, closed_at__lt=window.end_at)
    if assignee_id is not None:
        cases = cases.filter(assignee_id=assignee_id)
    approved = Exclusion.objects.filter(case=OuterRef("pk"), state=Exclusion.State.APPROVED)
    rows = (cases.order_by()
            .annotate(excluded=Exists(approved))
            .values_list("pk", "assignee_id", "lead_department_id", "grid_id",
                         "category__difficulty", "category__name", "category__name_en",
                         "closed_at", "first_response_due", "responded_at", "resolve_due",
                         "resolved_at", "outcome", "rating", "excluded")
            .annotate(reopens=Count("events", filter=Q(events__action="reopen")),
                      misroutes=Count("events", filter=Q(events__action__in=MISROUTE_ACTIONS,
                                                         events__data__misroute=True))))
    facts = []
    for (pk, assignee, department, grid, difficulty, name, name_en, closed_at, frd,
         responded_at, rd, resolved_at, outcome, rating, excluded, reopens, misroutes) in rows:
        facts.append(CaseFacts(
            case_id=pk, assignee_id=assignee, unit=unit_key(department, grid),
            difficulty=float(difficulty) if difficulty and difficulty > 0 else 1.0,
            category=name or "", category_en=name_en or "", closed_at=closed_at,
            first_response_due=frd, responded_at=responded_at, resolve_due=rd,
            resolved_at=resolved_at, outcome=outcome, rating=rating, reopens=reopens,
            misroutes=misroutes, excluded=bool(excluded)))
    return sorted(facts, key=lambda f: (f.closed_at, f.case_id))


# ---- the assessment ---------------------------------------------------------------------


@dataclass
class AssessmentResult:
    assessment: method.Assessment
    names: dict
    by: str
    window: Window
    scope: Scope
    unassigned: int  # closed cases in the pool with no handler (by worker)
    facts: list[CaseFacts] = field(default_factory=list)

    @property
    def subjects(self) -> list[method.SubjectResult]:
        return self.assessment.subjects

    @property
    def self_only(self) -> bool:
        return not self.scope.supervisor

    @property
    def ranked_count(self) -> int:
        return sum(1 for s in self.assessment.subjects if s.ranked)


def subject_names(by: str, subjects) -> dict:
    """Labels for subjects: a worker's display name, a department's or grid's name."""
    if by == BY_WORKER:
        ids = [s for s in subjects if s is not None]
        users = get_user_model().objects.filter(pk__in=ids).values_list(
            "pk", "display_name", "username")
        return {pk: display or username for pk, display, username in users}
    departments = [int(s.split(":")[1]) for s in subjects if s.startswith("department:")]
    grids = [int(s.split(":")[1]) for s in subjects if s.startswith("grid:")]
    names = {}
    if departments:
        names |= {f"department:{pk}": name for pk, name in
                  Department.objects.filter(pk__in=departments).values_list("pk", "name")}
    if grids:
        names |= {f"grid:{pk}": name for pk, name in
                  Area.objects.filter(pk__in=grids).values_list("pk", "name")}
    return names


def assessment_for(user, *, start: dt.date, end: dt.date, by: str = BY_WORKER,
                   area_id=None, minimum_cases: int = method.DEFAULT_MINIMUM_CASES,
                   scope: Scope | None = None) -> AssessmentResult:
    """The assessment of the pool the user may see, between two days (both included).

    A grid worker or department handler gets their own row only (the pool still decides
    the averages and the shrinkage), and always by worker."""
    scope = scope or access_scope_for_user(user, area_id)
    window = window_between(start, end)
    if not scope.supervisor:
        by = BY_WORKER
    if by not in (BY_WORKER, BY_UNIT):
        raise ValueError(by)
    facts = case_facts(scope, window)
    rows = [f.row(by) for f in facts if f.subject(by) not in (None, "")]
    settings = method.Settings(minimum_cases=minimum_cases, window=window.stated(),
                               subject_kind=by)
    result = method.assess(rows, settings)
    if not scope.supervisor:
        result.subjects = [s for s in result.subjects if s.subject == scope.self_id]
        facts = [f for f in facts if f.assignee_id == scope.self_id]
    names = subject_names(by, [s.subject for s in result.subjects])
    return AssessmentResult(assessment=result, names=names, by=by, window=window,
                            scope=scope, unassigned=len(facts) - len(rows)
                            if scope.supervisor else 0, facts=facts)


def access_worker_for_user(user, worker_id, scope: Scope):
    """A worker whose breakdown the user may read: themselves; for a supervisor, anyone
    holding a role inside the pool's area or handling a case in it. 404 otherwise."""
    try:
        worker_id = int(worker_id)
    except (TypeError, ValueError, OverflowError):
        raise Http404 from None
    users = get_user_model().objects.filter(pk=worker_id)
    if not scope.supervisor:
        if worker_id != scope.self_id:
            raise Http404
    elif scope.cases is not None:
        handled = Case.objects.filter(scope.cases, assignee_id=worker_id).values("assignee_id")
        users = users.filter(path_filter(list(scope.paths), "role_assignments__area__path")
                             | Q(pk__in=handled)).distinct()
    worker = users.first()
    if worker is None:
        raise Http404
    return worker


# ---- exclusions --------------------------------------------------------------------------


def _exclusions() -> QuerySet[Exclusion]:
    return Exclusion.objects.select_related(
        "case__category", "case__assignee", "case__grid", "requested_by", "first_reviewer",
        "second_reviewer")


def reviews_scope(user) -> Q | None:
    """Which exclusions a user reviews: those in the areas they dispatch for."""
    if is_system_admin(user):
        return None
    return path_filter(case_dispatch_paths(user))


def exclusions_to_review(user) -> QuerySet[Exclusion]:
    q = reviews_scope(user)
    pending = _exclusions().filter(state=Exclusion.State.PENDING)
    return (pending if q is None else pending.filter(q)).order_by("requested_at", "id")


def recent_exclusion_decisions(user, limit: int = 20) -> list[Exclusion]:
    q = reviews_scope(user)
    decided = _exclusions().filter(state__in=[Exclusion.State.APPROVED,
                                              Exclusion.State.REJECTED])
    decided = decided if q is None else decided.filter(q)
    return list(decided.order_by("-closed_at", "-id")[:limit])


def exclusions_requested_by(user, limit: int = 20) -> list[Exclusion]:
    return list(_exclusions().filter(requested_by=user).order_by("-requested_at", "-id")
                [:limit])


def exclusions_of_cases(case_ids) -> dict[int, list[Exclusion]]:
    """Every exclusion request of these cases, newest first, for a breakdown page."""
    found: dict[int, list[Exclusion]] = {}
    for exclusion in (Exclusion.objects.filter(case_id__in=list(case_ids))
                      .select_related("requested_by", "first_reviewer", "second_reviewer")
                      .order_by("-requested_at", "-id")):
        found.setdefault(exclusion.case_id, []).append(exclusion)
    return found


def active_exclusion(case: Case) -> Exclusion | None:
    return (_exclusions().filter(case=case, state__in=Exclusion.ACTIVE_STATES)
            .order_by("-requested_at").first())


def access_exclusion_for_user(user, case_id) -> Exclusion:
    """The case's latest exclusion request, for someone who reviews in its area or who
    asked for it; 404 for anyone else, and for cases outside the user's scope."""
    case = access_case_for_user(user, case_id)
    exclusion = _exclusions().filter(case=case).order_by("-requested_at", "-id").first()
    if exclusion is None:
        raise Http404
    q = reviews_scope(user)
    reviews = q is None or Exclusion.objects.filter(q, pk=exclusion.pk).exists()
    if not reviews and exclusion.requested_by_id != user.pk:
        raise Http404
    return exclusion
