"""The audit trail over JSON, for street and district admins (their own area) and system
admins. Entries carry masked values only."""

import datetime as dt
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Router, Schema

from warmgrid.accounts.scopes import audit_scope_paths
from warmgrid.api.errors import LIST_ERRORS, ErrorOut, PageQuery, Text, page_of
from warmgrid.audit.models import AuditEntry
from warmgrid.audit.queries import audit_entries_for_user
from warmgrid.errors import Forbidden

router = Router(tags=["audit"])

Action = Literal[tuple(AuditEntry.Action.values)]


class AuditEntryOut(Schema):
    seq: int
    action: str
    occurred_at: dt.datetime
    actor_username: str
    ip_address: str
    object_type: str
    object_id: str
    object_repr: str
    area_path: str
    changes: dict[str, Any]
    reason: str


class AuditPage(Schema):
    items: list[AuditEntryOut]
    count: int


@router.get("/entries", operation_id="listAuditEntries", summary="Read the audit trail",
            response={200: AuditPage, 403: ErrorOut, **LIST_ERRORS})
def list_audit_entries(request, page: PageQuery, action: Action | None = None,
                       actor: Text(150) | None = None, object_type: Text(64) | None = None,
                       date_from: dt.date | None = None, date_to: dt.date | None = None):
    """Newest first, for the areas you supervise."""
    if audit_scope_paths(request.user) == []:
        raise Forbidden(_("Only street, district and system admins read the audit trail."))
    entries = audit_entries_for_user(
        request.user, action=action or "", actor=actor or "", object_type=object_type or "",
        date_from=date_from, date_to=date_to,
    )
    items, count = page_of(entries, page)
    return {"items": items, "count": count}
