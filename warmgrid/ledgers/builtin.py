"""The built-in `registry` template: the registry's own columns under their Chinese
headers, so a ledger in the registry's format needs no mapping (docs/ledgers.md)."""

import hashlib
import unicodedata

REGISTRY_CODE = "registry"
REGISTRY_COLUMNS = (
    ("姓名", "name"), ("公民身份号码", "id_number"), ("联系电话", "phone"),
    ("性别", "gender"), ("出生日期", "birth_date"), ("楼栋", "building"), ("单元", "unit"),
    ("房号", "room"), ("与户主关系", "relation"), ("人员类别", "residence_status"),
    ("民族", "ethnicity"), ("职业", "occupation"),
)
# A row of the registry's own format that says nothing of these is a lodger of the room.
REGISTRY_DEFAULTS = {"relation": "other", "residence_status": "permanent"}


def normalise_header(text: str) -> str:
    """Headers compare after NFKC (full-width letters and brackets folded) without
    spaces or line breaks: "联系 电话\\n" and "联系电话" are one column."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def header_signature(headers) -> str:
    """The same set of headers, in any order, gives the same signature."""
    names = sorted({normalise_header(h) for h in headers if normalise_header(h)})
    return hashlib.sha256("\n".join(names).encode()).hexdigest()
