"""One error vocabulary for every layer below the interface (pages, API, commands).

Actions raise these with a stable `code` and a translatable message; the API turns them
into {"code", "message", "fields"} and pages show them beside the field.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = _("The request could not be completed.")

    def __init__(self, message=None, *, code: str | None = None,
                 fields: dict[str, list[str]] | None = None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.fields = {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()}
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    code = "invalid"
    status = 422
    default_message = _("Some fields need correcting.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = _("Your role does not allow this.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("This conflicts with the current data.")


class RateLimited(DomainError):
    """Too many posts in a short time (warmgrid/accounts/ratelimits.py): answered 429
    with a Retry-After header of `retry_after` seconds."""

    code = "rate_limited"
    status = 429
    default_message = _("Too many requests in a short time; please try again later.")

    def __init__(self, message=None, *, retry_after: int = 60, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = max(1, int(retry_after))
