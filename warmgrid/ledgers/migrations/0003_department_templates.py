"""Four department ledgers every community keeps, as built-in templates: an upload with
these headers is recognised without mapping (docs/ledgers.md lists their columns)."""

from django.db import migrations

from warmgrid.ledgers.builtin import header_signature

ADDRESS = (("楼栋", "building"), ("单元", "unit"), ("房号", "room"))
PERSON = (("姓名", "name"), ("身份证号", "id_number"), ("联系电话", "phone"))
TEMPLATES = (
    ("dibao", "低保名册", "low_income", "hukou",
     (*PERSON, *ADDRESS, ("与户主关系", "relation"), ("保障人数", ""),
      ("享受开始日期", "valid_from"), ("享受结束日期", "valid_until"))),
    ("canji", "残疾人名册", "disabled", "hukou",
     (*PERSON, *ADDRESS, ("残疾证号", ""), ("残疾类别", ""), ("残疾等级", ""),
      ("发证日期", "valid_from"))),
    ("liudong", "流动人口登记", None, "floating",
     (*PERSON, ("性别", "gender"), *ADDRESS, ("户籍地址", ""), ("职业", "occupation"),
      ("来本地日期", ""))),
    ("gaoling", "高龄老人名册", None, "hukou",
     (*PERSON, ("性别", "gender"), ("出生日期", "birth_date"), *ADDRESS,
      ("紧急联系人", ""), ("紧急联系电话", ""))),
)


def add_department_templates(apps, schema_editor):
    template = apps.get_model("ledgers", "LedgerTemplate")
    tag = apps.get_model("people", "Tag")
    for code, name, tag_code, status, columns in TEMPLATES:
        template.objects.update_or_create(code=code, defaults={
            "name": name, "builtin": True, "legal_basis": "statutory_duty",
            "columns": [{"header": h, "field": f} for h, f in columns],
            "header_signature": header_signature(h for h, _ in columns),
            "defaults": {"relation": "other", "residence_status": status},
            "tag": tag.objects.filter(code=tag_code).first() if tag_code else None})


def remove_department_templates(apps, schema_editor):
    apps.get_model("ledgers", "LedgerTemplate").objects.filter(
        code__in=[t[0] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("ledgers", "0002_registry_template"), ("people", "0002_default_tags")]
    operations = [migrations.RunPython(add_department_templates,
                                       remove_department_templates)]
