from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from warmgrid.accounts.models import Department, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    raw_id_fields = ("area", "department", "household")


@admin.register(User)
class WarmGridUserAdmin(UserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ("username", "display_name", "is_active", "last_login")
    fieldsets = (*UserAdmin.fieldsets, ("WarmGrid", {"fields": ("display_name",)}))


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "area")
    filter_horizontal = ("members",)
    raw_id_fields = ("area",)
