"""Event pages through the front door: report, my reports, tasks, triage, a case (the board
is tested in warmgrid/supervision/tests)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from warmgrid.accounts.models import Department
from warmgrid.cases import actions, deadlines
from warmgrid.cases.models import Case, Category, RoutingRule
from warmgrid.testing import make_building

REPORT = reverse("cases:report")
MINE = reverse("cases:mine")
TASKS = reverse("cases:tasks")
TRIAGE = reverse("cases:triage")
HTMX = {"HTTP_HX_REQUEST": "true"}
GARBAGE_TEXT = "3号楼门口垃圾没人清运"


def detail(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def act(case) -> str:
    return reverse("cases:act", args=[case.pk])


def category(code):
    return Category.objects.get(code=code)


def report(world, *, actor=None, household=None, code="garbage", text=GARBAGE_TEXT, now=None):
    return actions.do_report_case(
        actor=actor or world.worker_a,
        data=actions.CaseInput(description=text, category=category(code) if code else None,
                               household=household or world.household_a),
        channel=Case.Channel.GRID_WORKER, now=now)


def in_triage(world, **kwargs):
    """A case waiting in triage with the classifier's suggestion: sent back by its unit
    (退回) when the classifier was sure enough to dispatch it."""
    case = report(world, **kwargs)
    if case.state == Case.State.DISPATCHED:
        actions.do_return_case(actor=world.community_staff, case=case, reason="不归我们管")
    return Case.objects.get(pk=case.pk)


def closed(world):
    case = report(world)
    actions.do_accept_case(actor=world.worker_a, case=case)
    actions.do_resolve_case(actor=world.worker_a, case=case, outcome="fixed", result="已清运")
    actions.do_close_case(actor=world.community_staff, case=case)
    return Case.objects.get(pk=case.pk)


def yellow_start(now) -> dt.datetime:
    """A reporting time whose garbage case is in its yellow band (75–100 % of the working
    time used) now: found on the real calendar, the middle of the band."""
    probe = Case(category=category("garbage"), state=Case.State.DISPATCHED, priority=3,
                 resolve_due=now)
    starts = []
    for quarter in range(1, 4 * 24 * 10):
        probe.created_at = now - dt.timedelta(minutes=15 * quarter)
        if deadlines.warning(probe, now=now) == "yellow":
            starts.append(probe.created_at)
    assert starts
    return starts[len(starts) // 2]


def form_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


# ---- report ---------------------------------------------------------------------------


def test_it_reports_a_case_from_a_grid_worker(world, login):
    client = login(world.worker_a)
    html = client.get(REPORT).content.decode()
    assert f'value="{world.household_a.pk}"' in html
    assert f'value="{world.household_b.pk}"' not in html  # another grid's household
    assert world.building_a.name in html and world.building_b.name not in html
    assert "Let WarmGrid suggest" in html
    assert 'name="channel"' not in html  # phone and hotline intake is community staff's
    response = client.post(REPORT, {"description": GARBAGE_TEXT, "category": "garbage",
                                    "household": world.household_a.pk,
                                    "idempotency_key": form_key(html)})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(case)
    assert (case.household, case.channel, case.reporter) == (
        world.household_a, Case.Channel.GRID_WORKER, world.worker_a)
    assert case.category.code == "garbage" and case.state == Case.State.DISPATCHED


def test_it_reports_at_a_building(world, login):
    response = login(world.worker_a).post(REPORT, {
        "description": "3号楼东侧路灯不亮", "building": world.building_a.pk,
        "address": "东侧自行车棚"})
    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.building, case.household, case.address) == (world.building_a, None,
                                                             "东侧自行车棚")


def test_a_resident_reports_from_home(world, login):
    client = login(world.resident_a)
    html = client.get(REPORT).content.decode()
    assert "Your household" in html
    assert re.search(rf'value="{world.household_a.pk}"\s+checked', html)
    assert 'name="household_q"' not in html
    # The buildings offered are the resident's own grid's, no further.
    assert world.building_a.name in html and world.building_b.name not in html
    response = client.post(REPORT, {"description": "家门口的路灯坏了，晚上很黑",
                                    "household": world.household_a.pk})
    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.household, case.channel) == (world.household_a, Case.Channel.RESIDENT)


def _place_on_map(*buildings):
    for n, building in enumerate(buildings):
        building.latitude = Decimal("36.650000") + n * Decimal("0.010000")
        building.longitude = Decimal("117.020000")
        building.save(update_fields=["latitude", "longitude"])


def test_a_resident_reports_a_point_on_the_map_near_another_building(world, login):
    _place_on_map(world.building_a, world.building_b)
    other = make_building(world.grid_a, "370102001001001-B02", "7号楼")
    other.latitude, other.longitude = Decimal("36.652000"), Decimal("117.020000")
    other.save(update_fields=["latitude", "longitude"])
    client = login(world.resident_a)
    html = client.get(REPORT).content.decode()
    # The map shows the resident's grid, not the next one.
    assert 'id="report-map-buildings"' in html and "7号楼" in html
    assert world.building_b.name not in html
    response = client.post(REPORT, {"description": "7号楼旁边的路灯不亮",
                                    "latitude": "36.6519987", "longitude": "117.0200011"})
    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.building, case.household) == (other, None)
    assert (case.latitude, case.longitude) == (Decimal("36.651999"), Decimal("117.020001"))


def test_a_resident_may_not_report_in_another_grid(world, login):
    _place_on_map(world.building_a, world.building_b)
    client = login(world.resident_a)
    # A point next to another grid's building, and that building chosen by its id.
    by_point = client.post(REPORT, {"description": "别的网格的路灯不亮",
                                    "latitude": "36.660000", "longitude": "117.020000"})
    by_building = client.post(REPORT, {"description": "别的网格的路灯不亮",
                                       "building": world.building_b.pk})
    assert Case.objects.count() == 0
    assert "only where you work or live" in by_point.content.decode()
    assert by_building.status_code == 200  # not among the choices: the form says so
    assert "Select a valid choice" in by_building.content.decode()


def test_a_point_off_the_earth_is_refused(world, login):
    response = login(world.worker_a).post(REPORT, {"description": "路灯不亮",
                                                   "latitude": "91", "longitude": "117"})
    assert Case.objects.count() == 0
    assert "less than or equal to 90" in response.content.decode()


def test_a_double_submitted_form_makes_one_case(world, login):
    client = login(world.worker_a)
    key = form_key(client.get(REPORT).content.decode())
    body = {"description": GARBAGE_TEXT, "category": "garbage",
            "household": world.household_a.pk, "idempotency_key": key}
    first = client.post(REPORT, body)
    again = client.post(REPORT, body, follow=True)
    case = Case.objects.get()
    assert first["Location"] == detail(case)
    assert again.redirect_chain[-1][0] == detail(case)
    assert "already received" in again.content.decode()
    fresh = form_key(client.get(REPORT).content.decode())
    assert fresh != key  # a newly drawn form is a new report
    client.post(REPORT, body | {"idempotency_key": fresh})
    assert Case.objects.count() == 2


def test_a_sent_form_changed_after_going_back_is_sent_again_as_a_new_report(world, login):
    client = login(world.worker_a)
    body = {"description": GARBAGE_TEXT, "household": world.household_a.pk,
            "idempotency_key": "k-back"}
    client.post(REPORT, body)
    html = client.post(REPORT, body | {"description": "3号楼门口路灯不亮"}).content.decode()
    assert "This form was already sent once" in html and "Idempotency" not in html
    assert Case.objects.count() == 1
    fresh = form_key(html)
    assert fresh != "k-back"
    client.post(REPORT, body | {"description": "3号楼门口路灯不亮", "idempotency_key": fresh})
    assert Case.objects.count() == 2


def test_it_shows_errors_beside_the_fields_with_htmx(world, login):
    client = login(world.worker_a)
    response = client.post(REPORT, {"description": "  ", "idempotency_key": "k-1"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="id_description_error"' in html and "Describe what happened." in html
    assert 'id="id_household_error"' in html  # "say where it is" beside the place
    assert 'value="k-1"' in html  # the same key goes round again
    assert not Case.objects.exists()


def test_it_refuses_another_grids_household_and_building(world, login):
    client = login(world.worker_a)
    html = client.post(REPORT, {"description": GARBAGE_TEXT,
                                "household": world.household_b.pk}).content.decode()
    assert 'id="id_household_error"' in html
    html = client.post(REPORT, {"description": GARBAGE_TEXT,
                                "building": world.building_c.pk}).content.decode()
    assert 'id="id_building_error"' in html
    assert not Case.objects.exists()


def test_it_finds_households_in_scope_as_you_type(world, login):
    html = login(world.community_staff).get(
        REPORT, {"household_q": "502"}, **HTMX).content.decode()
    assert "<html" not in html and 'id="household-choices"' in html
    assert f'value="{world.household_b.pk}"' in html
    assert f'value="{world.household_a.pk}"' not in html
    html = login(world.worker_a).get(REPORT, {"household_q": "502"}, **HTMX).content.decode()
    assert f'value="{world.household_b.pk}"' not in html
    assert "No household found" in html


def test_community_staff_take_in_phone_calls_and_hotline_tickets(world, login):
    client = login(world.community_staff)
    html = client.get(REPORT).content.decode()
    assert 'value="phone"' in html and 'value="hotline_12345"' in html
    body = {"description": "市民来电：5号楼楼道灯不亮", "household": world.household_b.pk,
            "channel": "hotline_12345"}
    html = client.post(REPORT, body).content.decode()
    assert 'id="id_external_id_error"' in html and not Case.objects.exists()
    client.post(REPORT, body | {"external_id": "SD12345-2026-0042"})
    case = Case.objects.get()
    assert (case.channel, case.external_id) == ("hotline_12345", "SD12345-2026-0042")


def test_it_is_404_for_people_without_any_role(world, login):
    assert login(world.outsider).get(REPORT).status_code == 404


# ---- my reports -------------------------------------------------------------------------


def test_my_reports_show_each_cases_history_in_plain_words(world, login):
    case = closed(world)
    theirs = report(world, actor=world.worker_b, household=world.household_b)
    actions.do_add_note(actor=world.worker_a, case=case, note="内部备注：物业拖延")
    html = login(world.worker_a).get(MINE).content.decode()
    assert detail(case) in html and "Closed" in html
    assert "Reported" in html and "Taken on by a handler" in html
    assert "Handled; the result is recorded" in html and "已清运" in html
    assert "内部备注" not in html  # notes between units stay on the case page
    assert detail(theirs) not in html
    assert 'name="action" value="rate"' in html


def test_a_reporter_rates_a_closed_case_from_my_reports(world, login):
    case = closed(world)
    response = login(world.worker_a).post(act(case), {
        "action": "rate", "rate-rating": "4", "rate-comment": "很及时", "next": "mine"})
    assert response.status_code == 302 and response["Location"] == MINE
    case.refresh_from_db()
    assert (case.rating, case.rating_comment, case.state) == (4, "很及时", Case.State.CLOSED)


def test_an_unhappy_rating_reopens_the_case(world, login):
    case = closed(world)
    response = login(world.worker_a).post(act(case), {"action": "rate", "rate-rating": "1"},
                                          follow=True)
    assert "reopened" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == Case.State.IN_PROGRESS


def test_only_the_reporter_may_rate(world, login):
    case = closed(world)
    assert login(world.leader_a).post(act(case), {"action": "rate",
                                                  "rate-rating": "5"}).status_code == 403
    assert Case.objects.get(pk=case.pk).rating is None


# ---- tasks ------------------------------------------------------------------------------


def test_tasks_come_by_deadline_with_their_warning_colour(world, login):
    now = timezone.now()
    late = report(world, now=now - dt.timedelta(days=30))
    soon = report(world, now=yellow_start(now))
    fresh = report(world)
    assert {late.priority, soon.priority, fresh.priority} == {3}
    html = login(world.worker_a).get(TASKS).content.decode()
    positions = [html.index(detail(c)) for c in (late, soon, fresh)]
    assert positions == sorted(positions)
    assert 'data-warning="red"' in html and "Overdue" in html and "past the deadline" in html
    assert 'data-warning="yellow"' in html and "Due soon" in html
    assert 'data-warning="green"' in html and "left" in html


def test_tasks_filter_by_state_and_stay_in_scope(world, login):
    waiting = report(world)
    actions.do_accept_case(actor=world.worker_a, case=waiting)
    other = report(world)
    theirs = report(world, actor=world.worker_b, household=world.household_b)
    client = login(world.worker_a)
    html = client.get(TASKS).content.decode()
    assert detail(waiting) in html and detail(other) in html and detail(theirs) not in html
    html = client.get(TASKS, {"state": "in_progress"}).content.decode()
    assert detail(waiting) in html and detail(other) not in html
    assert login(world.handler).get(TASKS).status_code == 200
    assert detail(other) not in login(world.handler).get(TASKS).content.decode()
    for persona in ("resident_a", "outsider", "researcher"):
        assert login(getattr(world, persona)).get(TASKS).status_code == 404


# ---- triage -----------------------------------------------------------------------------


def test_triage_shows_the_suggestion_and_dispatches(world, login):
    case = in_triage(world, code=None, text="楼道里堆满了纸箱杂物，堵住了消防通道")
    client = login(world.community_staff)
    html = client.get(TRIAGE).content.decode()
    assert detail(case) in html and "% sure" in html
    assert case.suggested_category is not None
    assert re.search(rf'<option value="{case.suggested_category.code}" selected>', html)
    response = client.post(act(case), {"action": "dispatch", "dispatch-category": "fire_exit",
                                       "next": "triage"})
    assert response.status_code == 302 and response["Location"] == TRIAGE
    case.refresh_from_db()
    assert case.state == Case.State.DISPATCHED and case.category.code == "fire_exit"
    assert case.events.filter(action="dispatch", actor=world.community_staff).exists()


def test_triage_is_for_dispatchers_only(world, login):
    case = in_triage(world)
    worker = login(world.worker_a)
    assert worker.get(TRIAGE).status_code == 404
    body = {"action": "dispatch", "dispatch-category": "garbage"}
    assert worker.post(act(case), body).status_code == 403  # sees the case, may not send it
    assert login(world.worker_b).post(act(case), body).status_code == 404
    assert login(world.street2_admin).post(act(case), body).status_code == 404
    assert Case.objects.get(pk=case.pk).state == Case.State.TRIAGE
    assert detail(case) in login(world.street_admin).get(TRIAGE).content.decode()
    assert detail(case) not in login(world.street2_admin).get(TRIAGE).content.decode()


def test_urgent_reasons_are_shown_in_triage(world, login):
    case = in_triage(world, code="property", text="5号楼电梯突然停了，有老人被困在电梯里出不来")
    html = login(world.community_staff).get(TRIAGE).content.decode()
    assert case.urgent_reasons and "Urgent because" in html
    assert case.urgent_reasons[0]["label_en"] in html


# ---- one case ---------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), [
    ("worker_a", 200), ("leader_a", 200), ("community_staff", 200), ("street_admin", 200),
    ("district_admin", 200), ("worker_b", 404), ("street2_admin", 404), ("resident_a", 404),
    ("volunteer", 404), ("researcher", 404), ("handler", 404), ("outsider", 404),
])
def test_it_scopes_the_case_page_and_its_actions(world, login, persona, status):
    case = report(world)
    client = login(getattr(world, persona))
    assert client.get(detail(case)).status_code == status
    if status == 404:
        assert client.post(act(case), {"action": "accept"}).status_code == 404
        assert Case.objects.get(pk=case.pk).state == Case.State.DISPATCHED


def test_the_reporter_sees_progress_but_not_internal_notes(world, login):
    case = actions.do_report_case(
        actor=world.resident_a, channel=Case.Channel.RESIDENT,
        data=actions.CaseInput(description="家门口的路灯坏了", household=world.household_a))
    actions.do_add_note(actor=world.community_staff, case=case, note="内部：联系城管")
    html = login(world.resident_a).get(detail(case)).content.decode()
    assert "家门口的路灯坏了" in html and "内部" not in html
    assert 'name="action"' not in html  # nothing to do until it is closed
    assert "内部：联系城管" in login(world.worker_a).get(detail(case)).content.decode()


def test_it_explains_the_routing(world, login):
    police = world.handler.departments.first()
    RoutingRule.objects.create(order=7, category=category("noise"), department=police)
    by_rule = report(world, code="noise", text="楼上半夜装修噪音")
    by_default = report(world, code="public_order", text="小区门口有人聚众赌博")
    by_team = report(world, code="family_conflict", text="邻居家夫妻吵架")
    client = login(world.street_admin)

    def page(case):
        return unescape(client.get(detail(case)).content.decode())

    assert f"Routed to {police.name} by rule 7." in page(by_rule)
    assert "the category's default unit" in page(by_default)
    assert "The grid's own team" in page(by_team)


def test_it_offers_only_the_actions_the_user_may_take(world, login):
    case = report(world)
    worker = login(world.worker_a).get(detail(case)).content.decode()
    assert 'value="accept"' in worker and 'value="return"' in worker
    assert 'value="close"' not in worker and 'value="resolve"' not in worker
    actions.do_accept_case(actor=world.worker_a, case=case)
    actions.do_resolve_case(actor=world.worker_a, case=case, outcome="fixed", result="已清运")
    worker = login(world.worker_a).get(detail(case)).content.decode()
    assert 'value="close"' not in worker and 'value="resolve"' not in worker
    staff = login(world.community_staff).get(detail(case)).content.decode()
    assert 'value="close"' in staff and 'value="reject"' in staff


def test_a_case_is_handled_through_its_page(world, login):
    case = report(world)
    worker = login(world.worker_a)
    assert worker.post(act(case), {"action": "accept"}).status_code == 302
    response = worker.post(act(case), {"action": "wait", "wait-note": "等居民回电"})
    assert response.status_code == 302
    worker.post(act(case), {"action": "resume"})
    worker.post(act(case), {"action": "note", "note-note": "已联系物业"})
    html = worker.post(act(case), {"action": "resolve", "resolve-outcome": "fixed"}
                       ).content.decode()
    assert f'id="id_{case.pk}_resolve-result_error"' in html and "Say what was done." in html
    worker.post(act(case), {"action": "resolve", "resolve-outcome": "fixed",
                            "resolve-result": "已清运"})
    staff = login(world.community_staff)
    assert staff.post(act(case), {"action": "close"}).status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED and case.outcome == "fixed"
    assert [e.action for e in case.events.all()] == [
        "report", "accept", "wait", "resume", "note", "resolve", "close"]
    html = worker.get(detail(case)).content.decode()
    assert "Waiting for the resident; the clock is paused" in html and "等居民回电" in html


def test_a_transition_someone_else_made_first_shows_a_message(world, login):
    case = report(world)
    page = login(world.leader_a).get(detail(case)).content.decode()
    assert 'value="accept"' in page  # the leader is looking at the accept button …
    login(world.worker_a).post(act(case), {"action": "accept"})  # … the worker was faster
    response = login(world.leader_a).post(act(case), {"action": "accept"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this case a moment ago" in html
    assert "In progress" in html  # the fresh state
    assert Case.objects.get(pk=case.pk).assignee == world.worker_a


def test_a_checked_category_waits_for_a_second_person(world, login):
    case = report(world, code="fire_exit", text="楼道堆满杂物堵住了消防通道")
    actions.do_accept_case(actor=world.community_staff, case=case)
    actions.do_resolve_case(actor=world.community_staff, case=case, outcome="fixed",
                            result="已清理")
    html = login(world.community_staff).get(detail(case)).content.decode()
    assert 'value="close"' not in html and "second person" in html
    street = login(world.street_admin)
    assert "Checked: close the case" in street.get(detail(case)).content.decode()
    street.post(act(case), {"action": "close"})
    assert Case.objects.get(pk=case.pk).state == Case.State.CLOSED


def test_an_unknown_action_is_a_bad_request(world, login):
    case = report(world)
    assert login(world.worker_a).post(act(case), {"action": "explode"}).status_code == 400
    assert login(world.worker_a).get(act(case)).status_code == 405


def test_the_case_page_shows_deadlines_with_their_colour(world, login):
    case = report(world, now=timezone.now() - dt.timedelta(days=30))
    html = login(world.worker_a).get(detail(case)).content.decode()
    assert 'id="deadlines"' in html and 'data-warning="red"' in html


def test_pages_carry_no_inline_scripts_or_styles(world, login):
    from tests.test_pages_base import assert_csp_clean

    case = in_triage(world)
    staff = login(world.community_staff)
    for url in (REPORT, MINE, TASKS, TRIAGE, detail(case)):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert_csp_clean(response.content.decode())


def test_new_departments_show_in_the_case_page(world, login):
    fire = Department.objects.create(code="fire-1", name="消防救援站", kind="fire",
                                     area=world.street1)
    case = report(world, code="fire_exit", text="楼道堆满杂物堵住了消防通道")
    assert case.lead_department == fire
    assert "消防救援站" in login(world.worker_a).get(detail(case)).content.decode()


def test_groups_of_choices_are_named_by_a_legend_not_an_empty_label(world, login):
    case = report(world)
    staff = login(world.community_staff)
    pages = [staff.get(detail(case)).content.decode(), staff.get(REPORT).content.decode()]
    assert 'name="units-assist"' in pages[0] and 'name="channel"' in pages[1]
    for html in pages:
        assert 'for=""' not in html
    assert "<legend>Assisting units (协办)</legend>" in pages[0]
