"""Dispatch past routing: assignment by duty and weighted load, lead / assisting / copied
units (主责 / 协办 / 抄送), transfer (转办), manual escalation, unit queues, duty rosters."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from warmgrid.accounts.models import Department, Role
from warmgrid.audit.models import AuditEntry
from warmgrid.cases import actions
from warmgrid.cases.models import Case, CaseEvent, CaseUnit, Category, DutyShift, RoutingRule
from warmgrid.cases.queries import cases_visible_to
from warmgrid.errors import Conflict, Forbidden, ValidationFailed
from warmgrid.notices.models import Notice
from warmgrid.testing import make_user

QUEUE = reverse("cases:queue")
DUTY = reverse("cases:duty")
POLICE_TEXT = "晚上小区门口总有陌生人徘徊"


def category(code):
    return Category.objects.get(code=code)


def police(world) -> Department:
    return world.handler.departments.get()


def unit(code, name, kind, area, username, grant_area=None):
    """A department with one handler (a member, with a grant over `grant_area`)."""
    department = Department.objects.create(code=code, name=name, kind=kind, area=area)
    user = make_user(username, (Role.DEPARTMENT_HANDLER, grant_area or area),
                     department=department)
    department.members.add(user)
    return department, user


@pytest.fixture
def fire(world):
    return unit("fire-s1", "解放路消防站", Department.Kind.FIRE, world.street1, "fire_h")


@pytest.fixture
def civil(world):
    return unit("civil-d", "历下区民政局", Department.Kind.CIVIL_AFFAIRS, world.district,
                "civil_h")


def report(world, *, code="public_order", text=POLICE_TEXT, actor=None, household=None,
           now=None):
    return actions.do_report_case(
        actor=actor or world.worker_a, now=now,
        data=actions.CaseInput(description=text, category=category(code),
                               household=household or world.household_a),
        channel=Case.Channel.GRID_WORKER)


def holding(world, user, code, state=Case.State.IN_PROGRESS):
    """An open case `user` already holds: part of their load."""
    return Case.objects.create(
        description="已有的事件", category=category(code), grid=world.grid_a,
        area_path=world.grid_a.path, state=state, channel=Case.Channel.GRID_WORKER,
        assignee=user, created_at=timezone.now())


def on_duty(user, *, department=None, area=None, hours=(-1, 3)):
    now = timezone.now()
    return DutyShift.objects.create(user=user, department=department, area=area,
                                    starts_at=now + dt.timedelta(hours=hours[0]),
                                    ends_at=now + dt.timedelta(hours=hours[1]))


def police_colleague(world, username="handler2"):
    user = make_user(username, (Role.DEPARTMENT_HANDLER, world.district),
                     department=police(world))
    police(world).members.add(user)
    return user


def form_of(name: str) -> str:
    """An action's form on the case page (the history marks its steps the same way)."""
    return f'class="wg-case-action" data-action="{name}"'


def detail(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def act(case) -> str:
    return reverse("cases:act", args=[case.pk])


# ---- assignment ------------------------------------------------------------------------

def test_intake_assigns_the_lightest_weighted_load_and_says_why(world):
    colleague = police_colleague(world)
    Category.objects.filter(code="garbage").update(difficulty=Decimal("0.5"))
    holding(world, world.handler, "family_conflict")  # one heavy case: 1.6
    holding(world, colleague, "garbage")  # two light ones: 0.5 + 0.5
    holding(world, colleague, "garbage")
    holding(world, world.handler, "garbage", state=Case.State.RESOLVED)  # waits for a check
    case = report(world)
    assert case.lead_department == police(world)
    assert case.assignee == colleague  # more cases, less weight
    why = {"user": colleague.pk, "on_duty": False, "load": "1", "open_cases": 2,
           "considered": 2, "eligible": 2, "nobody_on_duty": True}
    assert Case.objects.get(pk=case.pk).assignment_reason == why
    assert case.events.get(action="report").data["assigned"] == why
    assert Notice.objects.filter(case=case, kind="case_assigned", recipient=colleague).exists()
    assert not Notice.objects.filter(case=case, recipient=world.handler).exists()


def test_someone_on_duty_is_preferred_to_a_lighter_colleague(world):
    colleague = police_colleague(world)
    holding(world, world.handler, "family_conflict")
    on_duty(world.handler, department=police(world))
    on_duty(colleague, department=police(world), hours=(2, 6))  # not yet
    on_duty(colleague, area=world.grid_a)  # on duty for the grid team, not for the police
    case = report(world)
    assert case.assignee == world.handler
    assert case.assignment_reason["on_duty"] is True
    assert case.assignment_reason["considered"] == 1
    assert case.assignment_reason["nobody_on_duty"] is False


def test_the_grid_team_is_assigned_by_its_own_roster(world):
    holding(world, world.leader_a, "garbage")
    case = report(world, code="noise", text="楼上每天半夜装修很吵")
    assert case.lead_department is None
    assert case.assignee == world.worker_a  # lighter than the leader
    on_duty(world.leader_a, area=world.grid_a)
    second = report(world, code="noise", text="楼下广场舞声音太大")
    assert second.assignee == world.leader_a


def test_a_unit_with_nobody_who_may_handle_it_leaves_it_unassigned(world, fire):
    department, _user = fire
    RoutingRule.objects.create(order=1, category=category("safety"), department=department)
    department.role_assignments.all().delete()  # the handler lost their grant
    case = report(world, code="fire_exit", text="楼道堆满杂物堵住了消防通道")
    assert case.lead_department == department
    assert case.assignee is None and case.assignment_reason == {}


def test_intake_queries_do_not_grow_with_the_unit(world, django_assert_max_num_queries):
    police_colleague(world)
    report(world)  # warms the per-process reference copy and the classifier
    with CaptureQueriesContext(connection) as two:
        report(world)
    for i in range(8):
        on_duty(police_colleague(world, f"handler_{i}"), department=police(world))
        holding(world, world.handler, "garbage")
    with CaptureQueriesContext(connection) as ten:
        case = report(world)
    assert police(world).members.count() == 10
    assert case.assignment_reason["considered"] == 8 and case.assignee_id is not None
    assert len(ten) == len(two)
    with django_assert_max_num_queries(len(two)):
        report(world)


def test_triage_dispatch_assigns_too(world, monkeypatch):
    from warmgrid.cases import classification

    unsure = classification.Suggestion(category=category("property"), confidence=0.2,
                                       sure=False)
    monkeypatch.setattr(actions, "suggest_category", lambda text: unsure)
    case = actions.do_report_case(
        actor=world.worker_a, channel=Case.Channel.GRID_WORKER,
        data=actions.CaseInput(description="那个事情还是没有人管", household=world.household_a))
    assert case.state == Case.State.TRIAGE and case.assignee is None
    actions.do_triage_dispatch(actor=world.community_staff, case=case,
                               category=category("public_order"))
    case.refresh_from_db()
    assert case.assignee == world.handler
    dispatch = case.events.get(action="dispatch")
    assert dispatch.data["assigned"]["user"] == world.handler.pk


def test_a_colleague_may_claim_a_case_assigned_to_someone_else(world):
    colleague = police_colleague(world)
    holding(world, colleague, "family_conflict")
    case = report(world)
    assert case.assignee == world.handler
    actions.do_accept_case(actor=colleague, case=case)
    case.refresh_from_db()
    assert case.assignee == colleague and case.state == Case.State.IN_PROGRESS
    assert case.events.get(action="accept").data == {"claimed_from": world.handler.pk}


def test_the_assignee_taking_it_on_records_no_claim(world):
    case = report(world)
    actions.do_accept_case(actor=world.handler, case=case)
    assert case.events.get(action="accept").data == {}


# ---- transfer (转办) ---------------------------------------------------------------------

def test_a_transfer_is_a_misroute_that_keeps_the_clock(world, fire):
    department, fire_user = fire
    case = report(world)
    actions.do_accept_case(actor=world.handler, case=case)
    due = (case.first_response_due, case.resolve_due)
    actions.do_transfer_case(actor=world.handler, case=case, department=department,
                             reason="楼道堆物属消防隐患")
    case = Case.objects.get(pk=case.pk)
    assert case.state == Case.State.DISPATCHED
    assert case.lead_department == department and case.assignee is None
    assert case.assignment_reason == {} and case.routing_note == "transfer"
    assert (case.first_response_due, case.resolve_due) == due
    event = case.events.get(action="transfer")
    assert event.data == {"misroute": True, "from_unit": police(world).pk,
                          "to_unit": department.pk}
    assert (event.from_state, event.to_state, event.note) == ("in_progress", "dispatched",
                                                             "楼道堆物属消防隐患")
    assert Notice.objects.filter(case=case, kind="case_transferred",
                                 recipient=fire_user).exists()
    assert AuditEntry.objects.filter(object_type="case", object_id=str(case.pk),
                                     changes__action="transfer").exists()
    # The new unit takes it on; the old one no longer may.
    with pytest.raises(Forbidden):
        actions.do_accept_case(actor=world.handler, case=case)
    actions.do_accept_case(actor=fire_user, case=case)


def test_a_transfer_to_the_grid_team_names_no_unit(world):
    case = report(world)
    actions.do_transfer_case(actor=world.community_staff, case=case, department=None,
                             reason="邻里纠纷，由网格调解")
    case.refresh_from_db()
    assert case.lead_department is None
    assert case.events.get(action="transfer").data == {
        "misroute": True, "from_unit": police(world).pk, "to_unit": None}


def test_transfers_that_are_refused(world, fire, civil):
    department, fire_user = fire
    far, _far_user = unit("fire-s2", "千佛山消防站", Department.Kind.FIRE, world.street2,
                          "fire_s2")
    case = report(world)
    for reason, to in (("", department), ("转", department), ("属于本单位", police(world)),
                       ("不在辖区内", far)):
        with pytest.raises(ValidationFailed):
            actions.do_transfer_case(actor=world.handler, case=case, department=to,
                                     reason=reason)
    for stranger in (world.worker_b, world.street2_admin, fire_user, world.resident_a):
        with pytest.raises(Forbidden):
            actions.do_transfer_case(actor=stranger, case=case, department=department,
                                     reason="属消防隐患")
    actions.do_accept_case(actor=world.handler, case=case)
    actions.do_resolve_case(actor=world.handler, case=case, outcome="fixed", result="已处理")
    with pytest.raises(Conflict):
        actions.do_transfer_case(actor=world.handler, case=case, department=department,
                                 reason="属消防隐患")
    assert not CaseEvent.objects.filter(case=case, action="transfer").exists()


def test_the_new_lead_stops_being_an_assisting_unit(world, fire):
    department, _fire_user = fire
    case = report(world)
    actions.do_set_case_units(actor=world.community_staff, case=case, assist=[department])
    actions.do_transfer_case(actor=world.handler, case=case, department=department,
                             reason="属消防隐患")
    assert not CaseUnit.objects.filter(case=case).exists()


# ---- assisting (协办) and copied (抄送) units ---------------------------------------------

def test_a_dispatcher_names_assisting_and_copied_units_and_they_are_told(world, fire, civil):
    (fire_unit, fire_user), (civil_unit, civil_user) = fire, civil
    case = report(world)
    units = actions.do_set_case_units(actor=world.community_staff, case=case,
                                      assist=[fire_unit], copy=[civil_unit])
    assert {(u.department_id, u.role) for u in units} == {(fire_unit.pk, "assist"),
                                                          (civil_unit.pk, "copy")}
    assert Notice.objects.filter(case=case, kind="case_assist", recipient=fire_user).exists()
    assert Notice.objects.filter(case=case, kind="case_copy", recipient=civil_user).exists()
    event = case.events.get(action="units")
    assert event.data == {"assist": [fire_unit.pk], "copy": [civil_unit.pk], "removed": []}
    # The lists replace the current ones; a unit already on the case is not told again.
    actions.do_set_case_units(actor=world.community_staff, case=case, assist=[fire_unit])
    assert list(CaseUnit.objects.filter(case=case).values_list("department_id", "role")) == [
        (fire_unit.pk, "assist")]
    assert Notice.objects.filter(case=case, kind="case_assist").count() == 1


def test_naming_units_that_is_refused(world, fire):
    fire_unit, fire_user = fire
    far, _ = unit("fire-s2", "千佛山消防站", Department.Kind.FIRE, world.street2, "fire_s2")
    case = report(world)
    for assist, copy in (([police(world)], []), ([fire_unit], [fire_unit]), ([far], []),
                         ([], [far])):
        with pytest.raises(ValidationFailed):
            actions.do_set_case_units(actor=world.community_staff, case=case, assist=assist,
                                      copy=copy)
    for stranger in (world.handler, world.worker_a, fire_user, world.street2_admin):
        with pytest.raises(Forbidden):
            actions.do_set_case_units(actor=stranger, case=case, assist=[fire_unit])
    Case.objects.filter(pk=case.pk).update(state=Case.State.CLOSED)
    case.refresh_from_db()
    with pytest.raises(Conflict):
        actions.do_set_case_units(actor=world.community_staff, case=case, assist=[fire_unit])
    assert not CaseUnit.objects.exists()


def test_an_assisting_unit_reads_and_notes_but_does_not_handle(world, fire):
    fire_unit, fire_user = fire
    case = report(world)
    assert case not in cases_visible_to(fire_user)
    actions.do_set_case_units(actor=world.community_staff, case=case, assist=[fire_unit])
    assert case in cases_visible_to(fire_user)
    actions.do_add_note(actor=fire_user, case=case, note="已派员协助排查")
    for attempt in (
        lambda: actions.do_accept_case(actor=fire_user, case=case),
        lambda: actions.do_transfer_case(actor=fire_user, case=case, department=fire_unit,
                                         reason="我们来处理"),
        lambda: actions.do_escalate_case(actor=fire_user, case=case, reason="需要协调"),
        lambda: actions.do_return_case(actor=fire_user, case=case, reason="不归我们管"),
        lambda: actions.do_close_case(actor=fire_user, case=case),
    ):
        with pytest.raises(Forbidden):
            attempt()
    actions.do_accept_case(actor=world.handler, case=case)
    with pytest.raises(Forbidden):
        actions.do_resolve_case(actor=fire_user, case=case, outcome="fixed", result="已处理")


def test_a_copied_unit_only_reads(world, civil, login):
    civil_unit, civil_user = civil
    case = report(world)
    actions.do_set_case_units(actor=world.community_staff, case=case, copy=[civil_unit])
    assert case in cases_visible_to(civil_user)
    with pytest.raises(Forbidden):
        actions.do_add_note(actor=civil_user, case=case, note="已知悉")
    client = login(civil_user)
    page = client.get(detail(case))
    assert page.status_code == 200
    html = page.content.decode()
    assert "What you can do" not in html and "Copied units" in html
    response = client.post(act(case), {"action": "note", "note-note": "已知悉"})
    assert response.status_code == 403
    assert not case.events.filter(action="note").exists()


def test_units_not_on_the_case_and_units_outside_their_area_get_404(world, login):
    housing, housing_user = unit("housing-d", "区住建局", Department.Kind.HOUSING,
                                 world.district, "housing_h")
    # On the case, but the handler's own grant covers another street only.
    far, far_user = unit("civil-x", "区救助站", Department.Kind.CIVIL_AFFAIRS, world.district,
                         "civil_far", grant_area=world.street2)
    case = report(world)
    actions.do_set_case_units(actor=world.street_admin, case=case, copy=[far])
    for user in (housing_user, far_user, world.outsider):
        client = login(user)
        assert client.get(detail(case)).status_code == 404
        assert client.post(act(case), {"action": "note", "note-note": "看看"}).status_code == 404
        assert case not in cases_visible_to(user)
    assert housing.pk  # exists, yet sees nothing


# ---- manual escalation ------------------------------------------------------------------

def test_a_handler_escalates_one_level_at_a_time(world):
    case = report(world)
    expected = [(1, world.leader_a), (2, world.community_staff), (3, world.street_admin),
                (4, world.district_admin)]
    for level, told in expected:
        actions.do_escalate_case(actor=world.handler, case=case, reason="涉及多部门，需协调")
        case.refresh_from_db()
        assert case.escalation_level == level
        assert Notice.objects.filter(case=case, kind="case_escalated", recipient=told).exists()
    events = list(case.events.filter(action="escalate").values_list("data", flat=True))
    assert events == [{"level": n, "manual": True} for n in (1, 2, 3, 4)]
    assert not Notice.objects.filter(case=case, recipient=world.street2_admin).exists()
    assert AuditEntry.objects.filter(object_type="case", object_id=str(case.pk),
                                     changes__manual=True).count() == 4
    with pytest.raises(Conflict) as top:
        actions.do_escalate_case(actor=world.handler, case=case, reason="还需要协调")
    assert top.value.code == "top_of_ladder"


def test_escalations_that_are_refused(world, civil):
    civil_unit, civil_user = civil
    case = report(world)
    actions.do_set_case_units(actor=world.community_staff, case=case, copy=[civil_unit])
    with pytest.raises(ValidationFailed):
        actions.do_escalate_case(actor=world.handler, case=case, reason=" ")
    for stranger in (civil_user, world.worker_b, world.resident_a, world.street2_admin):
        with pytest.raises(Forbidden):
            actions.do_escalate_case(actor=stranger, case=case, reason="需要协调")
    actions.do_accept_case(actor=world.handler, case=case)
    actions.do_resolve_case(actor=world.handler, case=case, outcome="fixed", result="已处理")
    with pytest.raises(Conflict):
        actions.do_escalate_case(actor=world.handler, case=case, reason="需要协调")
    assert Case.objects.get(pk=case.pk).escalation_level == 0


def test_the_deadline_watch_does_not_tell_a_level_a_handler_already_asked(world):
    case = report(world)
    actions.do_escalate_case(actor=world.handler, case=case, reason="需要网格长协调")
    late = case.resolve_due + (case.resolve_due - case.created_at) * 0.3
    actions.do_watch_deadlines(now=late)
    case.refresh_from_db()
    assert case.escalation_level >= 2
    leader_notices = Notice.objects.filter(case=case, kind="case_escalated",
                                           recipient=world.leader_a)
    assert leader_notices.count() == 1


# ---- pages -------------------------------------------------------------------------------

def test_the_case_page_says_where_it_went_who_holds_it_and_why(world, fire, civil, login):
    (fire_unit, _), (civil_unit, _) = fire, civil
    RoutingRule.objects.create(order=7, category=category("public_order"),
                               department=police(world), note="治安类一律交公安")
    case = report(world)
    actions.do_set_case_units(actor=world.community_staff, case=case, assist=[fire_unit],
                              copy=[civil_unit])
    html = login(world.community_staff).get(detail(case)).content.decode()
    assert "Routed to 历下公安分局 by rule 7 (治安类一律交公安)." in html
    assert ("Chosen automatically: nobody was on duty, so everyone in the unit (1) was "
            "weighed; open load 0 (lowest of 1).") in html
    assert "解放路消防站" in html and "历下区民政局" in html
    assert form_of("units") in html and form_of("transfer") in html
    # The reporter sees where it went, not who holds it nor why.
    own = report(world, actor=world.resident_a)
    html = login(world.resident_a).get(detail(own)).content.decode()
    assert "Routed to 历下公安分局 by rule 7" in html
    assert "Chosen automatically" not in html and "handler" not in html


def test_transfer_units_and_escalate_through_the_case_page(world, fire, civil, login):
    (fire_unit, fire_user), (civil_unit, _) = fire, civil
    case = report(world)
    staff = login(world.community_staff)
    response = staff.post(act(case), {"action": "units", "units-assist": [str(fire_unit.pk)],
                                      "units-copy": [str(civil_unit.pk)]})
    assert response.status_code == 302
    assert CaseUnit.objects.filter(case=case).count() == 2
    handler = login(world.handler)
    html = handler.get(detail(case)).content.decode()
    assert form_of("escalate") in html and form_of("units") not in html
    response = handler.post(act(case), {"action": "escalate", "escalate-reason": "需要社区协调"})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).escalation_level == 1
    short = handler.post(act(case), {"action": "transfer",
                                     "transfer-department": str(fire_unit.pk),
                                     "transfer-reason": "转"})
    assert short.status_code == 200 and "Say why another unit should handle it." in \
        short.content.decode()
    response = handler.post(act(case), {"action": "transfer",
                                        "transfer-department": str(fire_unit.pk),
                                        "transfer-reason": "属消防隐患"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.lead_department == fire_unit
    html = login(fire_user).get(detail(case)).content.decode()
    assert "Transferred to 解放路消防站" in html


def test_an_assisting_unit_sees_the_note_form_only(world, fire, login):
    fire_unit, fire_user = fire
    case = report(world)
    actions.do_set_case_units(actor=world.community_staff, case=case, assist=[fire_unit])
    client = login(fire_user)
    html = client.get(detail(case)).content.decode()
    assert form_of("note") in html
    for name in ("accept", "transfer", "escalate", "return", "units"):
        assert form_of(name) not in html, name
    assert client.post(act(case), {"action": "note", "note-note": "已协助"}).status_code == 302
    assert client.post(act(case), {"action": "transfer", "transfer-department": str(
        fire_unit.pk), "transfer-reason": "我们来处理"}).status_code == 403


def test_the_triage_page_says_where_a_case_would_go(world, login):
    RoutingRule.objects.create(order=7, category=category("public_order"),
                               department=police(world), note="治安类一律交公安")
    case = report(world)
    actions.do_return_case(actor=world.handler, case=case, reason="不归我们管")
    Case.objects.filter(pk=case.pk).update(suggested_category=category("public_order"))
    html = login(world.community_staff).get(reverse("cases:triage")).content.decode()
    assert "Routed to 历下公安分局 by rule 7 (治安类一律交公安)." in html


def queue_world(world, fire, civil):
    """Police: one case held, one transferred in (nobody holds it yet), one assisting,
    one copied; and a fire case the police have nothing to do with."""
    (fire_unit, _), (civil_unit, _) = fire, civil
    RoutingRule.objects.create(order=1, category=category("safety"), department=fire_unit)
    held = report(world)
    transferred = report(world, code="fire_exit", text="楼道堆满杂物堵住了消防通道")
    actions.do_transfer_case(actor=world.community_staff, case=transferred,
                             department=police(world), reason="有人故意堵门，属治安")
    assisting = report(world, code="fire_exit", text="消防栓被锁住了")
    copied = report(world, code="fire_exit", text="车库里有人私拉电线充电")
    other = report(world, code="fire_exit", text="二单元楼道有电动车充电")
    actions.do_set_case_units(actor=world.community_staff, case=assisting,
                              assist=[police(world)])
    actions.do_set_case_units(actor=world.community_staff, case=copied,
                              copy=[police(world), civil_unit])
    return held, transferred, assisting, copied, other


def test_the_unit_queue_lists_lead_assisting_and_copied_cases_unassigned_first(
        world, fire, civil, login, django_assert_max_num_queries):
    held, transferred, assisting, copied, _other = queue_world(world, fire, civil)
    client = login(world.handler)
    with django_assert_max_num_queries(14):
        response = client.get(QUEUE)
    assert response.status_code == 200
    cases = list(response.context["cases"])
    assert cases[0] == transferred  # nobody holds it
    assert {c.pk for c in cases} == {held.pk, transferred.pk, assisting.pk, copied.pk}
    roles = {c.pk: c.queue_role for c in cases}
    assert roles == {held.pk: "lead", transferred.pk: "lead", assisting.pk: "assist",
                     copied.pk: "copy"}
    html = response.content.decode()
    assert "Assisting (协办)" in html and "Copied (抄送)" in html
    assert "Nobody holds it yet" in html


def test_the_queue_shows_one_unit_for_people_in_several(world, fire, civil, login):
    (fire_unit, _), _ = fire, civil
    held, transferred, assisting, copied, other = queue_world(world, fire, civil)
    from warmgrid.accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=world.handler, role=Role.DEPARTMENT_HANDLER,
                                  area=world.street1, department=fire_unit)
    client = login(world.handler)
    police_only = client.get(QUEUE, {"department": police(world).pk}).context["cases"]
    assert {c.pk for c in police_only} == {held.pk, transferred.pk, assisting.pk, copied.pk}
    fire_only = client.get(QUEUE, {"department": fire_unit.pk}).context["cases"]
    assert {c.pk for c in fire_only} == {assisting.pk, copied.pk, other.pk}
    housing, _ = unit("housing-d", "区住建局", Department.Kind.HOUSING, world.district,
                      "housing_h")
    assert client.get(QUEUE, {"department": housing.pk}).status_code == 404
    assert client.get(QUEUE, {"area": world.grid_a.pk}).status_code == 404


def test_the_queue_is_scoped(world, fire, civil, login):
    held, *_ = queue_world(world, fire, civil)
    Case.objects.filter(pk=held.pk).update(lead_department=None, assignee=None)
    grid_b = login(world.worker_b).get(QUEUE)
    assert grid_b.status_code == 200 and list(grid_b.context["cases"]) == []
    grid_a = login(world.worker_a).get(QUEUE)
    assert [c.pk for c in grid_a.context["cases"]] == [held.pk]
    for user in (world.outsider, world.resident_a, world.street_admin, world.researcher):
        assert login(user).get(QUEUE).status_code == 404, user


# ---- API ---------------------------------------------------------------------------------

def api(client, token, method, url, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "get":
        return client.get(url, body or {}, **headers)
    return client.post(url, body or {}, content_type="application/json", **headers)


def test_the_api_transfers_names_units_escalates_and_lists_the_queue(world, fire, civil,
                                                                     api_token, client):
    (fire_unit, fire_user), (civil_unit, _) = fire, civil
    case = report(world)
    base = f"/api/v1/cases/{case.pk}"
    staff, handler = api_token(world.community_staff), api_token(world.handler)
    response = api(client, staff, "post", f"{base}/units",
                   {"assisting": [fire_unit.pk], "copied": [civil_unit.pk]})
    assert response.status_code == 200, response.content
    assert {(u["department_id"], u["role"]) for u in response.json()} == {
        (fire_unit.pk, "assist"), (civil_unit.pk, "copy")}
    assert api(client, api_token(fire_user), "get", f"{base}/units").status_code == 200
    assert api(client, staff, "post", f"{base}/units",
               {"assisting": [999999]}).status_code == 422
    response = api(client, handler, "post", f"{base}/escalate", {"reason": "需要社区协调"})
    assert response.status_code == 200 and response.json()["escalation_level"] == 1
    queue = api(client, handler, "get", "/api/v1/case-queue").json()
    assert queue["count"] == 1 and queue["items"][0]["role"] == "lead"
    assert queue["items"][0]["case"]["assignment_reason"]["user"] == world.handler.pk
    fire_queue = api(client, api_token(fire_user), "get", "/api/v1/case-queue").json()
    assert [i["role"] for i in fire_queue["items"]] == ["assist"]
    assert api(client, handler, "get", "/api/v1/case-queue",
               {"department": fire_unit.pk}).status_code == 404
    response = api(client, handler, "post", f"{base}/transfer",
                   {"department_id": fire_unit.pk, "reason": "属消防隐患"})
    assert response.status_code == 200 and response.json()["lead_department"] == "解放路消防站"
    assert response.json()["assignee"] is None


def test_the_api_refuses_outsiders_and_wrong_units(world, fire, api_token, client):
    fire_unit, _fire_user = fire
    case = report(world)
    base = f"/api/v1/cases/{case.pk}"
    for user in (world.outsider, world.worker_b):
        token = api_token(user)
        for path, body in (("transfer", {"department_id": fire_unit.pk, "reason": "属消防"}),
                           ("units", {"assisting": [fire_unit.pk]}),
                           ("escalate", {"reason": "需要协调"})):
            assert api(client, token, "post", f"{base}/{path}", body).status_code == 404
        assert api(client, token, "get", f"{base}/units").status_code == 404
    handler = api_token(world.handler)
    assert api(client, handler, "post", f"{base}/transfer",
               {"department_id": 999999, "reason": "属消防隐患"}).status_code == 422
    assert api(client, handler, "post", f"{base}/units",
               {"assisting": [fire_unit.pk]}).status_code == 403
    assert api(client, handler, "post", f"{base}/transfer",
               {"department_id": fire_unit.pk, "reason": "属消防隐患",
                "extra": 1}).status_code == 422


# ---- duty roster (值班表) ----------------------------------------------------------------

def shift_form(user, start, hours=9, weeks=1):
    local = timezone.localtime(start)
    return {"user": str(user.pk), "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (local + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M"),
            "weeks": str(weeks), "note": "白班"}


def test_a_grid_leader_keeps_the_grid_teams_roster(world, login):
    client = login(world.leader_a)
    page = client.get(DUTY)
    assert page.status_code == 200
    assert page.context["area"] == world.grid_a
    assert {p.pk for p in page.context["people"]} == {world.worker_a.pk, world.leader_a.pk}
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    response = client.post(f"{DUTY}?unit=area-{world.grid_a.pk}",
                           shift_form(world.worker_a, start, weeks=2))
    assert response.status_code == 302
    shifts = list(DutyShift.objects.filter(user=world.worker_a).order_by("starts_at"))
    assert len(shifts) == 2 and shifts[0].area == world.grid_a
    assert shifts[1].starts_at - shifts[0].starts_at == dt.timedelta(days=7)
    assert AuditEntry.objects.filter(object_type="duty_shift", action="create").exists()
    html = client.get(DUTY).content.decode()
    assert "On duty now" in html and "worker_a" in html
    # The roster decides: worker_a is on duty, though heavier loaded than the leader.
    holding(world, world.worker_a, "family_conflict")
    case = report(world, code="noise", text="楼上每天半夜装修很吵")
    assert case.assignee == world.worker_a and case.assignment_reason["on_duty"] is True
    overlapping = client.post(DUTY, shift_form(world.worker_a, start))
    assert overlapping.status_code == 422
    assert "already on this roster" in overlapping.content.decode()
    response = client.post(DUTY, {"remove": str(shifts[0].pk)})
    assert response.status_code == 302
    assert not DutyShift.objects.filter(pk=shifts[0].pk).exists()


def test_a_department_keeps_its_own_roster(world, login):
    client = login(world.handler)
    page = client.get(DUTY, {"unit": f"department-{police(world).pk}"})
    assert page.status_code == 200 and page.context["department"] == police(world)
    start = timezone.now() + dt.timedelta(days=1)
    assert client.post(f"{DUTY}?unit=department-{police(world).pk}",
                       shift_form(world.handler, start, hours=24)).status_code == 302
    assert DutyShift.objects.get().department == police(world)
    too_long = client.post(DUTY, shift_form(world.handler, start + dt.timedelta(days=3),
                                            hours=80))
    assert too_long.status_code == 422 and DutyShift.objects.count() == 1


def test_rosters_are_kept_only_by_their_keepers(world, login):
    shift = on_duty(world.worker_a, area=world.grid_a)
    for user in (world.worker_a, world.outsider, world.resident_a, world.researcher):
        client = login(user)
        assert client.get(DUTY).status_code == 404, user
        assert client.post(DUTY, {"remove": str(shift.pk)}).status_code == 404, user
    other_street = login(world.street2_admin)
    assert other_street.get(DUTY).context["area"] == world.grid_c
    assert other_street.get(DUTY, {"unit": f"area-{world.grid_a.pk}"}).status_code == 404
    assert other_street.get(DUTY, {"unit": f"department-{police(world).pk}"}
                            ).status_code == 404
    assert other_street.post(DUTY, {"remove": str(shift.pk)}).status_code == 404
    assert DutyShift.objects.filter(pk=shift.pk).exists()
    with pytest.raises(ValidationFailed):  # not a member of grid A's team
        actions.do_add_duty_shifts(actor=world.leader_a, user=world.worker_b,
                                   area=world.grid_a, starts_at=shift.starts_at,
                                   ends_at=shift.ends_at)
    with pytest.raises(Forbidden):
        actions.do_add_duty_shifts(actor=world.leader_a, user=world.handler,
                                   department=police(world), starts_at=shift.starts_at,
                                   ends_at=shift.ends_at)


# ---- the demo's rosters and units ---------------------------------------------------------

def test_the_demo_roster_alternates_workers_and_rests_on_sunday():
    from warmgrid.demo.duty import plan_grid_shifts

    monday = dt.date(2026, 11, 2)
    week = [plan_grid_shifts(monday + dt.timedelta(days=i), [11, 12], 13) for i in range(7)]
    weekday_people = [shifts[0][0] for shifts in week[:5]]
    assert set(weekday_people) == {11, 12} and all(
        a != b for a, b in itertools.pairwise(weekday_people))
    assert [s[0] for s in week[5]] == [13] and week[6] == []
    start, end = week[0][0][1:]
    assert (start.hour, start.minute, end.hour, end.minute) == (8, 30, 17, 30)


def test_the_demo_chooses_second_units_by_the_cases_own_fields():
    from warmgrid.demo.duty import UNIT_SHARE, chosen_for_units

    at = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
    picks = [chosen_for_units(7, at + dt.timedelta(hours=i), "楼道堵塞") for i in range(600)]
    assert picks == [chosen_for_units(7, at + dt.timedelta(hours=i), "楼道堵塞")
                     for i in range(600)]
    assert 600 / UNIT_SHARE * 0.6 < sum(picks) < 600 / UNIT_SHARE * 1.4
