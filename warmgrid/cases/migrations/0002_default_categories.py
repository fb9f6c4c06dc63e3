from django.db import migrations

from warmgrid.cases.taxonomy import CATEGORIES, PRIVATE

# Attributes a reporting system may send with an Open311 request for these services.
FLOOR_ATTRIBUTE = {
    "variable": True, "code": "floor", "datatype": "number", "required": False,
    "datatype_description": "楼层 · floor number", "order": 1,
    "description": "所在楼层 · floor", "values": [],
}


def add_categories(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    by_code = {}
    for order, spec in enumerate(CATEGORIES):
        by_code[spec.code], _ = Category.objects.update_or_create(
            code=spec.code,
            defaults={
                "parent": by_code.get(spec.parent), "name": spec.name, "name_en": spec.name_en,
                "response_hours": spec.response_hours, "resolve_days": spec.resolve_days,
                "priority": spec.priority, "needs_check": spec.needs_check,
                "difficulty": spec.difficulty, "unit_kind": spec.unit_kind,
                "open311_attributes": [FLOOR_ATTRIBUTE] if spec.parent == "safety" else [],
                "is_public": spec.code not in PRIVATE, "sort_order": order,
            },
        )


def remove_categories(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    for spec in reversed(CATEGORIES):
        Category.objects.filter(code=spec.code).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(add_categories, remove_categories)]
