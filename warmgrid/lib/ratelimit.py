"""Fixed-window rate limits: which counters a hit touches, and whether it may pass.

A limit is a few windows ("10/hour, 30/day"); each window counts hits in a bucket that
starts on the clock (the hour, the local day) and is forgotten when it ends. A hit passes
when every window's count, this hit included, is within its limit; otherwise the caller
is told how long until the last full window ends. Counting is the caller's business (a
shared cache); this module only names the buckets and decides, so it needs no Django.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

UNITS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
         "d": 86400, "day": 86400}
_RULE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+?)s?\s*$")


class BadLimit(ValueError):
    pass


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: int


@dataclass(frozen=True)
class Bucket:
    window: Window
    key: str  # names the window and its bucket: "3600:493152"
    expires_in: int  # seconds until the bucket ends (a cache timeout)
    ends_at: float


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # seconds, whole, at least 1 when refused


def parse_limits(text: str) -> tuple[Window, ...]:
    """"10/hour, 30/day" → (Window(10, 3600), Window(30, 86400)); "5/10min" works too.
    An empty text is no limit at all."""
    windows = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _RULE.match(part.lower())
        if not match or match.group(3) not in UNITS:
            raise BadLimit(f"not a limit: {part!r} (write it as 10/hour, 30/day or 5/10min)")
        count, size, unit = int(match.group(1)), int(match.group(2) or 1), match.group(3)
        if size < 1:
            raise BadLimit(f"a window must last at least one unit: {part!r}")
        windows.append(Window(limit=count, seconds=size * UNITS[unit]))
    return tuple(windows)


def buckets(windows: tuple[Window, ...], now: float, *, utc_offset: float = 0) -> list[Bucket]:
    """The bucket of each window that `now` (seconds since the epoch) falls in. Buckets
    start at local clock boundaries: `utc_offset` moves a day's bucket to local midnight."""
    found = []
    local = now + utc_offset
    for window in windows:
        index = math.floor(local / window.seconds)
        ends_at = (index + 1) * window.seconds - utc_offset
        found.append(Bucket(window=window, key=f"{window.seconds}:{index}",
                            expires_in=max(1, math.ceil(ends_at - now)), ends_at=ends_at))
    return found


def decide(found: list[Bucket], counts: list[int], now: float) -> Decision:
    """`counts` are the buckets' counts with this hit included. Refused: wait until every
    window that is full has ended."""
    full = [b for b, count in zip(found, counts, strict=True) if count > b.window.limit]
    if not full:
        return Decision(allowed=True)
    wait = max(b.ends_at for b in full) - now
    return Decision(allowed=False, retry_after=max(1, math.ceil(wait)))
