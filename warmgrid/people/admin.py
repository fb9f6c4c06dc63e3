from django.contrib import admin

from warmgrid.people.models import Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "is_sensitive", "sort_order")
