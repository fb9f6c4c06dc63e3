"""The JSON API at /api/v1/: one NinjaAPI wiring each app's router.

Every operation but the token endpoint needs `Authorization: Bearer <token>`; every error
is {"code", "message", "fields"} (warmgrid/api/errors.py).
"""

import json

from django.apps import apps
from django.http import Http404
from ninja import NinjaAPI, Router
from ninja.parser import Parser

from warmgrid.api.auth import BearerToken
from warmgrid.api.auth import router as auth_router
from warmgrid.api.errors import NotJson, install_error_handlers
from warmgrid.audit.api import router as audit_router
from warmgrid.cases.api import router as cases_router
from warmgrid.people.api import router as people_router
from warmgrid.places.api import router as places_router


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


class StrictJsonParser(Parser):
    """JSON as RFC 8259 has it: sent as JSON (415 otherwise, and a form body is never
    parsed), no NaN or Infinity, no lone surrogates (which no database can store).
    Anything else is ninja's 400 "cannot parse"."""

    def parse_body(self, request):
        media_type = request.content_type or ""
        if media_type != "application/json" and not media_type.endswith("+json"):
            raise NotJson(media_type)
        data = json.loads(request.body, parse_constant=_refuse_constant)
        json.dumps(data, ensure_ascii=False).encode()  # UnicodeEncodeError on a lone surrogate
        return data


# Swagger UI comes from ninja's own static files only when "ninja" is an installed app;
# otherwise ninja links a CDN that our Content-Security-Policy (and a closed network) block.
_DOCS_URL = "/docs" if apps.is_installed("ninja") else None

api = NinjaAPI(
    title="WarmGrid API",
    version="1",
    description="The registry of households and residents, and the governance map, "
                "scoped to the signed-in user. Get a token from POST /api/v1/auth/token.",
    urls_namespace="api",
    auth=BearerToken(),
    parser=StrictJsonParser(),
    docs_url=_DOCS_URL,
)
install_error_handlers(api)

api.add_router("/auth", auth_router)
api.add_router("", places_router)
api.add_router("", people_router)
api.add_router("/audit", audit_router)
api.add_router("", cases_router)
api.add_router("", "warmgrid.notices.api.router")
api.add_router("", "warmgrid.attachments.api.router")
api.add_router("", "warmgrid.assessment.api.router")

# Last: any other path under /api/v1/ is a JSON 404, not Django's HTML page.
_unknown = Router()
_ANY_METHOD = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]


@_unknown.api_operation(_ANY_METHOD, "/", auth=None, include_in_schema=False)
def api_root(request):
    raise Http404


@_unknown.api_operation(_ANY_METHOD, "/{path:rest}", auth=None, include_in_schema=False)
def unknown_path(request, rest: str):
    raise Http404


api.add_router("", _unknown)
