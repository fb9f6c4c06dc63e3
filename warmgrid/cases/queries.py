"""Every read of cases, through the user's scope (accounts/scopes.py decides)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from warmgrid.accounts.scopes import (
    CASE_AREA_HANDLERS,
    case_departments_of,
    case_dispatch_paths,
    case_read_q,
    grants_of,
    may_handle_case,
    path_filter,
    registry_read_paths,
)
from warmgrid.cases.models import Case, CaseUnit, Category, DutyShift, Open311Client
from warmgrid.lib import casestates


def cases_visible_to(user) -> QuerySet[Case]:
    cases = Case.objects.select_related("category", "grid", "lead_department", "assignee")
    q = case_read_q(user)
    return cases if q is None else cases.filter(q)


def access_case_for_user(user, case_id) -> Case:
    try:
        return cases_visible_to(user).get(pk=int(case_id))
    except (Case.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def categories_in_use() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent")


def category_by_code(code: str) -> Category | None:
    return categories_in_use().filter(code=code).first()


def case_history(case: Case):
    return case.events.select_related("actor").order_by("at", "id")


def tasks_for(user) -> QuerySet[Case]:
    """Open cases the user may act on, by deadline: the worker's task list."""


    q = Q(assignee=user)
    for grant in grants_of(user):
        if grant.role in CASE_AREA_HANDLERS:
            q |= Q(area_path__startswith=grant.area_path, lead_department__isnull=True)
        if grant.department_id:
            q |= Q(lead_department_id=grant.department_id,
                   area_path__startswith=grant.area_path)
    open_states = [Case.State.DISPATCHED, Case.State.IN_PROGRESS, Case.State.WAITING,
                   Case.State.RESOLVED]
    return (cases_visible_to(user).filter(q, state__in=open_states)
            .order_by("resolve_due", "id"))


# --- unit queues (主责 / 协办 / 抄送) ---

QUEUE_STATES = (Case.State.DISPATCHED, Case.State.IN_PROGRESS, Case.State.WAITING,
                Case.State.RESOLVED)


@dataclass(frozen=True)
class QueueUnit:
    """A unit whose queue a user works from: a department, or an area's own team."""

    kind: str  # "department" or "area"
    pk: int
    name: str
    paths: tuple[str, ...]  # where the user's grants let them see its cases


def queue_units_for(user) -> list[QueueUnit]:
    """The departments a user handles for, and the area teams they belong to."""
    from warmgrid.accounts.models import Department, Role
    from warmgrid.places.models import Area

    paths: dict[tuple[str, int], set[str]] = {}
    for grant in grants_of(user):
        if grant.role == Role.DEPARTMENT_HANDLER and grant.department_id:
            paths.setdefault(("department", grant.department_id), set()).add(grant.area_path)
        elif grant.role in CASE_AREA_HANDLERS:
            paths.setdefault(("area", grant.area_id), set()).add(grant.area_path)
    if not paths:
        return []
    names = {("department", pk): name for pk, name in Department.objects.filter(
        pk__in=[pk for kind, pk in paths if kind == "department"]).values_list("pk", "name")}
    names |= {("area", pk): name for pk, name in Area.objects.filter(
        pk__in=[pk for kind, pk in paths if kind == "area"]).values_list("pk", "name")}
    return sorted((QueueUnit(kind, pk, names.get((kind, pk), ""), tuple(sorted(p)))
                   for (kind, pk), p in paths.items()), key=lambda u: (u.kind, u.name, u.pk))


def queue_for(user, units: list[QueueUnit]) -> QuerySet[Case]:
    """Open cases of these units, as lead, assisting or copied: unassigned first (someone
    must take them on), then by deadline."""
    q = Q(pk__in=[])
    for unit in units:
        where = path_filter(list(unit.paths))
        if unit.kind == "department":
            involved = CaseUnit.objects.filter(department_id=unit.pk).values("case_id")
            q |= where & (Q(lead_department_id=unit.pk) | Q(pk__in=involved))
        else:
            q |= where & Q(lead_department__isnull=True)
    unassigned = ExpressionWrapper(Q(assignee__isnull=True), output_field=BooleanField())
    return (cases_visible_to(user).filter(q, state__in=QUEUE_STATES)
            .annotate(unassigned=unassigned)
            .order_by("-unassigned", F("resolve_due").asc(nulls_last=True), "id"))


def queue_roles(cases, units: list[QueueUnit]) -> dict[int, str]:
    """Each case's role for these units: "lead", "assist" or "copy" (one query)."""
    departments = {u.pk for u in units if u.kind == "department"}
    roles = {}
    for case in cases:
        if case.lead_department_id in departments or (
                case.lead_department_id is None and any(u.kind == "area" for u in units)):
            roles[case.pk] = "lead"
    others = [c.pk for c in cases if c.pk not in roles]
    if others and departments:
        for case_id, role in (CaseUnit.objects.filter(case_id__in=others,
                                                      department_id__in=departments)
                              .order_by("role").values_list("case_id", "role")):
            roles.setdefault(case_id, role)  # "assist" sorts before "copy": the stronger
    return roles


def departments_serving(area_path: str) -> list:
    """The units whose jurisdiction covers a place, by name (from the per-process copy):
    the only ones a case there can be transferred to or shared with."""
    from warmgrid.cases.reference import reference

    found = [d for kind in reference().departments_by_kind.values() for d in kind
             if area_path.startswith(d.area.path)]
    return sorted(found, key=lambda d: (d.name, d.pk))


def departments_by_ids(ids) -> list:
    """Units named by id in a request; an unknown id is a field error, not a 404: units'
    names are not secret, and the action checks each serves the case's place."""
    from warmgrid.accounts.models import Department
    from warmgrid.errors import ValidationFailed

    wanted = list(dict.fromkeys(ids))
    found = {d.pk: d for d in Department.objects.filter(pk__in=wanted).select_related("area")}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationFailed(fields={"department": [str(_("No unit has the id %(id)s.")
                                                          % {"id": missing[0]})]})
    return [found[pk] for pk in wanted]


def units_of_case(case: Case) -> list[CaseUnit]:
    return list(case.units.select_related("department").order_by("role", "department__name"))


def reads_case_internals(user, case: Case, units: list[CaseUnit] | None = None) -> bool:
    """Staff over the case, who see its internal notes and photos and who did what:
    registry readers of its area, its handlers and dispatchers, and its assisting and
    copied (协办, 抄送) units; a reporter sees progress only. `units`, when the caller
    has them already, saves a query."""
    paths = registry_read_paths(user)
    if paths is None or any(case.area_path.startswith(p) for p in paths):
        return True
    if may_handle_case(user, area_path=case.area_path, department_id=case.lead_department_id):
        return True
    departments = case_departments_of(user, case.area_path)
    if not departments:
        return False
    if units is not None:
        return any(u.department_id in departments for u in units)
    return case.units.filter(department_id__in=departments).exists()


# --- duty rosters (值班表) ---

def duty_units_for(user) -> tuple[list, list]:
    """The departments and grids whose roster this user keeps."""
    from warmgrid.accounts.models import Department, Role
    from warmgrid.accounts.scopes import may_manage_duty
    from warmgrid.places.models import Area

    dispatch = case_dispatch_paths(user)
    own = {g.department_id for g in grants_of(user)
           if g.role == Role.DEPARTMENT_HANDLER and g.department_id}
    leads = [g.area_path for g in grants_of(user) if g.role == Role.GRID_LEADER]
    departments = [d for d in Department.objects.filter(
        path_filter(dispatch, "area__path") | Q(pk__in=own)).select_related("area")
        .order_by("name", "pk")
        if may_manage_duty(user, area_path=d.area.path, department_id=d.pk)]
    grids = list(Area.objects.filter(path_filter(dispatch + leads, "path"),
                                     level=Area.Level.GRID).order_by("path"))
    return departments, grids


def access_duty_shift_for_user(user, shift_id) -> DutyShift:
    from warmgrid.accounts.scopes import may_manage_duty

    try:
        shift = DutyShift.objects.select_related("department__area", "area", "user").get(
            pk=int(shift_id))
    except (DutyShift.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    place = shift.department.area.path if shift.department_id else shift.area.path
    if not may_manage_duty(user, area_path=place, department_id=shift.department_id):
        raise Http404
    return shift


def roster(*, department=None, area=None, start: dt.datetime, end: dt.datetime
           ) -> QuerySet[DutyShift]:
    """A unit's shifts that overlap [start, end)."""
    return (DutyShift.objects.filter(department=department, area=area, ends_at__gt=start,
                                     starts_at__lt=end)
            .select_related("user").order_by("starts_at", "id"))


def triage_queue_for(user) -> QuerySet[Case]:
    paths = case_dispatch_paths(user)
    return (cases_visible_to(user).filter(path_filter(paths), state=Case.State.TRIAGE)
            .select_related("suggested_category").order_by("priority", "created_at"))


def reported_by(user) -> QuerySet[Case]:
    return Case.objects.filter(reporter=user).select_related("category").order_by("-created_at")


DUPLICATE_WINDOW_DAYS = 30
DUPLICATE_THRESHOLD = 0.3


def similar_open_cases(user, text: str, *, building_id=None, grid_id=None, now=None,
                       limit: int = 5) -> list[tuple[Case, float]]:
    """Open cases in the user's scope with similar text at the same building (or grid) in
    the last 30 days, most alike first: offered as "me too" before a new case is made."""
    import datetime as dt

    from django.utils import timezone

    from warmgrid.lib.similarity import similarity

    now = now or timezone.now()
    place = Q(building_id=building_id) if building_id else Q(grid_id=grid_id)
    if not building_id and not grid_id:
        return []
    candidates = (cases_visible_to(user)
                  .filter(place, state__in=list(casestates.OPEN_STATES),
                          created_at__gte=now - dt.timedelta(days=DUPLICATE_WINDOW_DAYS))
                  .order_by("-created_at")[:200])
    scored = [(case, similarity(text, case.description)) for case in candidates]
    scored = [(case, round(score, 3)) for case, score in scored if score >= DUPLICATE_THRESHOLD]
    return sorted(scored, key=lambda pair: -pair[1])[:limit]


def open_cases_supervised_by(user) -> QuerySet[Case]:
    """Open cases of the areas a user dispatches for (the supervisor board); every open
    case for system admins."""
    from warmgrid.accounts.scopes import is_system_admin

    cases = cases_visible_to(user).filter(state__in=list(casestates.OPEN_STATES))
    if is_system_admin(user):
        return cases
    return cases.filter(path_filter(case_dispatch_paths(user)))


# --- Open311 (public by its specification) ---

def public_cases() -> QuerySet[Case]:
    """What the public may see: cases in a public category, not filed anonymously. A case
    waiting for triage carries the classifier's guess, not a confirmed category, so it is
    shown only when the Open311 client chose the service itself."""
    return (Case.objects.filter(category__is_public=True, anonymous=False)
            .exclude(Q(state=Case.State.TRIAGE) & ~Q(channel=Case.Channel.OPEN311))
            .select_related("category", "lead_department", "building")
            .order_by("-created_at", "-id"))


def client_for_key(api_key: str) -> Open311Client | None:
    """The active client whose key this is (only the key's sha256 is stored)."""
    if not api_key or len(api_key) > 200:
        return None
    digest = hashlib.sha256(api_key.encode("utf-8", "replace")).hexdigest()
    return Open311Client.objects.filter(key_digest=digest, is_active=True).first()
