"""The built-in `registry` template: the registry's own columns under their Chinese
headers, so a ledger in the registry's format needs no mapping (docs/ledgers.md)."""

from warmgrid.lib.ledgers.reading import header_signature, normalise_header

__all__ = ["REGISTRY_CODE", "REGISTRY_COLUMNS", "REGISTRY_DEFAULTS", "header_signature",
           "normalise_header"]

REGISTRY_CODE = "registry"
REGISTRY_COLUMNS = (
    ("姓名", "name"), ("公民身份号码", "id_number"), ("联系电话", "phone"),
    ("性别", "gender"), ("出生日期", "birth_date"), ("楼栋", "building"), ("单元", "unit"),
    ("房号", "room"), ("与户主关系", "relation"), ("人员类别", "residence_status"),
    ("民族", "ethnicity"), ("职业", "occupation"),
)
# A row of the registry's own format that says nothing of these is a lodger of the room.
REGISTRY_DEFAULTS = {"relation": "other", "residence_status": "permanent"}
