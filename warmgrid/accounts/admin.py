from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from warmgrid.accounts.models import Department, RoleAssignment, User
from warmgrid.audit.admin import AuditedAdmin

# Authenticators are enrolled with `warmgrid otp enroll` only (audited, secret shown once
# to the operator), never from a web page.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    raw_id_fields = ("area", "department", "household")


@admin.register(User)
class WarmGridUserAdmin(AuditedAdmin, UserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ("username", "display_name", "is_active", "last_login")
    fieldsets = (*UserAdmin.fieldsets, ("WarmGrid", {"fields": ("display_name",)}))


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ("code", "name", "kind", "area")
    filter_horizontal = ("members",)
    raw_id_fields = ("area",)
