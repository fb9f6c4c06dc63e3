"""A case's whole life through the actions: report, route, claim, handle, close, rate."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from warmgrid.accounts.models import Department, Role, RoleAssignment
from warmgrid.audit.models import AuditEntry
from warmgrid.cases import actions
from warmgrid.cases.models import Case, Category, RoutingRule
from warmgrid.cases.queries import cases_visible_to
from warmgrid.errors import Conflict, Forbidden, ValidationFailed
from warmgrid.lib import casestates


def category(code):
    return Category.objects.get(code=code)


def report(world, *, actor=None, household=None, code="garbage", text="3号楼门口垃圾没人清运"):
    return actions.do_report_case(
        actor=actor or world.worker_a,
        data=actions.CaseInput(description=text, category=category(code) if code else None,
                               household=household or world.household_a),
        channel=Case.Channel.GRID_WORKER)


def test_a_worker_reports_and_it_is_dispatched_with_deadlines(world):
    case = report(world)
    assert case.state == Case.State.DISPATCHED
    assert case.grid_id == world.grid_a.pk and case.area_path == world.grid_a.path
    assert case.first_response_due < case.resolve_due
    assert case.routing_note in ("category_default", "area_team")
    assert [e.action for e in case.events.all()] == ["report"]
    assert AuditEntry.objects.filter(object_type="case", object_id=str(case.pk),
                                     action="create").exists()


def test_urgent_risks_take_top_priority_whatever_the_category(world):
    case = report(world, code="property", text="5号楼电梯突然停了，有老人被困在电梯里出不来")
    assert case.priority == 1
    assert any(r["code"] for r in case.urgent_reasons)
    assert case.state == Case.State.DISPATCHED


def test_an_unsure_suggestion_goes_to_triage_and_a_person_decides(world, monkeypatch):
    from warmgrid.cases import classification

    unsure = classification.Suggestion(category=category("property"), confidence=0.2,
                                       sure=False)
    monkeypatch.setattr(actions, "suggest_category", lambda text: unsure)
    case = report(world, code=None, text="那个事情还是没有人管")
    assert case.state == Case.State.TRIAGE and case.category_id == category("property").pk
    with pytest.raises(Forbidden):
        actions.do_triage_dispatch(actor=world.worker_a, case=case, category=category("noise"))
    actions.do_triage_dispatch(actor=world.community_staff, case=case,
                               category=category("noise"))
    case.refresh_from_db()
    assert case.state == Case.State.DISPATCHED and case.category.code == "noise"
    dispatch = case.events.get(action="dispatch")
    assert dispatch.data["corrected"] is True and dispatch.data["suggested"] == "property"


def test_a_worker_cannot_report_in_another_grid(world):
    with pytest.raises(Forbidden):
        report(world, household=world.household_b)


def test_cases_are_seen_only_within_scope(world):
    case = report(world)
    assert case in cases_visible_to(world.worker_a)
    assert case in cases_visible_to(world.street_admin)
    for outsider in (world.worker_b, world.street2_admin, world.outsider, world.volunteer,
                     world.researcher):
        assert case not in cases_visible_to(outsider)


def test_a_department_sees_only_what_is_sent_to_it(world):
    case = report(world, code="public_order", text="小区门口有人聚众赌博")
    assert case.lead_department.kind == Department.Kind.POLICE
    assert case in cases_visible_to(world.handler)
    other = report(world)
    assert other not in cases_visible_to(world.handler)


def test_refused_transitions_say_so(world):
    case = report(world)
    with pytest.raises(Conflict) as caught:
        actions.do_resolve_case(actor=world.worker_a, case=case, outcome="fixed", result="ok")
    assert caught.value.code == "transition_refused"


def test_of_two_claims_at_once_one_wins(world):
    case = report(world)
    stale = Case.objects.get(pk=case.pk)
    actions.do_accept_case(actor=world.worker_a, case=case)
    with pytest.raises(Conflict) as caught:
        actions.do_accept_case(actor=world.leader_a, case=stale)
    assert caught.value.code in ("stale_case", "transition_refused")
    assert Case.objects.get(pk=case.pk).assignee == world.worker_a


def handled(world, code="garbage"):
    case = report(world, code=code)
    actions.do_accept_case(actor=world.community_staff, case=case)
    actions.do_resolve_case(actor=world.community_staff, case=case, outcome="fixed",
                            result="已清运")
    return case


def test_a_checked_category_needs_a_second_person(world):
    case = handled(world, code="fire_exit")
    assert case.category.needs_check
    with pytest.raises(Forbidden):
        actions.do_close_case(actor=world.community_staff, case=case)
    actions.do_close_case(actor=world.street_admin, case=case)
    assert Case.objects.get(pk=case.pk).state == Case.State.CLOSED
    assert case.events.filter(action="check_pass").exists()


def test_closing_needs_a_result_and_an_honest_outcome(world):
    case = report(world)
    actions.do_accept_case(actor=world.worker_a, case=case)
    with pytest.raises(ValidationFailed) as caught:
        actions.do_resolve_case(actor=world.worker_a, case=case, outcome="great", result=" ")
    assert set(caught.value.fields) == {"outcome", "result"}
    actions.do_resolve_case(actor=world.worker_a, case=case, outcome="not_fixed",
                            result="业主拒绝清理，已上报")
    assert Case.objects.get(pk=case.pk).outcome == "not_fixed"


def test_an_unhappy_rating_within_a_week_reopens(world):
    case = handled(world)
    actions.do_close_case(actor=world.street_admin, case=case)
    with pytest.raises(Forbidden):
        actions.do_rate_case(actor=world.worker_b, case=case, rating=1)
    actions.do_rate_case(actor=world.worker_a, case=case, rating=1, comment="根本没清")
    case.refresh_from_db()
    assert case.rating == 1 and case.state == Case.State.IN_PROGRESS
    assert [e.action for e in case.events.all()][-2:] == ["rate", "reopen"]


def test_a_late_unhappy_rating_does_not_reopen(world):
    case = handled(world)
    actions.do_close_case(actor=world.street_admin, case=case)
    later = timezone.now() + dt.timedelta(days=8)
    actions.do_rate_case(actor=world.worker_a, case=case, rating=2, now=later)
    assert Case.objects.get(pk=case.pk).state == Case.State.CLOSED


def test_returning_a_case_counts_a_misroute(world):
    case = report(world, code="public_order", text="楼下有人打架")
    with pytest.raises(ValidationFailed):
        actions.do_return_case(actor=world.handler, case=case, reason="")
    actions.do_return_case(actor=world.handler, case=case, reason="属物业纠纷，非治安")
    case.refresh_from_db()
    assert case.state == Case.State.TRIAGE and case.lead_department is None
    assert case.events.get(action="return").data["misroute"] is True


def test_routing_rules_explain_themselves_first_match_wins(world):
    fire = Department.objects.create(code="fire-1", name="消防救援站", kind="fire",
                                     area=world.street1)
    RoutingRule.objects.create(order=5, category=category("safety"), area=world.community1,
                               department=fire)
    RoutingRule.objects.create(order=9, department=world.handler.departments.first())
    case = report(world, code="fire_exit", text="楼道堆满杂物堵住了消防通道")
    assert (case.lead_department, case.routing_note) == (fire, "rule:5")
    other = report(world, code="garbage")
    assert other.routing_note == "rule:9"


def test_history_is_a_path_through_the_state_machine(world):
    case = handled(world)
    actions.do_close_case(actor=world.street_admin, case=case)
    state = ""
    for event in case.events.all():
        if event.action in ("report", "note", "rate"):
            state = event.to_state
            continue
        assert casestates.next_state(event.from_state, event.action) == event.to_state
        assert event.from_state == state
        state = event.to_state
    assert state == Case.State.CLOSED


def test_a_resident_reports_at_home_and_sees_only_their_own(world):
    case = actions.do_report_case(
        actor=world.resident_a,
        data=actions.CaseInput(description="家门口路灯不亮了", household=world.household_a),
        channel=Case.Channel.RESIDENT)
    assert case in cases_visible_to(world.resident_a)
    assert report(world) not in cases_visible_to(world.resident_a)
    with pytest.raises(Forbidden):
        actions.do_report_case(
            actor=world.resident_a,
            data=actions.CaseInput(description="别人家", household=world.household_b),
            channel=Case.Channel.RESIDENT)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_many_threads_claiming_at_once_on_postgresql():
    """Real concurrent connections: of 8 handlers claiming one case, exactly one wins."""
    import threading

    from django.db import connections

    from warmgrid.testing import build_world

    world = build_world()
    case = report(world)
    handlers = []
    for i in range(8):
        from warmgrid.testing import make_user

        handlers.append(make_user(f"h{i}", (Role.GRID_WORKER, world.grid_a)))
    barrier = threading.Barrier(len(handlers))
    outcomes = []

    def claim(user):
        try:
            mine = Case.objects.get(pk=case.pk)
            barrier.wait()
            actions.do_accept_case(actor=user, case=mine)
            outcomes.append("won")
        except Conflict:
            outcomes.append("told")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(h,)) for h in handlers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert connection.vendor == "postgresql"
    assert sorted(outcomes) == ["told"] * 7 + ["won"]
    assert Case.objects.get(pk=case.pk).events.filter(action="accept").count() == 1
    RoleAssignment.objects.all().delete()
