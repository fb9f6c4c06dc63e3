"""Fixed-window decisions, without a cache or Django."""

import pytest

from warmgrid.lib.ratelimit import BadLimit, Window, buckets, decide, parse_limits

HOUR, DAY = 3600, 86400
BEIJING = 8 * HOUR


def test_it_reads_limits_as_people_write_them():
    assert parse_limits("10/hour, 30/day") == (Window(10, HOUR), Window(30, DAY))
    assert parse_limits("5/10min,600/h") == (Window(5, 600), Window(600, HOUR))
    assert parse_limits("3 / 2 hours") == (Window(3, 2 * HOUR),)
    assert parse_limits("") == ()


@pytest.mark.parametrize("text", ["10", "10/fortnight", "ten/hour", "10/0min", "-1/hour"])
def test_it_refuses_what_is_not_a_limit(text):
    with pytest.raises(BadLimit):
        parse_limits(text)


def test_a_bucket_starts_on_the_hour_and_on_local_midnight():
    now = 1_700_000_000 + 17  # some moment, not on a boundary
    hour, day = buckets(parse_limits("10/hour, 30/day"), now, utc_offset=BEIJING)
    assert hour.ends_at % HOUR == 0 and 0 < hour.expires_in <= HOUR
    assert (day.ends_at + BEIJING) % DAY == 0 and 0 < day.expires_in <= DAY
    assert hour.key != day.key
    # The same hour is the same bucket; the next hour is another.
    same = buckets((Window(10, HOUR),), hour.ends_at - 1, utc_offset=BEIJING)[0]
    later = buckets((Window(10, HOUR),), hour.ends_at, utc_offset=BEIJING)[0]
    assert same.key == hour.key and later.key != hour.key


def test_the_limit_itself_passes_and_one_more_is_refused_until_the_window_ends():
    windows = parse_limits("10/hour")
    start = 100 * HOUR + 600  # ten minutes into an hour
    found = buckets(windows, start)
    assert decide(found, [10], start).allowed
    refused = decide(found, [11], start)
    assert not refused.allowed and refused.retry_after == 50 * 60


def test_a_refusal_waits_for_every_full_window():
    windows = parse_limits("10/hour, 30/day")
    now = 100 * DAY + 5 * HOUR
    found = buckets(windows, now)
    assert decide(found, [3, 31], now).retry_after == 19 * HOUR  # the day's end
    assert decide(found, [11, 12], now).retry_after == HOUR
    assert decide(found, [11, 31], now).retry_after == 19 * HOUR
