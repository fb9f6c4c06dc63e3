"""What the API answers when something is wrong, and the input guards that keep it a 4xx.

Every error is JSON {"code", "message", "fields"}: `fields` maps a field name to its
messages. Domain errors keep their own code and status; malformed input (bad JSON, wrong
types, numbers or offsets the database cannot hold, NUL characters) is a 400 or 422,
never a 500. Routers import the guarded types and the response maps from here so that
the OpenAPI document names every status a route can answer.
"""

import logging
from typing import Annotated, Any

from django.core.exceptions import SuspiciousOperation
from django.core.signals import got_request_exception
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from pydantic import StringConstraints

from warmgrid.errors import DomainError

logger = logging.getLogger(__name__)


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class NotJson(ValueError):
    """A request body sent with another content type than JSON (answered 415)."""


class Unauthorized(DomainError):
    """Sign-in failed or no valid token: raised by the token endpoint."""

    code = "unauthorized"
    status = 401


# The statuses each kind of route can answer, for `response={200: Out, **READ_ERRORS}`.
# 400 is Django's own limit on what it reads (too many query parameters, too large a body).
READ_ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
LIST_ERRORS = {400: ErrorOut, 401: ErrorOut, 422: ErrorOut}
# 429: public posting and rating are rate-limited (warmgrid/accounts/ratelimits.py).
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
                415: ErrorOut, 422: ErrorOut, 429: ErrorOut}


# --- Input guards ---------------------------------------------------------------------

# The largest primary key SQLite and PostgreSQL (bigint) hold; larger ids are a 422.
MAX_ID = 2**63 - 1
# Offsets past this are never useful and keep offset + limit inside a 64-bit integer.
MAX_OFFSET = 2**31 - 1
MAX_LIMIT = 100
# PostgreSQL cannot store NUL in text: refuse it at the door.
_NO_NUL = r"^[^\x00]*$"


def Text(max_length: int, *, min_length: int = 0) -> Any:
    """A string the database can store: bounded length, no NUL character."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length,
                                            pattern=_NO_NUL)]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class PageIn(Schema):
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


PageQuery = Query[PageIn]


def page_of(queryset, page: PageIn) -> tuple[list, int]:
    """One page of an ordered queryset and the total count: {"items": ..., "count": ...}."""
    return list(queryset[page.offset:page.offset + page.limit]), queryset.count()


# --- Messages for pydantic's error types, in the user's language ------------------------

def _message(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Enter a whole number.")
    if kind in {"greater_than_equal", "greater_than"}:
        return _("Enter a larger number (at least %(limit)s).") % {
            "limit": ctx.get("ge", ctx.get("gt", ""))}
    if kind in {"less_than_equal", "less_than"}:
        return _("Enter a smaller number (at most %(limit)s).") % {
            "limit": ctx.get("le", ctx.get("lt", ""))}
    if kind == "string_too_long":
        return _("Enter at most %(limit)s characters.") % {"limit": ctx.get("max_length", "")}
    if kind == "string_too_short":
        return _("Enter at least %(limit)s characters.") % {"limit": ctx.get("min_length", "")}
    if kind == "string_pattern_mismatch":
        return _("This text contains a character that is not allowed.")
    if kind == "string_type":
        return _("Enter text.")
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("Enter a date as YYYY-MM-DD.")
    if kind in {"literal_error", "enum"}:
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind in {"bool_parsing", "bool_type"}:
        return _("Enter true or false.")
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return _("Send a JSON object.")
    if kind == "extra_forbidden":
        return _("This field is not accepted here.")
    return _("This value is not valid.")


def _field_name(loc) -> str:
    """("body", "payload", "name") → "name"; ("query", "limit") → "limit"."""
    parts = [str(p) for p in loc]
    source, rest = (parts[0], parts[1:]) if parts else ("body", [])
    if source == "body" and rest:
        rest = rest[1:]  # the view's parameter name, which the client never sees
    return ".".join(rest) or source


def _error(request, api, status: int, code: str, message, fields=None):
    body = {"code": code, "message": str(message), "fields": fields or {}}
    return api.create_response(request, body, status=status)


def install_error_handlers(api) -> None:
    """Register every error answer on the NinjaAPI instance."""

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        response = _error(request, api, exc.status, exc.code, exc.message, exc.fields)
        if getattr(exc, "retry_after", None):  # RateLimited: 429, when to come back
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            fields.setdefault(_field_name(error.get("loc", ())), []).append(_message(error))
        return _error(request, api, 422, "invalid", _("Some fields need correcting."), fields)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return _error(request, api, 404, "not_found", _("Not found."))

    @api.exception_handler(AuthenticationError)
    def unauthorized(request, exc):
        response = _error(request, api, 401, "unauthorized",
                          _("Sign in first: send a valid bearer token."))
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(AuthorizationError)
    def forbidden(request, exc):
        return _error(request, api, 403, "forbidden", _("Your role does not allow this."))

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        # ninja raises these for a body it cannot parse (400) and for throttling (429).
        if isinstance(exc.__cause__, NotJson):
            return _error(request, api, 415, "unsupported_media_type",
                          _("Send the body as JSON, with Content-Type: application/json."))
        if exc.status_code == 400:
            return _error(request, api, 400, "bad_request",
                          _("The request body is not valid JSON."))
        return _error(request, api, exc.status_code, "error",
                      _("The request could not be completed."))

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request, exc):
        # Too large a body, too many fields: Django's own limits.
        return _error(request, api, 400, "bad_request", _("The request could not be read."))

    @api.exception_handler(Exception)
    def unexpected(request, exc):
        # A bug: log it and tell listeners as Django would (the test client re-raises it).
        logger.error("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
        got_request_exception.send(sender=None, request=request)
        return _error(request, api, 500, "server_error",
                      _("Something went wrong on our side. It has been logged; please try again."))
