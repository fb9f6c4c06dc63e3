"""The assessment's reads: what each case contributes, the window, and who sees whom."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from warmgrid.accounts.models import Role
from warmgrid.assessment import queries
from warmgrid.assessment.models import Exclusion
from warmgrid.assessment.tests.factories import (
    OCTOBER,
    SHANGHAI,
    approved_exclusion,
    closed_case,
)
from warmgrid.cases.models import Case, CaseEvent
from warmgrid.lib import assessment as method
from warmgrid.testing import make_user

START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)


def october(user, **kwargs):
    return queries.assessment_for(user, start=START, end=END, **kwargs)


def test_each_case_contributes_its_deadlines_outcome_rating_and_history(world):
    late = closed_case(world, assignee=world.worker_a, late_response=True, rating=2,
                       reopens=2, misroute=True, outcome=Case.Outcome.NOT_FIXED)
    good = closed_case(world, assignee=world.worker_a, late_resolution=True, rating=5,
                       code="family_conflict")
    # A transfer marked as a misroute counts; a return without the mark does not.
    CaseEvent.objects.create(case=good, at=OCTOBER, action="transfer",
                             data={"misroute": True, "from_unit": 1})
    plain = closed_case(world, assignee=world.worker_a)
    CaseEvent.objects.create(case=plain, at=OCTOBER, action="return", data={})
    scope = queries.access_scope_for_user(world.leader_a)
    facts = {f.case_id: f for f in queries.case_facts(scope, queries.month_window(2026, 10))}
    assert (facts[late.pk].responded_on_time, facts[late.pk].resolved_on_time) == (False, True)
    assert (facts[late.pk].reopens, facts[late.pk].misroutes) == (2, 1)
    row = facts[late.pk].row("worker")
    assert (row.resolved, row.rating, row.misrouted, row.complaints) == (False, 2, True, 3)
    assert facts[good.pk].resolved_on_time is False
    assert facts[good.pk].misroutes == 1
    assert facts[good.pk].difficulty == pytest.approx(1.6)  # 家庭矛盾
    assert facts[plain.pk].misroutes == 0 and facts[plain.pk].reopens == 0
    assert facts[plain.pk].row("worker").resolved is True


def test_only_an_approved_exclusion_leaves_a_case_out(world):
    pending = closed_case(world, assignee=world.worker_a)
    Exclusion.objects.create(case=pending, area_path=pending.area_path, reason="无理要求",
                             requested_by=world.worker_a, requested_at=OCTOBER)
    approved = closed_case(world, assignee=world.worker_a)
    approved_exclusion(approved, by=world.worker_a,
                       reviewers=(world.community_staff, world.street_admin))
    scope = queries.access_scope_for_user(world.leader_a)
    facts = {f.case_id: f for f in queries.case_facts(scope, queries.month_window(2026, 10))}
    assert facts[pending.pk].excluded is False
    assert facts[approved.pk].excluded is True
    me = october(world.leader_a).assessment.by_subject()[world.worker_a.pk]
    assert (me.cases, me.excluded) == (1, 1)


def test_the_window_is_the_closing_day_in_shanghai(world):
    inside = closed_case(world, assignee=world.worker_a,
                         closed_at=dt.datetime(2026, 10, 31, 23, 30, tzinfo=SHANGHAI))
    first = closed_case(world, assignee=world.worker_a,
                        closed_at=dt.datetime(2026, 10, 1, 0, 0, tzinfo=SHANGHAI))
    closed_case(world, assignee=world.worker_a,
                closed_at=dt.datetime(2026, 11, 1, 0, 10, tzinfo=SHANGHAI))
    closed_case(world, assignee=world.worker_a,
                closed_at=dt.datetime(2026, 9, 30, 23, 59, tzinfo=SHANGHAI))
    # Reopened and not closed again: not in any window yet.
    reopened = closed_case(world, assignee=world.worker_a)
    Case.objects.filter(pk=reopened.pk).update(state=Case.State.IN_PROGRESS)
    result = october(world.leader_a)
    assert {f.case_id for f in result.facts} == {inside.pk, first.pk}
    assert result.window.stated() == {"on": "closed_at", "start": "2026-10-01",
                                      "end": "2026-10-31", "timezone": "Asia/Shanghai"}
    assert result.assessment.choices["window"]["on"] == "closed_at"


def test_windows():
    assert queries.month_window(2026, 12).end == dt.date(2026, 12, 31)
    assert queries.month_window(2026, 2).end == dt.date(2026, 2, 28)
    assert queries.window_between(dt.date(2026, 2, 1), dt.date(2026, 2, 28)).month == "2026-02"
    assert queries.window_between(dt.date(2026, 2, 3), dt.date(2026, 2, 10)).month == ""
    with pytest.raises(ValueError):
        queries.window_between(dt.date(2026, 2, 3), dt.date(2026, 2, 1))
    with pytest.raises(ValueError):
        queries.window_between(dt.date(2025, 1, 1), dt.date(2026, 2, 1))


def _two_grids(world):
    for _ in range(2):
        closed_case(world, assignee=world.worker_a, grid="a")
        closed_case(world, assignee=world.worker_b, grid="b")
        closed_case(world, assignee=world.street2_admin, grid="c")


def test_supervisors_see_the_workers_of_their_area(world):
    _two_grids(world)
    a, b, c = world.worker_a.pk, world.worker_b.pk, world.street2_admin.pk
    assert {s.subject for s in october(world.leader_a).subjects} == {a}
    assert {s.subject for s in october(world.community_staff).subjects} == {a, b}
    assert {s.subject for s in october(world.street_admin).subjects} == {a, b}
    assert {s.subject for s in october(world.street2_admin).subjects} == {c}
    assert {s.subject for s in october(world.district_admin).subjects} == {a, b, c}
    assert {s.subject for s in october(world.system_admin).subjects} == {a, b, c}
    # The street admin narrows the pool to grid B.
    narrowed = october(world.street_admin, area_id=world.grid_b.pk)
    assert {s.subject for s in narrowed.subjects} == {b}
    assert narrowed.assessment.pool.cases == 2


def test_an_area_outside_the_scope_is_404(world):
    with pytest.raises(Http404):
        queries.access_scope_for_user(world.street_admin, world.grid_c.pk)
    with pytest.raises(Http404):
        queries.access_scope_for_user(world.street_admin, "nope")
    with pytest.raises(Http404):
        queries.access_scope_for_user(world.worker_a, world.grid_a.pk)  # no narrowing


def test_a_worker_sees_only_their_own_row_but_the_whole_pool(world):
    colleague = make_user("worker_a2", (Role.GRID_WORKER, world.grid_a))
    for _ in range(3):
        closed_case(world, assignee=world.worker_a, rating=5)
        closed_case(world, assignee=colleague, rating=1)
    closed_case(world, assignee=world.worker_b, grid="b", rating=1)
    result = october(world.worker_a, by="unit")
    assert result.self_only and result.by == "worker"  # never by unit
    assert [s.subject for s in result.subjects] == [world.worker_a.pk]
    assert set(result.names) == {world.worker_a.pk}
    assert {f.case_id for f in result.facts} == set(
        Case.objects.filter(assignee=world.worker_a).values_list("pk", flat=True))
    # The pool is grid A: both workers' six cases, not grid B's.
    assert result.assessment.pool.cases == 6
    assert result.assessment.pool.figures[method.SATISFACTION].rate == pytest.approx(0.5)


def test_a_department_handler_is_pooled_with_their_unit(world):
    from warmgrid.accounts.models import Department

    police = Department.objects.get(code="police-370102")
    closed_case(world, assignee=world.handler, department=police)
    closed_case(world, assignee=world.worker_a)
    result = october(world.handler)
    assert [s.subject for s in result.subjects] == [world.handler.pk]
    assert result.assessment.pool.cases == 1


@pytest.mark.parametrize("persona", ["resident_a", "volunteer", "researcher", "outsider"])
def test_people_who_are_not_assessed_get_404(world, persona):
    with pytest.raises(Http404):
        october(getattr(world, persona))


def test_units_are_the_lead_department_or_the_grids_own_team(world):
    from warmgrid.accounts.models import Department

    police = Department.objects.get(code="police-370102")
    closed_case(world, assignee=world.worker_a)
    closed_case(world, assignee=world.handler, department=police)
    result = october(world.street_admin, by="unit")
    assert result.names == {f"grid:{world.grid_a.pk}": world.grid_a.name,
                            f"department:{police.pk}": police.name}


def test_the_pool_is_read_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    for i in range(12):
        worker = make_user(f"w{i}", (Role.GRID_WORKER, world.grid_a))
        closed_case(world, assignee=worker, reopens=i % 2, misroute=i % 3 == 0)
    from warmgrid.accounts.models import Department

    closed_case(world, assignee=world.handler,
                department=Department.objects.get(code="police-370102"))
    user = world.street_admin
    queries.scope_of(user)  # the grants, read once per request
    # The cases with their history and exclusions; the names.
    with django_assert_num_queries(2):
        result = october(user)
    assert len(result.subjects) == 13
    with django_assert_num_queries(3):  # + the departments' and grids' names
        october(user, by="unit")
