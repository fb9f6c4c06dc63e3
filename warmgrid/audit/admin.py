"""Changes made in /admin/ reach the audit trail like any other change.

Field names only: values may be personal or secret (a password hash), and the admin
screens hold configuration, not the registry.
"""

from __future__ import annotations

from django.contrib import admin

from warmgrid.accounts.http import client_ip
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry


def _record(request, action: str, obj, fields=()) -> None:
    do_record_audit(
        action=action, actor=request.user, ip_address=client_ip(request),
        object_type=obj._meta.model_name, object_id=obj.pk, object_repr=str(obj)[:200],
        area_path=getattr(obj, "area_path", "") or getattr(obj, "path", "") or "",
        changes={"fields": sorted(fields), "via": "admin"},
    )


class AuditedAdmin(admin.ModelAdmin):
    """ModelAdmin whose saves, deletes and inline edits are audited (the admin already
    runs each change in one transaction, so the entry commits with the change)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _record(request, AuditEntry.Action.UPDATE if change else AuditEntry.Action.CREATE,
                obj, form.changed_data)

    def delete_model(self, request, obj):
        _record(request, AuditEntry.Action.DELETE, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            _record(request, AuditEntry.Action.DELETE, obj)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            _record(request, AuditEntry.Action.CREATE, obj)
        for obj, fields in formset.changed_objects:
            _record(request, AuditEntry.Action.UPDATE, obj, fields)
        for obj in formset.deleted_objects:
            _record(request, AuditEntry.Action.DELETE, obj)
