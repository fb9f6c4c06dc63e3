"""Every read of cases, through the user's scope (accounts/scopes.py decides)."""

from __future__ import annotations

import hashlib

from django.db.models import Q, QuerySet
from django.http import Http404

from warmgrid.accounts.scopes import (
    CASE_AREA_HANDLERS,
    case_dispatch_paths,
    case_read_q,
    grants_of,
    path_filter,
)
from warmgrid.cases.models import Case, Category, Open311Client
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
