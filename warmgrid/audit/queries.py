"""Reading the audit trail, scoped: admins read the log of their own area."""

from __future__ import annotations

from django.db.models import QuerySet

from warmgrid.accounts.scopes import audit_scope_paths, path_filter
from warmgrid.audit.models import AuditEntry


def audit_entries_visible_to(user) -> QuerySet[AuditEntry]:
    paths = audit_scope_paths(user)
    if paths is None:
        return AuditEntry.objects.all()
    if not paths:
        return AuditEntry.objects.none()
    return AuditEntry.objects.filter(path_filter(paths, "area_path"))


def audit_entries_for_user(
    user, *, action: str = "", actor: str = "", object_type: str = "",
    date_from=None, date_to=None,
) -> QuerySet[AuditEntry]:
    entries = audit_entries_visible_to(user)
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor_username=actor)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if date_from:
        entries = entries.filter(occurred_at__date__gte=date_from)
    if date_to:
        entries = entries.filter(occurred_at__date__lte=date_to)
    return entries.order_by("-seq")
