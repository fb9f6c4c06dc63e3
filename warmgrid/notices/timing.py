"""When a notice may go out: quiet hours, in local (Beijing) time. No Django here."""

from __future__ import annotations

import datetime as dt


def quiet_until(local_now: dt.datetime, start: dt.time | None,
                end: dt.time | None) -> dt.datetime | None:
    """If `local_now` falls in the quiet hours [start, end), the moment they end;
    otherwise None. A span may cross midnight (22:00–07:00); equal ends mean none."""
    if start is None or end is None or start == end:
        return None
    now = local_now.time().replace(tzinfo=None)
    day = local_now.date()
    if start < end:
        if not start <= now < end:
            return None
        end_day = day
    else:
        if end <= now < start:
            return None
        end_day = day + dt.timedelta(days=1) if now >= start else day
    return dt.datetime.combine(end_day, end, tzinfo=local_now.tzinfo)
