import datetime as dt
import json
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warmgrid.lib.workcalendar import (
    SHANGHAI,
    DeadlineClock,
    WarningLevel,
    WorkCalendar,
    WorkingHours,
    warning_level,
)

CALENDAR = WorkCalendar.shipped()
CLOCK = DeadlineClock(CALENDAR)
URGENT = DeadlineClock(CALENDAR, WorkingHours(around_the_clock=True))
HOUR = dt.timedelta(hours=1)

# The notice of 2025-11-04, written out again here so that the JSON is checked against it.
HOLIDAYS_2026 = [
    ("元旦", dt.date(2026, 1, 1), dt.date(2026, 1, 3)),
    ("春节", dt.date(2026, 2, 15), dt.date(2026, 2, 23)),
    ("清明节", dt.date(2026, 4, 4), dt.date(2026, 4, 6)),
    ("劳动节", dt.date(2026, 5, 1), dt.date(2026, 5, 5)),
    ("端午节", dt.date(2026, 6, 19), dt.date(2026, 6, 21)),
    ("中秋节", dt.date(2026, 9, 25), dt.date(2026, 9, 27)),
    ("国庆节", dt.date(2026, 10, 1), dt.date(2026, 10, 7)),
]
ADJUSTED_WORKING_DAYS_2026 = [
    dt.date(2026, 1, 4),  # Sunday, after 元旦
    dt.date(2026, 2, 14),  # Saturday, before 春节
    dt.date(2026, 2, 28),  # Saturday, after 春节
    dt.date(2026, 5, 9),  # Saturday, after 劳动节
    dt.date(2026, 9, 20),  # Sunday, before 国庆节
    dt.date(2026, 10, 10),  # Saturday, after 国庆节
]


def at(year, month, day, hour=0, minute=0, second=0):
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def days(first, last):
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def year_2027(**overrides):
    data = {
        "year": 2027,
        "holidays": [
            {"name": "元旦", "name_en": "New Year's Day", "from": "2027-01-01", "to": "2027-01-03"}
        ],
        "adjusted_working_days": [],
        "source": "made up for the test",
    }
    return data | overrides


# --- the calendar --------------------------------------------------------------------------


def test_it_works_on_weekdays_and_not_on_weekends():
    week = days(dt.date(2026, 3, 9), dt.date(2026, 3, 15))  # Monday to Sunday, no holiday
    assert [CALENDAR.is_working_day(day) for day in week] == [True] * 5 + [False] * 2


@pytest.mark.parametrize(("name", "first", "last"), HOLIDAYS_2026)
def test_it_rests_on_every_day_of_each_2026_holiday(name, first, last):
    for day in days(first, last):
        assert not CALENDAR.is_working_day(day), day
        assert CALENDAR.holiday(day).name == name
    assert CALENDAR.holiday(first - dt.timedelta(days=1)) is None
    assert CALENDAR.holiday(last + dt.timedelta(days=1)) is None


@pytest.mark.parametrize("day", ADJUSTED_WORKING_DAYS_2026, ids=str)
def test_it_works_on_each_2026_adjusted_weekend_day(day):
    assert day.weekday() >= 5
    assert CALENDAR.is_working_day(day)
    assert CALENDAR.is_adjusted_working_day(day)


def test_it_works_on_the_sundays_the_notice_says():
    sundays = [day for day in ADJUSTED_WORKING_DAYS_2026 if day.weekday() == 6]
    assert sundays == [dt.date(2026, 1, 4), dt.date(2026, 9, 20)]
    assert all(CALENDAR.is_working_day(day) for day in sundays)


def test_it_ships_exactly_the_notice():
    assert [(h.name, h.first, h.last) for h in CALENDAR.holidays(2026)] == HOLIDAYS_2026
    assert all(h.name_en for h in CALENDAR.holidays(2026))
    assert "国务院办公厅关于2026年部分节假日安排的通知" in CALENDAR.source(2026)
    adjusted = [
        d
        for d in days(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
        if d.weekday() >= 5 and CALENDAR.is_working_day(d)
    ]
    assert adjusted == ADJUSTED_WORKING_DAYS_2026


def test_2026_has_248_working_days():
    # 261 weekdays, less the 13 days of statutory holiday the 2024 rules give.
    assert CALENDAR.working_days_between(dt.date(2026, 1, 1), dt.date(2027, 1, 1)) == 248


def test_it_reads_the_shipped_file_as_a_package_resource():
    text = resources.files("warmgrid.lib").joinpath("data/calendar_2026.json").read_text("utf-8")
    assert json.loads(text)["year"] == 2026
    assert CALENDAR.covered_years == (2026,)


def test_next_working_day_skips_weekends_and_holidays():
    assert CALENDAR.next_working_day(dt.date(2026, 3, 6)) == dt.date(2026, 3, 9)  # Fri → Mon
    assert CALENDAR.next_working_day(dt.date(2026, 2, 13)) == dt.date(2026, 2, 14)  # to 调休
    assert CALENDAR.next_working_day(dt.date(2026, 2, 14)) == dt.date(2026, 2, 24)  # over 春节
    assert CALENDAR.next_working_day(dt.date(2026, 9, 30)) == dt.date(2026, 10, 8)  # over 国庆
    assert CALENDAR.next_working_day(dt.date(2026, 10, 9)) == dt.date(2026, 10, 10)  # to 调休


def test_working_days_between_is_half_open_and_signed():
    monday, next_monday = dt.date(2026, 3, 9), dt.date(2026, 3, 16)
    assert CALENDAR.working_days_between(monday, next_monday) == 5
    assert CALENDAR.working_days_between(next_monday, monday) == -5
    assert CALENDAR.working_days_between(monday, monday) == 0
    # The fortnight around 春节: 2 days before it (13th, 14th), 4 after it (24th–27th).
    assert CALENDAR.working_days_between(dt.date(2026, 2, 13), dt.date(2026, 2, 28)) == 6


def test_a_year_not_shipped_falls_back_to_monday_to_friday():
    assert CALENDAR.covers(2026)
    assert not CALENDAR.covers(2027)
    assert CALENDAR.holidays(2027) == ()
    # 2027-01-01 is a Friday: without 2027's notice it counts as an ordinary working day.
    assert CALENDAR.is_working_day(dt.date(2027, 1, 1))
    assert not CALENDAR.is_working_day(dt.date(2027, 1, 2))
    week = days(dt.date(2027, 3, 8), dt.date(2027, 3, 14))
    assert [CALENDAR.is_working_day(day) for day in week] == [True] * 5 + [False] * 2


def test_it_is_built_from_several_editable_years():
    shipped = json.loads(
        resources.files("warmgrid.lib").joinpath("data/calendar_2026.json").read_text("utf-8")
    )
    calendar = WorkCalendar([shipped, year_2027(adjusted_working_days=["2027-01-09"])])
    assert calendar.covers(2026) and calendar.covers(2027)
    assert not calendar.is_working_day(dt.date(2027, 1, 1))
    assert calendar.is_working_day(dt.date(2027, 1, 9))  # a Saturday
    assert calendar.next_working_day(dt.date(2026, 12, 31)) == dt.date(2027, 1, 4)
    assert not WorkCalendar().covers(2026)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (year_2027(year="2027"), "must be an integer"),
        (year_2027(adjusted_working_days=["2027-01-05"]), "not a Saturday or Sunday"),
        (year_2027(adjusted_working_days=["2027-01-02"]), "both a holiday and an adjusted"),
        (
            year_2027(holidays=[{"name": "x", "from": "2027-01-05", "to": "2027-01-04"}]),
            "before 'from'",
        ),
        (
            year_2027(holidays=[{"name": "x", "from": "2027/01/05", "to": "2027-01-05"}]),
            "not an ISO date",
        ),
        (year_2027(holidays=[{"from": "2027-01-05", "to": "2027-01-05"}]), "needs a name"),
        (
            year_2027(
                holidays=[
                    {"name": "a", "from": "2027-01-04", "to": "2027-01-05"},
                    {"name": "b", "from": "2027-01-05", "to": "2027-01-06"},
                ]
            ),
            "in both a and b",
        ),
    ],
)
def test_it_refuses_inconsistent_year_data(data, message):
    with pytest.raises(ValueError, match=message):
        WorkCalendar([data])


def test_it_refuses_a_year_given_twice():
    with pytest.raises(ValueError, match="given twice"):
        WorkCalendar([year_2027(), year_2027()])


def test_it_refuses_a_datetime_where_a_date_is_meant():
    with pytest.raises(TypeError, match="expected a date"):
        CALENDAR.is_working_day(at(2026, 3, 9, 9))


# --- working hours -------------------------------------------------------------------------


def test_a_working_day_is_seven_and_a_half_hours_by_default():
    assert WorkingHours().day_length == dt.timedelta(hours=7, minutes=30)
    assert WorkingHours(around_the_clock=True).day_length == dt.timedelta(hours=24)
    assert CLOCK.working_days(2) == dt.timedelta(hours=15)


def test_working_hours_are_configurable():
    hours = WorkingHours(periods=[(dt.time(9), dt.time(17))])
    clock = DeadlineClock(CALENDAR, hours)
    assert hours.day_length == 8 * HOUR
    assert clock.due_at(at(2026, 3, 9, 16), 2 * HOUR) == at(2026, 3, 10, 10)


@pytest.mark.parametrize(
    "periods",
    [
        (),
        ((dt.time(12), dt.time(8)),),
        ((dt.time(8), dt.time(12)), (dt.time(11), dt.time(17))),
        ((dt.time(13), dt.time(17)), (dt.time(8), dt.time(12))),
        ((dt.time(8, tzinfo=SHANGHAI), dt.time(12)),),
    ],
)
def test_it_refuses_bad_periods(periods):
    with pytest.raises(ValueError):
        WorkingHours(periods=periods)


# --- the deadline clock --------------------------------------------------------------------


def test_a_budget_within_the_morning_ends_the_same_morning():
    assert CLOCK.due_at(at(2026, 3, 9, 9), 2 * HOUR) == at(2026, 3, 9, 11)


def test_a_budget_ending_at_noon_is_due_at_noon_not_after_lunch():
    assert CLOCK.due_at(at(2026, 3, 9, 9), 3 * HOUR) == at(2026, 3, 9, 12)


def test_a_budget_crosses_lunch():
    assert CLOCK.due_at(at(2026, 3, 9, 11), 2 * HOUR) == at(2026, 3, 9, 14, 30)


def test_a_budget_crosses_the_night_and_the_weekend():
    assert CLOCK.due_at(at(2026, 3, 10, 16, 30), 2 * HOUR) == at(2026, 3, 11, 9, 30)
    assert CLOCK.due_at(at(2026, 3, 13, 16, 30), 2 * HOUR) == at(2026, 3, 16, 9, 30)  # Fri


@pytest.mark.parametrize(
    "start",
    [at(2026, 3, 9, 7), at(2026, 3, 9, 8, 30), at(2026, 3, 8, 15), at(2026, 3, 6, 20)],
    ids=["before-opening", "at-opening", "on-sunday", "friday-night"],
)
def test_the_clock_starts_at_the_next_opening(start):
    assert CLOCK.due_at(start, HOUR) == at(2026, 3, 9, 9, 30)


def test_a_budget_started_at_lunch_runs_from_the_afternoon():
    assert CLOCK.due_at(at(2026, 3, 9, 12, 30), HOUR) == at(2026, 3, 9, 14, 30)


def test_a_two_day_budget_started_before_spring_festival_lands_after_it():
    # Saturday 14 February is the 调休 working day right before the holiday (15th–23rd).
    budget = CLOCK.working_days(2)
    assert CLOCK.due_at(at(2026, 2, 14, 9), budget) == at(2026, 2, 25, 9)
    assert CLOCK.due_at(at(2026, 2, 13, 17, 30), budget) == at(2026, 2, 24, 17, 30)
    assert CLOCK.due_at(at(2026, 2, 13, 10), budget) == at(2026, 2, 24, 10)


def test_a_budget_over_national_day_uses_the_adjusted_sunday():
    # Sunday 20 September is worked; 1–7 October are not.
    assert CLOCK.due_at(at(2026, 9, 18, 17), HOUR) == at(2026, 9, 20, 9)
    assert CLOCK.due_at(at(2026, 9, 30, 17), HOUR) == at(2026, 10, 8, 9)


def test_a_zero_budget_is_due_at_once():
    start = at(2026, 3, 8, 3)  # a Sunday night: nothing to wait for
    assert CLOCK.due_at(start, dt.timedelta(0)) == start


def test_it_answers_in_shanghai_time_whatever_zone_it_is_asked_in():
    start_utc = dt.datetime(2026, 3, 9, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    due = CLOCK.due_at(start_utc, 2 * HOUR)
    assert due == at(2026, 3, 9, 11)
    assert due.tzinfo is SHANGHAI


def test_elapsed_counts_working_time_only():
    assert CLOCK.elapsed(at(2026, 3, 9, 11), at(2026, 3, 9, 14)) == 1.5 * HOUR
    assert CLOCK.elapsed(at(2026, 3, 9, 17), at(2026, 3, 10, 9)) == 1 * HOUR
    assert CLOCK.elapsed(at(2026, 2, 14, 17, 30), at(2026, 2, 24, 8, 30)) == dt.timedelta(0)
    assert CLOCK.elapsed(at(2026, 3, 9), at(2026, 3, 16)) == 5 * CLOCK.working_days(1)


def test_a_pause_in_working_hours_moves_the_due_time():
    start = at(2026, 3, 9, 9)
    pauses = [(at(2026, 3, 9, 10), at(2026, 3, 9, 11))]
    assert CLOCK.due_at(start, 2 * HOUR, pauses=pauses) == at(2026, 3, 9, 12)
    assert CLOCK.elapsed(start, at(2026, 3, 9, 12), pauses=pauses) == 2 * HOUR


def test_a_pause_outside_working_hours_changes_nothing():
    start = at(2026, 3, 9, 16, 30)
    night = [(at(2026, 3, 9, 18), at(2026, 3, 10, 8)), (at(2026, 3, 10, 12), at(2026, 3, 10, 13))]
    assert CLOCK.due_at(start, 2 * HOUR, pauses=night) == CLOCK.due_at(start, 2 * HOUR)


def test_overlapping_pauses_and_pauses_before_the_start_count_once():
    start = at(2026, 3, 9, 9)
    pauses = [
        (at(2026, 3, 9, 8), at(2026, 3, 9, 9, 30)),  # began before the clock did
        (at(2026, 3, 9, 10), at(2026, 3, 9, 11)),
        (at(2026, 3, 9, 10, 30), at(2026, 3, 9, 11, 30)),  # overlaps the one before
    ]
    assert CLOCK.elapsed(start, at(2026, 3, 9, 12), pauses=pauses) == 1 * HOUR
    assert CLOCK.due_at(start, 2 * HOUR, pauses=pauses) == at(2026, 3, 9, 14, 30)


def test_a_pause_over_several_days_stops_the_clock_throughout():
    start = at(2026, 3, 9, 9)
    pauses = [(at(2026, 3, 9, 10), at(2026, 3, 12, 10))]  # waiting for the resident
    assert CLOCK.due_at(start, 2 * HOUR, pauses=pauses) == at(2026, 3, 12, 11)


@pytest.mark.parametrize(
    ("instant", "level"),
    [
        (at(2026, 3, 9, 15, 59, 59), WarningLevel.GREEN),
        (at(2026, 3, 9, 16), WarningLevel.YELLOW),  # exactly 75 % of 8 hours
        (at(2026, 3, 10, 8, 59, 59), WarningLevel.YELLOW),
        (at(2026, 3, 10, 9), WarningLevel.RED),  # exactly 100 %: the due instant
        (at(2026, 3, 12, 9), WarningLevel.RED),
    ],
)
def test_warning_levels_at_the_thresholds(instant, level):
    start, budget = at(2026, 3, 9, 8, 30), 8 * HOUR
    assert CLOCK.due_at(start, budget) == at(2026, 3, 10, 9)
    assert CLOCK.warning_level(start, budget, at=instant) == level


def test_the_fraction_used_is_exact_at_the_thresholds():
    start, budget = at(2026, 3, 9, 8, 30), 8 * HOUR
    assert CLOCK.fraction_used(start, budget, at=at(2026, 3, 9, 16)) == 0.75
    assert CLOCK.fraction_used(start, budget, at=at(2026, 3, 10, 9)) == 1.0
    assert CLOCK.fraction_used(start, budget, at=at(2026, 3, 11, 8, 30)) == 15 / 8


def test_a_pause_keeps_the_warning_green():
    start, budget = at(2026, 3, 9, 8, 30), 8 * HOUR
    pauses = [(at(2026, 3, 9, 13, 30), at(2026, 3, 9, 17, 30))]
    assert CLOCK.warning_level(start, budget, at=at(2026, 3, 9, 17, 30), pauses=pauses) == "green"


def test_warning_thresholds_are_configurable():
    clock = DeadlineClock(CALENDAR, yellow_from=0.5, red_from=0.9)
    start, budget = at(2026, 3, 9, 8, 30), 8 * HOUR
    assert clock.warning_level(start, budget, at=at(2026, 3, 9, 13, 59)) == "green"
    assert clock.warning_level(start, budget, at=at(2026, 3, 9, 14)) == "yellow"  # 4 h
    assert clock.warning_level(start, budget, at=at(2026, 3, 9, 17, 11)) == "yellow"
    assert clock.warning_level(start, budget, at=at(2026, 3, 9, 17, 12)) == "red"  # 7.2 h
    assert warning_level(0.74) == "green"
    assert warning_level(0.75) == "yellow"
    assert warning_level(1.0) == "red"


@pytest.mark.parametrize(("yellow", "red"), [(0, 1), (0.9, 0.8), (-0.1, 1)])
def test_it_refuses_thresholds_out_of_order(yellow, red):
    with pytest.raises(ValueError, match="thresholds"):
        DeadlineClock(CALENDAR, yellow_from=yellow, red_from=red)


def test_around_the_clock_counts_nights_weekends_and_holidays():
    start = at(2026, 2, 14, 22)  # the eve of 春节 week
    assert URGENT.due_at(start, 30 * HOUR) == at(2026, 2, 16, 4)
    assert URGENT.due_at(start, URGENT.working_days(2)) == at(2026, 2, 16, 22)
    assert URGENT.elapsed(start, at(2026, 2, 23, 22)) == dt.timedelta(days=9)
    pauses = [(at(2026, 2, 15, 2), at(2026, 2, 15, 5))]
    assert URGENT.due_at(start, 30 * HOUR, pauses=pauses) == at(2026, 2, 16, 7)
    assert URGENT.warning_level(start, 4 * HOUR, at=at(2026, 2, 15, 1)) == "yellow"


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: CLOCK.due_at(naive, HOUR),
        lambda naive: CLOCK.elapsed(naive, at(2026, 3, 10)),
        lambda naive: CLOCK.elapsed(at(2026, 3, 1), naive),
        lambda naive: CLOCK.due_at(at(2026, 3, 9), HOUR, pauses=[(naive, at(2026, 3, 10))]),
        lambda naive: CLOCK.fraction_used(at(2026, 3, 1), HOUR, at=naive),
        lambda naive: URGENT.warning_level(at(2026, 3, 1), HOUR, at=naive),
    ],
    ids=["due-start", "elapsed-start", "elapsed-end", "pause", "fraction-at", "level-at"],
)
def test_it_refuses_naive_datetimes(call):
    with pytest.raises(ValueError, match="must be timezone-aware"):
        call(dt.datetime(2026, 3, 9, 9))


def test_it_refuses_negative_budgets_backward_ranges_and_backward_pauses():
    with pytest.raises(ValueError, match="negative"):
        CLOCK.due_at(at(2026, 3, 9, 9), -HOUR)
    with pytest.raises(ValueError, match="negative"):
        CLOCK.working_days(-1)
    with pytest.raises(ValueError, match="before start"):
        CLOCK.elapsed(at(2026, 3, 9, 9), at(2026, 3, 9, 8))
    with pytest.raises(ValueError, match="before it starts"):
        backward = [(at(2026, 3, 9, 10), at(2026, 3, 9, 9))]
        CLOCK.elapsed(at(2026, 3, 9), at(2026, 3, 10), pauses=backward)
    with pytest.raises(ValueError, match="positive"):
        CLOCK.fraction_used(at(2026, 3, 9), dt.timedelta(0), at=at(2026, 3, 10))


def test_a_due_date_in_a_year_not_shipped_uses_monday_to_friday():
    # 2027-01-01 is a Friday and 2027 is not shipped, so it counts as a working day.
    assert CLOCK.due_at(at(2026, 12, 31, 17), HOUR) == at(2027, 1, 1, 9)
    with_2027 = DeadlineClock(WorkCalendar([*_shipped_years(), year_2027()]))
    assert with_2027.due_at(at(2026, 12, 31, 17), HOUR) == at(2027, 1, 4, 9)


def _shipped_years():
    path = resources.files("warmgrid.lib").joinpath("data/calendar_2026.json")
    return [json.loads(path.read_text("utf-8"))]


# --- properties ----------------------------------------------------------------------------

instants = st.datetimes(
    min_value=dt.datetime(2025, 12, 1),
    max_value=dt.datetime(2027, 1, 31),
    timezones=st.sampled_from([SHANGHAI, dt.UTC]),
)
budgets = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(hours=100))
clocks = st.sampled_from([CLOCK, URGENT])
pause_shapes = st.lists(
    st.tuples(
        st.timedeltas(min_value=dt.timedelta(days=-2), max_value=dt.timedelta(days=20)),
        st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3)),
    ),
    max_size=4,
)


def as_pauses(start, shapes):
    return [(start + offset, start + offset + length) for offset, length in shapes]


@given(clocks, instants, budgets, pause_shapes)
def test_due_is_never_before_start(clock, start, budget, shapes):
    assert clock.due_at(start, budget, pauses=as_pauses(start, shapes)) >= start


@given(clocks, instants, budgets, pause_shapes)
def test_elapsed_working_time_from_start_to_due_is_the_budget(clock, start, budget, shapes):
    pauses = as_pauses(start, shapes)
    due = clock.due_at(start, budget, pauses=pauses)
    assert clock.elapsed(start, due, pauses=pauses) == budget


@given(clocks, instants, budgets, pause_shapes, pause_shapes)
def test_adding_a_pause_never_makes_the_due_time_earlier(clock, start, budget, shapes, extra):
    pauses = as_pauses(start, shapes)
    more = pauses + as_pauses(start, extra)
    assert clock.due_at(start, budget, pauses=more) >= clock.due_at(start, budget, pauses=pauses)


@given(clocks, instants, budgets, budgets, pause_shapes)
def test_elapsed_time_adds_up(clock, start, first, second, shapes):
    pauses = as_pauses(start, shapes)
    middle, end = start + first, start + first + second
    whole = clock.elapsed(start, end, pauses=pauses)
    parts = clock.elapsed(start, middle, pauses=pauses) + clock.elapsed(middle, end, pauses=pauses)
    assert whole == parts
    assert whole <= end - start


@given(st.dates(min_value=dt.date(2025, 12, 1), max_value=dt.date(2027, 1, 31)))
def test_next_working_day_is_the_first_working_day_after(day):
    following = CALENDAR.next_working_day(day)
    assert CALENDAR.is_working_day(following)
    assert CALENDAR.working_days_between(day + dt.timedelta(days=1), following) == 0


minutes = st.integers(min_value=0, max_value=4 * 24 * 60)


@given(
    st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 12, 31)),
    minutes,
    minutes,
    st.lists(st.tuples(minutes, minutes), max_size=3),
)
def test_elapsed_agrees_with_counting_minute_by_minute(day, first, second, pause_minutes):
    # An oracle that shares no code with the clock: look at every minute on its own.
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=SHANGHAI)
    start, end = sorted((first, second))
    paused = {m for a, b in pause_minutes for m in range(min(a, b), max(a, b))}

    def counts(minute):
        instant = midnight + dt.timedelta(minutes=minute)
        in_hours = any(s <= instant.time() < e for s, e in WorkingHours().periods)
        return CALENDAR.is_working_day(instant.date()) and in_hours and minute not in paused

    expected = sum(1 for minute in range(start, end) if counts(minute))
    pauses = [
        (midnight + dt.timedelta(minutes=min(a, b)), midnight + dt.timedelta(minutes=max(a, b)))
        for a, b in pause_minutes
    ]
    elapsed = CLOCK.elapsed(
        midnight + dt.timedelta(minutes=start), midnight + dt.timedelta(minutes=end), pauses=pauses
    )
    assert elapsed == dt.timedelta(minutes=expected)
