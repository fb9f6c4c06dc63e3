"""Phone numbers as residents give them: mainland mobiles and landlines."""

from __future__ import annotations

import re

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalise_phone(raw: str) -> str:
    """Drop spaces, dashes in mobiles and a +86/0086 prefix; keep a landline's area dash."""
    value = re.sub(r"[\s()]", "", raw)
    value = re.sub(r"^(\+86|0086)", "", value)
    if MOBILE.match(value.replace("-", "")):
        return value.replace("-", "")
    return value


def is_valid_phone(value: str) -> bool:
    return bool(MOBILE.match(value) or LANDLINE.match(value))
