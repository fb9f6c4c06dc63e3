from django.db import migrations

# The vulnerable groups every district starts with; districts can add their own.
DEFAULT_TAGS = [
    # code, 中文, English, sensitive (PIPL Art. 28)
    ("elderly_alone", "独居老人", "Elderly living alone", True),
    ("elderly_80", "高龄老人", "Aged 80 and over", False),
    ("empty_nest", "空巢老人", "Empty-nest elderly", True),
    ("disabled", "残疾人", "Person with a disability", True),
    ("low_income", "低保对象", "Minimum living allowance", True),
    ("extreme_hardship", "特困人员", "Extreme hardship support", True),
    ("minor_at_risk", "困境儿童", "Child in difficulty", True),
    ("left_behind_child", "留守儿童", "Left-behind child", True),
    ("unemployed", "失业人员", "Unemployed", True),
    ("migrant_worker", "外来务工人员", "Migrant worker", False),
    ("chronic_illness", "慢性病患者", "Chronic illness", True),
    ("veteran", "退役军人", "Veteran", False),
]


def add_tags(apps, schema_editor):
    Tag = apps.get_model("people", "Tag")
    for order, (code, name, name_en, sensitive) in enumerate(DEFAULT_TAGS):
        Tag.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "is_sensitive": sensitive,
                      "sort_order": order},
        )


def remove_tags(apps, schema_editor):
    apps.get_model("people", "Tag").objects.filter(
        code__in=[code for code, *_ in DEFAULT_TAGS]).delete()


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(add_tags, remove_tags)]
