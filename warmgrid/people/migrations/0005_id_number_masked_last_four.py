"""Stored masked ID numbers keep the last four characters only.

Masks used to keep the six region digits too (`370102********1234`). With the birth year
shown beside them, region and last four narrowed a person down to a few dozen candidate
numbers, so the region goes. Rewritten from the stored mask itself: no key is needed.
The audit log is append-only and keeps the old masks (docs/security.md).
"""

from django.db import migrations

BATCH = 2000


def last_four_only(masked: str) -> str:
    """`370102********1234` → `**************1234`, the length kept. Masks of ten or fewer
    characters were all stars and stay so. Frozen here, not imported, so that this
    migration means the same thing whatever warmgrid.lib.masking becomes."""
    if len(masked) <= 10:
        return "*" * len(masked)
    return "*" * (len(masked) - 4) + masked[-4:]


def mask_last_four(apps, schema_editor):
    Resident = apps.get_model("people", "Resident")
    # Batches by primary key: SQLite gives no isolation between a cursor still being read
    # and updates of the same table on one connection.
    last_pk = 0
    while True:
        rows = list(Resident.objects.filter(pk__gt=last_pk).exclude(id_number_masked="")
                    .only("pk", "id_number_masked").order_by("pk")[:BATCH])
        if not rows:
            break
        changed = []
        for resident in rows:
            masked = last_four_only(resident.id_number_masked)
            if masked != resident.id_number_masked:
                resident.id_number_masked = masked
                changed.append(resident)
        Resident.objects.bulk_update(changed, ["id_number_masked"])
        last_pk = rows[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0004_grid_tally_constraints_for_sqlite"),
    ]

    operations = [
        # Backwards there is nothing to restore: a shorter mask is still a valid mask.
        migrations.RunPython(mask_last_four, migrations.RunPython.noop, elidable=True),
    ]
