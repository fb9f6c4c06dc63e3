"""Quiet hours, in local time; pure."""

import datetime as dt
from zoneinfo import ZoneInfo

from warmgrid.notices.timing import quiet_until

BEIJING = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=BEIJING)


def test_a_span_within_the_day():
    assert quiet_until(at(2, 12, 30), dt.time(12), dt.time(14)) == at(2, 14)
    assert quiet_until(at(2, 14), dt.time(12), dt.time(14)) is None
    assert quiet_until(at(2, 11, 59), dt.time(12), dt.time(14)) is None


def test_a_span_across_midnight():
    night, morning = dt.time(22), dt.time(7)
    assert quiet_until(at(2, 23), night, morning) == at(3, 7)
    assert quiet_until(at(3, 6, 59), night, morning) == at(3, 7)
    assert quiet_until(at(3, 7), night, morning) is None
    assert quiet_until(at(3, 21, 59), night, morning) is None


def test_no_quiet_hours():
    assert quiet_until(at(2, 3), None, None) is None
    assert quiet_until(at(2, 3), dt.time(3), dt.time(3)) is None
