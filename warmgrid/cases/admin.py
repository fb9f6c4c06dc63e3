"""Configuration screens for system admins: the ordered routing rules and duty rosters.

Every change is audited (AuditedAdmin). Routing rules change how every new case is
dispatched, so they are edited here, where only system admins reach; a unit's duty
roster is also kept by the unit itself on /cases/duty/.
"""

from django.contrib import admin

from warmgrid.audit.admin import AuditedAdmin
from warmgrid.cases.models import DutyShift, RoutingRule


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
    list_display = ("order", "category", "area", "from_hour", "to_hour", "department", "note",
                    "is_active")
    list_editable = ("is_active",)
    list_filter = ("is_active", "department")
    ordering = ("order",)
    raw_id_fields = ("area",)


@admin.register(DutyShift)
class DutyShiftAdmin(AuditedAdmin):
    list_display = ("user", "department", "area", "starts_at", "ends_at", "note")
    list_filter = ("department",)
    date_hierarchy = "starts_at"
    raw_id_fields = ("user", "area", "created_by")
