"""Rate limits on public posting and rating, counted in Django's cache.

Residents (anyone without a staff role) and Open311 clients are limited; staff entering
phone calls or patrol findings never are. Each rule is a few fixed windows
(warmgrid.lib.ratelimit) set in settings.WARMGRID_RATE_LIMITS; a hit is counted in every
window atomically — on Redis all windows in ONE round trip (SET NX + INCR, pipelined),
elsewhere with cache.incr / cache.add — and refused hits are taken back, so a refusal
costs the poster nothing. settings.WARMGRID_RATE_LIMITS_ENABLED = False turns them off.
"""

from __future__ import annotations

import math
import time
from functools import cache as memoize

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmgrid.accounts.models import Role
from warmgrid.accounts.scopes import grants_of
from warmgrid.errors import RateLimited
from warmgrid.lib.ratelimit import Bucket, Decision, Window, buckets, decide, parse_limits

REPORT_CASE = "report_case"
REPORT_CASE_OPEN311 = "report_case_open311"
RATE_CASE = "rate_case"
JOIN_CASE = "join_case"
SURVEY_CODE = "survey_code"
# Used when settings.WARMGRID_RATE_LIMITS does not name a rule (docs/notices.md).
DEFAULT_LIMITS = {
    REPORT_CASE: "10/hour, 30/day",
    REPORT_CASE_OPEN311: "30/minute, 600/hour",  # a burst, and a steady feed
    RATE_CASE: "20/hour",
    JOIN_CASE: "30/hour",
    SURVEY_CODE: "30/minute, 300/hour",  # invitation codes tried from one address
}
# What the person is told: (within a minute, in N minutes).
MESSAGES = {
    REPORT_CASE: (
        _("You have reported many events in a short time; please try again in a minute."),
        _("You have reported many events in a short time; please try again in "
          "%(minutes)s minutes."),
    ),
    REPORT_CASE_OPEN311: (
        _("This key has filed many requests in a short time; please try again in a "
          "minute."),
        _("This key has filed many requests in a short time; please try again in "
          "%(minutes)s minutes."),
    ),
    RATE_CASE: (
        _("You have rated many cases in a short time; please try again in a minute."),
        _("You have rated many cases in a short time; please try again in %(minutes)s "
          "minutes."),
    ),
    JOIN_CASE: (
        _("You have joined many cases in a short time; please try again in a minute."),
        _("You have joined many cases in a short time; please try again in %(minutes)s "
          "minutes."),
    ),
    SURVEY_CODE: (
        _("Many invitation codes were tried from this address; please try again in a "
          "minute."),
        _("Many invitation codes were tried from this address; please try again in "
          "%(minutes)s minutes."),
    ),
}
KEY_PREFIX = "ratelimit"

# Seconds since the epoch; tests put a fake clock here to move between windows.
clock = time.time


@memoize
def _parsed(text: str) -> tuple[Window, ...]:
    return parse_limits(text)


def limits_for(rule: str) -> tuple[Window, ...]:
    configured = getattr(settings, "WARMGRID_RATE_LIMITS", {}) or {}
    return _parsed(configured.get(rule, DEFAULT_LIMITS[rule]))


def is_staff(user) -> bool:
    """Anyone holding a role besides resident works here and is never limited."""
    return any(grant.role != Role.RESIDENT for grant in grants_of(user))


def _count(backend, keys: list[str], found: list[Bucket], delta: int) -> list[int]:
    if isinstance(backend, RedisCache):
        # One round trip: each bucket is created with its expiry if new, then counted.
        client = backend._cache.get_client(write=True)
        pipe = client.pipeline(transaction=False)
        for key, bucket in zip(keys, found, strict=True):
            name = backend.make_and_validate_key(key)
            pipe.set(name, 0, ex=bucket.expires_in, nx=True)
            pipe.incrby(name, delta)
        return [int(n) for n in pipe.execute()[1::2]]
    counts = []
    for key, bucket in zip(keys, found, strict=True):
        try:
            counts.append(backend.incr(key, delta))
        except ValueError:  # a new bucket (or one that just ended)
            if backend.add(key, delta, timeout=bucket.expires_in):
                counts.append(delta)
            else:  # someone else made it a moment ago
                counts.append(backend.incr(key, delta))
    return counts


def hit(rule: str, who: str, *, now: float | None = None) -> Decision:
    """Count one hit by `who` under `rule`; refused hits are taken back."""
    if not getattr(settings, "WARMGRID_RATE_LIMITS_ENABLED", True):
        return Decision(allowed=True)
    windows = limits_for(rule)
    if not windows:
        return Decision(allowed=True)
    now = clock() if now is None else now
    offset = timezone.localtime(timezone.now()).utcoffset().total_seconds()
    found = buckets(windows, now, utc_offset=offset)
    keys = [f"{KEY_PREFIX}:{rule}:{who}:{bucket.key}" for bucket in found]
    backend = caches[getattr(settings, "WARMGRID_RATE_LIMIT_CACHE", "default")]
    decision = decide(found, _count(backend, keys, found, 1), now)
    if not decision.allowed:
        try:
            _count(backend, keys, found, -1)
        except ValueError:  # a bucket ended in between: nothing to take back
            pass
    return decision


def check_rate(rule: str, who: str) -> None:
    """Raise RateLimited (429, with Retry-After) when `who` is over `rule`'s limit."""
    decision = hit(rule, who)
    if decision.allowed:
        return
    minutes = math.ceil(decision.retry_after / 60)
    within_a_minute, in_minutes = MESSAGES[rule]
    message = within_a_minute if minutes <= 1 else in_minutes % {"minutes": minutes}
    raise RateLimited(message, retry_after=decision.retry_after)


def check_public_post(rule: str, user) -> None:
    """Limit a resident's (or any non-staff account's) posts; staff pass untouched."""
    if user is None or getattr(user, "pk", None) is None or is_staff(user):
        return
    check_rate(rule, f"user:{user.pk}")
