from django.db import migrations

from warmgrid.ledgers.builtin import (
    REGISTRY_CODE,
    REGISTRY_COLUMNS,
    REGISTRY_DEFAULTS,
    header_signature,
)


def add_registry_template(apps, schema_editor):
    template = apps.get_model("ledgers", "LedgerTemplate")
    template.objects.update_or_create(code=REGISTRY_CODE, defaults={
        "name": "居民登记表（平台格式）",
        "columns": [{"header": h, "field": f} for h, f in REGISTRY_COLUMNS],
        "header_signature": header_signature(h for h, _ in REGISTRY_COLUMNS),
        "defaults": REGISTRY_DEFAULTS, "builtin": True, "legal_basis": "statutory_duty"})


def remove_registry_template(apps, schema_editor):
    apps.get_model("ledgers", "LedgerTemplate").objects.filter(code=REGISTRY_CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("ledgers", "0001_initial")]
    operations = [migrations.RunPython(add_registry_template, remove_registry_template)]
