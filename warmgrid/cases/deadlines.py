"""A case's deadlines on the working calendar (warmgrid.lib.workcalendar)."""

from __future__ import annotations

import datetime as dt
from functools import cache

from warmgrid.lib.workcalendar import DeadlineClock, WorkCalendar, WorkingHours, warning_level


@cache
def _clock(around_the_clock: bool) -> DeadlineClock:
    return DeadlineClock(calendar=WorkCalendar.shipped(),
                         hours=WorkingHours(around_the_clock=around_the_clock))


def due_times(category, start: dt.datetime, *, urgent: bool) -> tuple[dt.datetime, dt.datetime]:
    """First-response and resolution deadlines in working time; urgent cases run on the
    clock, 24×7."""
    clock = _clock(urgent)
    respond = clock.due_at(start, dt.timedelta(hours=category.response_hours))
    resolve = clock.due_at(start, clock.working_days(category.resolve_days))
    return respond, resolve


def pauses(events, *, now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """Waiting-for-the-resident intervals from a case's history; an open wait runs to now."""
    spans, waiting_since = [], None
    for event in events:
        if event.action == "wait":
            waiting_since = event.at
        elif event.action == "resume" and waiting_since is not None:
            spans.append((waiting_since, event.at))
            waiting_since = None
    if waiting_since is not None:
        spans.append((waiting_since, max(now, waiting_since)))
    return spans


def clock_for(case) -> DeadlineClock:
    """Urgent cases run on the clock, 24×7; the rest in working hours."""
    return _clock(case.priority == 1)


def budget_used(case, *, now: dt.datetime, events=()) -> float:
    """The share of the resolution budget used by `now`, in working time, not counting
    time spent waiting for the resident; above 1.0 once overdue."""
    clock = clock_for(case)
    return clock.fraction_used(case.created_at, clock.working_days(case.category.resolve_days),
                               at=now, pauses=pauses(events, now=now))


def warning(case, *, now: dt.datetime, events=()) -> str:
    """"green", "yellow" (75 % of the resolution budget used) or "red" (overdue)."""
    if case.resolve_due is None or case.category is None or not case.is_open:
        return ""
    return str(warning_level(budget_used(case, now=now, events=events)))
