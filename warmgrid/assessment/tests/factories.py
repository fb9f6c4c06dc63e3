"""Closed cases made directly, with exactly the deadlines, outcome, rating, reopenings and
misroutes an assessment test needs (the whole workflow is tested in warmgrid/cases)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from warmgrid.assessment.models import Exclusion
from warmgrid.cases.models import Case, CaseEvent, Category

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Every case closes in October 2026 unless told otherwise.
OCTOBER = dt.datetime(2026, 10, 15, 10, 0, tzinfo=SHANGHAI)


def closed_case(world, *, assignee, grid: str = "a", code: str = "garbage",
                closed_at: dt.datetime | None = None, rating: int | None = None,
                outcome: str = Case.Outcome.FIXED, late_response: bool = False,
                late_resolution: bool = False, reopens: int = 0, misroute: bool = False,
                department=None, text: str = "楼道灯坏了") -> Case:
    closed_at = closed_at or OCTOBER
    created = closed_at - dt.timedelta(days=3)
    area = getattr(world, f"grid_{grid}")
    case = Case.objects.create(
        description=text, category=Category.objects.get(code=code), grid=area,
        area_path=area.path, state=Case.State.CLOSED, channel=Case.Channel.GRID_WORKER,
        created_at=created, assignee=assignee, lead_department=department,
        first_response_due=created + dt.timedelta(hours=4),
        responded_at=created + dt.timedelta(hours=6 if late_response else 1),
        resolve_due=created + dt.timedelta(days=2),
        resolved_at=created + dt.timedelta(days=2, hours=12 if late_resolution else -12),
        closed_at=closed_at, outcome=outcome, result="已处理", rating=rating)
    for i in range(reopens):
        CaseEvent.objects.create(case=case, at=created + dt.timedelta(days=1, minutes=i),
                                 action="reopen", from_state="closed", to_state="in_progress",
                                 data={"rating": 1})
    if misroute:
        CaseEvent.objects.create(case=case, at=created + dt.timedelta(minutes=30),
                                 action="return", from_state="dispatched", to_state="triage",
                                 data={"misroute": True, "from_unit": None})
    return case


def approved_exclusion(case: Case, *, by, reviewers, reason: str = "要求物业赔偿装修损失十万元"):
    first, second = reviewers
    return Exclusion.objects.create(
        case=case, area_path=case.area_path, reason=reason, requested_by=by,
        requested_at=case.closed_at, state=Exclusion.State.APPROVED, first_reviewer=first,
        first_reviewed_at=case.closed_at, second_reviewer=second,
        second_reviewed_at=case.closed_at, closed_at=case.closed_at)
