"""JSON over HTTP for channel adapters, with the standard library only.

Timeouts always; redirects refused (a secret header must not follow one to another
host); every failure is a ChannelError, an OSError so that the delivery task retries.
Error messages name the host and path, never the query string, which carries keys and
access tokens.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

MAX_BODY = 1 << 20  # a provider's answer is small; never read more than this


class ChannelError(OSError):
    """A provider could not be reached, refused the message, or answered nonsense."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


_opener = urllib.request.build_opener(_NoRedirects)


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def request_json(method: str, url: str, payload: dict | None = None, *,
                 headers: dict[str, str] | None = None,
                 timeout: float | None = None) -> dict:
    """Send `payload` as JSON and return the JSON object answered ({} for an empty
    body). Anything but a 2xx answer raises ChannelError."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ChannelError(f"not an http(s) URL: {_where(url)}")
    data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url, data=data, method=method,
        headers={"Content-Type": "application/json; charset=utf-8",
                 "Accept": "application/json", **(headers or {})})
    if timeout is None:
        timeout = getattr(settings, "WARMGRID_NOTICE_HTTP_TIMEOUT", 5.0)
    try:
        with _opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_BODY)
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"{_where(url)} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ChannelError(f"{_where(url)} could not be reached: {reason}") from None
    if not body.strip():
        return {}
    try:
        answer = json.loads(body)
    except ValueError:
        raise ChannelError(f"{_where(url)} did not answer JSON") from None
    if not isinstance(answer, dict):
        raise ChannelError(f"{_where(url)} did not answer a JSON object")
    return answer
