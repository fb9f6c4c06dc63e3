"""The client's address, as lockout and the audit trail must see it."""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or behind N trusted proxies the address the nearest one saw.

    Each proxy appends the address it received from to X-Forwarded-For, so with
    WARMGRID_PROXY_COUNT = N the client is the N-th entry from the right; anything further
    left was written by the client and cannot be trusted.
    """
    proxies = settings.WARMGRID_PROXY_COUNT
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies][:45]
    return request.META.get("REMOTE_ADDR", "")[:45]
