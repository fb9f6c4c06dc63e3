"""Early warning and escalation on the working calendar, with time controlled."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from warmgrid.cases import actions, deadlines
from warmgrid.cases.models import Case, Category
from warmgrid.errors import Conflict, Forbidden, ValidationFailed
from warmgrid.notices.models import Notice

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning, clear of 2026's holidays.
MONDAY = dt.datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)


def garbage_case(world, now=MONDAY):
    # "garbage": 2 working days to resolve, handled by the grid's own team in this world.
    return actions.do_report_case(
        actor=world.worker_a, now=now, channel=Case.Channel.GRID_WORKER,
        data=actions.CaseInput(description="3号楼门口垃圾没人清运",
                               category=Category.objects.get(code="garbage"),
                               household=world.household_a))


def test_deadlines_count_working_time_only(world):
    case = garbage_case(world, now=dt.datetime(2026, 2, 13, 16, 0, tzinfo=SHANGHAI))
    # Friday 16:00 before the Spring Festival: 2 working days (15 h) end after the holiday.
    assert case.resolve_due.astimezone(SHANGHAI).date() > dt.date(2026, 2, 23)


def test_yellow_then_red_then_up_the_ladder_each_told_once(world):
    case = garbage_case(world)
    budget_end = case.resolve_due
    counts = actions.do_watch_deadlines(now=MONDAY + dt.timedelta(hours=1))
    assert counts["checked"] == 1 and Case.objects.get(pk=case.pk).warning == ""
    # Tuesday 15:00: 11 of 15 working hours used (73 %) … 16:00: 80 %: yellow.
    actions.do_watch_deadlines(now=dt.datetime(2026, 3, 10, 16, 0, tzinfo=SHANGHAI))
    case.refresh_from_db()
    assert case.warning == "yellow"
    assert Notice.objects.filter(case=case, kind="case_yellow").count() >= 1
    overdue = budget_end + dt.timedelta(days=1)
    actions.do_watch_deadlines(now=overdue)
    actions.do_watch_deadlines(now=overdue)  # twice: nobody is told twice
    case.refresh_from_db()
    assert case.warning == "red" and case.escalation_level >= 1
    leader_told = Notice.objects.filter(case=case, kind="case_escalated",
                                        recipient=world.leader_a)
    assert leader_told.count() == 1
    much_later = budget_end + dt.timedelta(days=10)
    actions.do_watch_deadlines(now=much_later)
    case.refresh_from_db()
    assert case.escalation_level == 4
    for user in (world.community_staff, world.street_admin, world.district_admin):
        assert Notice.objects.filter(case=case, kind="case_escalated", recipient=user).count() == 1
    assert not Notice.objects.filter(case=case, recipient=world.street2_admin).exists()


def test_waiting_for_the_resident_stops_the_clock(world):
    case = garbage_case(world)
    actions.do_accept_case(actor=world.worker_a, case=case, now=MONDAY)
    case.events.create(at=MONDAY + dt.timedelta(minutes=5), action="wait",
                       from_state="in_progress", to_state="waiting_resident")
    events = list(case.events.all())
    late = MONDAY + dt.timedelta(days=3)
    assert deadlines.warning(case, now=late, events=events) == "green"
    assert deadlines.warning(case, now=late, events=[]) == "red"


def test_extensions_need_a_supervisors_approval(world):
    case = garbage_case(world)
    with pytest.raises(ValidationFailed):
        actions.do_request_extension(actor=world.worker_a, case=case, days=0, reason="")
    actions.do_request_extension(actor=world.worker_a, case=case, days=3,
                                 reason="需要等待物业更换垃圾箱")
    with pytest.raises(Conflict):
        actions.do_request_extension(actor=world.worker_a, case=case, days=3,
                                     reason="再申请一次")
    with pytest.raises(Forbidden):
        actions.do_decide_extension(actor=world.worker_a, case=case, approve=True)
    before = case.resolve_due
    actions.do_decide_extension(actor=world.community_staff, case=case, approve=True)
    case.refresh_from_db()
    assert case.resolve_due > before and case.extension_requested_days is None
    assert case.events.filter(action="extension_approved").exists()


def test_supervision_is_recorded_and_tells_the_handlers(world):
    case = garbage_case(world)
    with pytest.raises(Forbidden):
        actions.do_supervise_case(actor=world.worker_b, case=case, note="请尽快")
    actions.do_supervise_case(actor=world.street_admin, case=case, note="请今天内处理")
    assert case.events.filter(action="supervise").exists()
    assert Notice.objects.filter(case=case, kind="case_supervised",
                                 recipient=world.worker_a).exists()
