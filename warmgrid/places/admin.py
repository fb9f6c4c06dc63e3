"""Configuration screens for system admins.

The map's structure (codes, parents, paths and the paths copied onto buildings and
people) is loaded by commands that keep it consistent, so here names and outlines can be
corrected but nothing can be re-parented or added. Personal data is not shown here at
all: the registry has its own scoped pages.
"""

from django.contrib import admin

from warmgrid.audit.admin import AuditedAdmin
from warmgrid.places.models import Area, Building
from warmgrid.places.queries import areas_visible_to, buildings_visible_to


class MapAdmin(AuditedAdmin):
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Area)
class AreaAdmin(MapAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    readonly_fields = ("level", "code", "parent", "path")
    fields = ("level", "code", "name", "parent", "path", "outline")

    def get_queryset(self, request):
        return areas_visible_to(request.user)


@admin.register(Building)
class BuildingAdmin(MapAdmin):
    list_display = ("code", "name", "grid", "unit_count", "floor_count")
    search_fields = ("code", "name")
    readonly_fields = ("code", "grid")
    fields = ("code", "grid", "name", "address", "unit_count", "floor_count")

    def get_queryset(self, request):
        return buildings_visible_to(request.user)
