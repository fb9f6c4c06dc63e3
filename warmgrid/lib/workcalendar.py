"""The Chinese working calendar (工作日历) and the deadline clock of events (事件).

Pure Python, no Django: the calendar is data (one JSON file a year, from the State
Council's notice on holiday arrangements), the clock is arithmetic over it, and both are
tested alone. Weekdays are working days and weekends are not, except public holidays
(法定节假日) and adjusted working days (调休: weekend days worked to make up a bridge).
Days of a year no loaded file covers fall back to plain Monday–Friday; `covers()` says
which years are known, so callers can warn before a stale table misleads them.

Every instant in and out is timezone-aware; wall-clock rules (08:30, the date of a day)
are read in Asia/Shanghai, and durations are measured on UTC so that they are real time.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_PERIODS = ((dt.time(8, 30), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30)))
DEFAULT_YELLOW_FROM = 0.75
DEFAULT_RED_FROM = 1.0

ONE_DAY = dt.timedelta(days=1)
NOTHING = dt.timedelta(0)

# A pause of the clock, e.g. waiting for the resident: (paused_from, paused_until).
Pause = tuple[dt.datetime, dt.datetime]


# --- the working calendar ------------------------------------------------------------------


@dataclass(frozen=True)
class Holiday:
    """One public holiday of a notice: its days off in a row (调休 included), inclusive."""

    name: str
    name_en: str
    first: dt.date
    last: dt.date

    def days(self) -> Iterator[dt.date]:
        day = self.first
        while day <= self.last:
            yield day
            day += ONE_DAY


class WorkCalendar:
    """Working days, from year dicts shaped like `data/calendar_<year>.json`.

    A year dict is ``{"year": 2026, "holidays": [{"name", "name_en", "from", "to"}, …],
    "adjusted_working_days": ["2026-01-04", …], "source": "…"}`` with ISO dates. Build one
    calendar from several years; a year given twice, a day both off and worked, or an
    adjusted working day that is not a Saturday or Sunday is refused with ValueError.
    """

    def __init__(self, years: Iterable[Mapping[str, Any]] = ()) -> None:
        self._holidays: dict[int, tuple[Holiday, ...]] = {}
        self._sources: dict[int, str] = {}
        self._holiday_of_day: dict[dt.date, Holiday] = {}
        self._adjusted_working_days: set[dt.date] = set()
        for year_data in years:
            self._add_year(year_data)

    @classmethod
    def shipped(cls) -> WorkCalendar:
        """The years that ship with WarmGrid (`warmgrid/lib/data/calendar_*.json`)."""
        return cls(json.loads(text) for text in _shipped_calendar_texts())

    def __repr__(self) -> str:
        return f"WorkCalendar(years={list(self.covered_years)})"

    @property
    def covered_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._holidays))

    def covers(self, year: int) -> bool:
        """Whether `year` was loaded; days of other years are plain Monday–Friday."""
        return year in self._holidays

    def source(self, year: int) -> str:
        """Where the loaded data of `year` comes from ("" when not covered or not said)."""
        return self._sources.get(year, "")

    def holidays(self, year: int) -> tuple[Holiday, ...]:
        """The public holidays the data of `year` lists, in order (none when not covered)."""
        return self._holidays.get(year, ())

    def holiday(self, day: dt.date) -> Holiday | None:
        """The public holiday `day` belongs to, if any."""
        return self._holiday_of_day.get(_require_date(day))

    def is_adjusted_working_day(self, day: dt.date) -> bool:
        """Whether `day` is a weekend day worked by the notice (调休上班)."""
        return _require_date(day) in self._adjusted_working_days

    def is_working_day(self, day: dt.date) -> bool:
        day = _require_date(day)
        if day in self._holiday_of_day:
            return False
        if day in self._adjusted_working_days:
            return True
        return day.weekday() < 5

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        day = _require_date(day) + ONE_DAY
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def working_days_between(self, first: dt.date, last: dt.date) -> int:
        """Working days d with first <= d < last; negative when last is before first.

        The half-open convention of numpy.busday_count: [Mon, next Mon) is 5 days.
        """
        first, last = _require_date(first), _require_date(last)
        if last < first:
            return -self.working_days_between(last, first)
        return sum(
            1
            for offset in range((last - first).days)
            if self.is_working_day(first + dt.timedelta(days=offset))
        )

    def _add_year(self, year_data: Mapping[str, Any]) -> None:
        year = year_data.get("year")
        if not isinstance(year, int) or isinstance(year, bool):
            raise ValueError(f"calendar year must be an integer, got {year!r}")
        if year in self._holidays:
            raise ValueError(f"calendar year {year} is given twice")
        holidays = tuple(_parse_holiday(item, year) for item in year_data.get("holidays") or ())
        adjusted = {
            _parse_date(value, f"{year} adjusted_working_days")
            for value in year_data.get("adjusted_working_days") or ()
        }
        for holiday in holidays:
            for day in holiday.days():
                if day in self._holiday_of_day:
                    other = self._holiday_of_day[day].name
                    raise ValueError(f"{day} is in both {other} and {holiday.name}")
                if day in self._adjusted_working_days or day in adjusted:
                    raise ValueError(f"{day} is both a holiday and an adjusted working day")
                self._holiday_of_day[day] = holiday
        for day in sorted(adjusted):
            if day.weekday() < 5:
                raise ValueError(f"adjusted working day {day} is not a Saturday or Sunday")
            if day in self._holiday_of_day:
                raise ValueError(f"{day} is both a holiday and an adjusted working day")
            self._adjusted_working_days.add(day)
        self._holidays[year] = holidays
        self._sources[year] = str(year_data.get("source") or "")


@functools.cache
def _shipped_calendar_texts() -> tuple[str, ...]:
    # importlib.resources, not a path beside __file__: it also reads from an installed wheel.
    data = resources.files("warmgrid.lib").joinpath("data")
    entries = [
        entry
        for entry in data.iterdir()
        if entry.name.startswith("calendar_") and entry.name.endswith(".json")
    ]
    entries.sort(key=lambda entry: entry.name)
    return tuple(entry.read_text(encoding="utf-8") for entry in entries)


def _parse_holiday(item: Any, year: int) -> Holiday:
    if not isinstance(item, Mapping) or not item.get("name"):
        raise ValueError(f"{year}: a holiday needs a name, got {item!r}")
    name = str(item["name"])
    first = _parse_date(item.get("from"), f"{year} {name} from")
    last = _parse_date(item.get("to"), f"{year} {name} to")
    if last < first:
        raise ValueError(f"{year} {name}: 'to' ({last}) is before 'from' ({first})")
    return Holiday(name=name, name_en=str(item.get("name_en") or ""), first=first, last=last)


def _parse_date(value: Any, where: str) -> dt.date:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected an ISO date string, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{where}: {value!r} is not an ISO date (YYYY-MM-DD)") from exc


def _require_date(day: Any) -> dt.date:
    # A datetime is a date too, but which day it is depends on the zone: say so, don't guess.
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError(
            f"expected a date, got {type(day).__name__}; "
            "for an instant use .astimezone(SHANGHAI).date()"
        )
    return day


# --- working hours -------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingHours:
    """When the clock runs on a working day: wall-clock periods [start, end) in `zone`.

    `around_the_clock=True` (urgent categories) runs it every instant of every day,
    holidays included, and a "working day" is then 24 hours.
    """

    periods: tuple[tuple[dt.time, dt.time], ...] = DEFAULT_PERIODS
    around_the_clock: bool = False
    zone: dt.tzinfo = SHANGHAI

    def __post_init__(self) -> None:
        periods = tuple((start, end) for start, end in self.periods)
        object.__setattr__(self, "periods", periods)
        if not periods:
            raise ValueError("working hours need at least one period")
        previous_end: dt.time | None = None
        for start, end in periods:
            if not isinstance(start, dt.time) or not isinstance(end, dt.time):
                raise TypeError(f"a period is two datetime.time values, got {(start, end)!r}")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("period times are wall-clock times in `zone`: leave them naive")
            if not start < end:
                raise ValueError(f"period {start}–{end} does not end after it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError("periods must be in order and must not overlap")
            previous_end = end

    @property
    def day_length(self) -> dt.timedelta:
        """The clock time of a full working day: 7 h 30 min by default, 24 h around the clock."""
        if self.around_the_clock:
            return dt.timedelta(hours=24)
        lengths = (_since_midnight(end) - _since_midnight(start) for start, end in self.periods)
        return sum(lengths, NOTHING)


def _since_midnight(wall_clock: dt.time) -> dt.timedelta:
    return dt.datetime.combine(dt.date.min, wall_clock) - dt.datetime.min


# --- the deadline clock --------------------------------------------------------------------


class WarningLevel(enum.StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


def warning_level(
    fraction: float,
    *,
    yellow_from: float = DEFAULT_YELLOW_FROM,
    red_from: float = DEFAULT_RED_FROM,
) -> WarningLevel:
    """Green below `yellow_from` of the budget, yellow from it, red from `red_from`."""
    if fraction >= red_from:
        return WarningLevel.RED
    if fraction >= yellow_from:
        return WarningLevel.YELLOW
    return WarningLevel.GREEN


@dataclass(frozen=True)
class DeadlineClock:
    """Working-time budgets of events: when they fall due, and how much is used.

    Time inside a pause (e.g. waiting for the resident) does not count. Pauses may
    overlap each other and the start; they only matter where they cover working time.
    """

    calendar: WorkCalendar
    hours: WorkingHours = field(default_factory=WorkingHours)
    yellow_from: float = DEFAULT_YELLOW_FROM
    red_from: float = DEFAULT_RED_FROM

    def __post_init__(self) -> None:
        if not 0 < self.yellow_from <= self.red_from:
            raise ValueError(
                "thresholds must satisfy 0 < yellow_from <= red_from, "
                f"got {self.yellow_from} and {self.red_from}"
            )

    def working_days(self, days: float) -> dt.timedelta:
        """A budget of `days` working days: days × the length of a working day."""
        if days < 0:
            raise ValueError(f"a budget cannot be negative, got {days} days")
        return self.hours.day_length * days

    def due_at(
        self, start: dt.datetime, budget: dt.timedelta, *, pauses: Iterable[Pause] = ()
    ) -> dt.datetime:
        """The earliest instant by which `budget` of working time has run since `start`."""
        since = _to_utc(start, "start")
        if budget < NOTHING:
            raise ValueError(f"a budget cannot be negative, got {budget}")
        remaining = budget
        if remaining == NOTHING:
            return since.astimezone(self.hours.zone)
        for begin, end in self._counting_segments(since, _merge_pauses(pauses)):
            if remaining <= end - begin:
                return (begin + remaining).astimezone(self.hours.zone)
            remaining -= end - begin
        raise AssertionError("unreachable: the working intervals never run out")

    def elapsed(
        self, start: dt.datetime, end: dt.datetime, *, pauses: Iterable[Pause] = ()
    ) -> dt.timedelta:
        """Working time in [start, end), less the pauses."""
        since, until = _to_utc(start, "start"), _to_utc(end, "end")
        if until < since:
            raise ValueError(f"end ({end.isoformat()}) is before start ({start.isoformat()})")
        total = NOTHING
        for begin, finish in self._counting_segments(since, _merge_pauses(pauses)):
            if begin >= until:
                break
            total += min(finish, until) - begin
        return total

    def fraction_used(
        self,
        start: dt.datetime,
        budget: dt.timedelta,
        *,
        at: dt.datetime,
        pauses: Iterable[Pause] = (),
    ) -> float:
        """The share of `budget` used by `at`: 1.0 when due, above 1.0 once overdue."""
        if budget <= NOTHING:
            raise ValueError(f"a budget must be positive to take a share of it, got {budget}")
        return self.elapsed(start, at, pauses=pauses) / budget

    def warning_level(
        self,
        start: dt.datetime,
        budget: dt.timedelta,
        *,
        at: dt.datetime,
        pauses: Iterable[Pause] = (),
    ) -> WarningLevel:
        fraction = self.fraction_used(start, budget, at=at, pauses=pauses)
        return warning_level(fraction, yellow_from=self.yellow_from, red_from=self.red_from)

    def _working_intervals(self, since: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The clock's running intervals in UTC, in order, from `since` (UTC) on, forever."""
        zone = self.hours.zone
        day = since.astimezone(zone).date()
        midnight = dt.time(0)
        while True:
            if self.hours.around_the_clock:
                intervals = [(_at(day, midnight, zone), _at(day + ONE_DAY, midnight, zone))]
            elif self.calendar.is_working_day(day):
                intervals = [(_at(day, s, zone), _at(day, e, zone)) for s, e in self.hours.periods]
            else:
                intervals = []
            for begin, end in intervals:
                if end > since:
                    yield max(begin, since), end
            day += ONE_DAY

    def _counting_segments(
        self, since: dt.datetime, pauses: list[Pause]
    ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The running intervals from `since` with the (merged, UTC) pauses cut out."""
        first_pause = 0
        for begin, end in self._working_intervals(since):
            # Pauses are sorted and disjoint: those over before this interval stay over.
            while first_pause < len(pauses) and pauses[first_pause][1] <= begin:
                first_pause += 1
            cursor = begin
            index = first_pause
            while cursor < end and index < len(pauses) and pauses[index][0] < end:
                paused_from, paused_until = pauses[index]
                if paused_from > cursor:
                    yield cursor, paused_from
                cursor = max(cursor, paused_until)
                index += 1
            if cursor < end:
                yield cursor, end


def _at(day: dt.date, wall_clock: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """The instant, in UTC, at which clocks in `zone` show `wall_clock` on `day`."""
    return dt.datetime.combine(day, wall_clock, tzinfo=zone).astimezone(dt.UTC)


def _merge_pauses(pauses: Iterable[Pause]) -> list[Pause]:
    """The pauses in UTC, sorted, with overlapping and touching ones joined."""
    intervals = []
    for paused_from, paused_until in pauses:
        begin = _to_utc(paused_from, "paused_from")
        end = _to_utc(paused_until, "paused_until")
        if end < begin:
            raise ValueError(
                f"a pause ends ({paused_until.isoformat()}) before it starts "
                f"({paused_from.isoformat()})"
            )
        intervals.append((begin, end))
    intervals.sort()
    merged: list[Pause] = []
    for begin, end in intervals:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _to_utc(value: Any, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware, got the naive datetime {value.isoformat()}; "
            "attach a zone, e.g. tzinfo=ZoneInfo('Asia/Shanghai')"
        )
    return value.astimezone(dt.UTC)
