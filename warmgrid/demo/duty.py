"""Duty rosters (值班表) and assisting / copied units (协办 / 抄送) for the demo district.

Written after the year of cases (generator.py), from what is in the database:

* Rosters, from a week before the reference date to four weeks after it: each grid's two
  workers take turns on weekday day shifts (08:30–17:30), the grid leader takes Saturday
  mornings; each department's handler is on a 24-hour duty every day. New cases in the
  demo go to the person on duty (warmgrid.lib.assignment).
* Units: about one in six cases a department leads also has a unit assisting or copied,
  as dispatchers do it (a blocked fire exit: the property company assists the fire
  service; a public-order matter is copied to civil affairs), named by the community's
  staff soon after dispatch, with the "units" step in the case's history.

Which cases get units is decided by a hash of the case's own fields and the seed, so the
same seed gives the same units whatever ids the rows get.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from warmgrid.demo.cases import REFERENCE_TIME, SHANGHAI
from warmgrid.demo.people import REFERENCE_DATE

ROSTER_FROM = REFERENCE_DATE - dt.timedelta(days=7)
ROSTER_DAYS = 35
DAY_SHIFT = (dt.time(8, 30), dt.time(17, 30))
SATURDAY_SHIFT = (dt.time(9, 0), dt.time(12, 0))
UNIT_SHARE = 6  # one case in this many, of those a department leads, gets a second unit
# Lead kind → (the other unit's kind, its role).
SECOND_UNIT = {
    "fire": ("property", "assist"),
    "property": ("urban_management", "copy"),
    "urban_management": ("property", "assist"),
    "police": ("civil_affairs", "copy"),
    "civil_affairs": ("police", "copy"),
}
UNIT_DELAY = dt.timedelta(minutes=40)  # after dispatch, at the latest


@dataclass
class DutyCounts:
    shifts: int = 0
    case_units: int = 0


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=SHANGHAI)


def plan_grid_shifts(day: dt.date, workers: list[int], leader: int | None
                     ) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(user, from, until) for a grid's team on one day: workers alternate on weekdays,
    the leader takes Saturday morning, nobody is on duty on Sunday."""
    weekday = day.weekday()
    if weekday < 5 and workers:
        worker = workers[day.toordinal() % len(workers)]
        return [(worker, _at(day, DAY_SHIFT[0]), _at(day, DAY_SHIFT[1]))]
    if weekday == 5 and leader is not None:
        return [(leader, _at(day, SATURDAY_SHIFT[0]), _at(day, SATURDAY_SHIFT[1]))]
    return []


def chosen_for_units(seed: int, created_at: dt.datetime, description: str) -> bool:
    digest = hashlib.sha256(f"{seed}:{created_at.isoformat()}:{description}".encode()).digest()
    return digest[0] % UNIT_SHARE == 0


def write_rosters() -> int:
    from warmgrid.accounts.models import Department, Role, RoleAssignment
    from warmgrid.cases.models import DutyShift
    from warmgrid.places.models import Area

    teams: dict[int, dict] = {}
    for user_id, role, area_id in (RoleAssignment.objects.filter(
            role__in=[Role.GRID_WORKER, Role.GRID_LEADER], area__level=Area.Level.GRID,
            user__is_demo=True).order_by("user__username")
            .values_list("user_id", "role", "area_id")):
        team = teams.setdefault(area_id, {"workers": [], "leader": None})
        if role == Role.GRID_WORKER:
            team["workers"].append(user_id)
        else:
            team["leader"] = user_id
    handlers = dict(RoleAssignment.objects.filter(
        role=Role.DEPARTMENT_HANDLER, user__is_demo=True).order_by("user__username")
        .values_list("department_id", "user_id"))
    days = [ROSTER_FROM + dt.timedelta(days=i) for i in range(ROSTER_DAYS)]
    rows = []
    for area_id, team in teams.items():
        for day in days:
            rows += [DutyShift(user_id=user, area_id=area_id, starts_at=start, ends_at=end,
                               note="")
                     for user, start, end in plan_grid_shifts(day, team["workers"],
                                                              team["leader"])]
    for department_id in Department.objects.values_list("pk", flat=True):
        user = handlers.get(department_id)
        if user is None:
            continue
        rows += [DutyShift(user_id=user, department_id=department_id,
                           starts_at=_at(day, dt.time(8, 0)),
                           ends_at=_at(day + dt.timedelta(days=1), dt.time(8, 0)))
                 for day in days]
    DutyShift.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def write_case_units(seed: int) -> int:
    """Second units on some department-led cases, with their history step."""
    from warmgrid.accounts.models import Department, User
    from warmgrid.cases.models import Case, CaseEvent, CaseUnit
    from warmgrid.lib import casestates

    by_kind = dict(Department.objects.values_list("kind", "pk"))
    staff = dict(User.objects.filter(is_demo=True, username__startswith="cs-")
                 .values_list("username", "pk"))
    candidates = (Case.objects.filter(lead_department__isnull=False)
                  .exclude(state__in=[casestates.TRIAGE, casestates.MERGED])
                  .order_by("pk").values_list("pk", "created_at", "description",
                                              "lead_department__kind", "area_path"))
    chosen = {}
    for pk, created_at, description, kind, area_path in candidates.iterator(chunk_size=2000):
        second = SECOND_UNIT.get(kind)
        if second is None or second[0] not in by_kind:
            continue
        if chosen_for_units(seed, created_at, description):
            chosen[pk] = (by_kind[second[0]], second[1], area_path)
    units, events = [], []
    ids = list(chosen)
    for start in range(0, len(ids), 2000):
        batch = ids[start:start + 2000]
        history: dict[int, list] = {}
        for case_id, at, to_state in (CaseEvent.objects.filter(case_id__in=batch)
                                      .order_by("case_id", "at", "id")
                                      .values_list("case_id", "at", "to_state")):
            history.setdefault(case_id, []).append((at, to_state))
        for case_id in batch:
            steps = history.get(case_id, [])
            # Just after the case first reached its unit, before whatever came next.
            index = next((i for i, (_, state) in enumerate(steps)
                          if state == casestates.DISPATCHED), None)
            if index is None:
                continue
            dispatched_at = steps[index][0]
            following = steps[index + 1][0] if index + 1 < len(steps) else REFERENCE_TIME
            at = dispatched_at + min(UNIT_DELAY, (following - dispatched_at) / 2)
            if at >= REFERENCE_TIME or at <= dispatched_at:
                continue
            department_id, role, area_path = chosen[case_id]
            community = [p for p in area_path.split("/") if p][2]
            actor = staff.get(f"cs-{community}-1")
            units.append(CaseUnit(case_id=case_id, department_id=department_id, role=role,
                                  added_by_id=actor, added_at=at))
            data = {"assist": [department_id] if role == "assist" else [],
                    "copy": [department_id] if role == "copy" else [], "removed": []}
            events.append(CaseEvent(case_id=case_id, at=at, actor_id=actor, action="units",
                                    from_state=casestates.DISPATCHED,
                                    to_state=casestates.DISPATCHED, note="", data=data))
    CaseUnit.objects.bulk_create(units, batch_size=2000)
    CaseEvent.objects.bulk_create(events, batch_size=2000)
    return len(units)


def write_duty_and_units(seed: int) -> DutyCounts:
    return DutyCounts(shifts=write_rosters(), case_units=write_case_units(seed))
