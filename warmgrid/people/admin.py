from django.contrib import admin

from warmgrid.audit.admin import AuditedAdmin
from warmgrid.people.models import Tag


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    list_display = ("code", "name", "name_en", "is_sensitive", "sort_order")
