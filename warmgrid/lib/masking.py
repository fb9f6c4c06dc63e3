"""How personal identifiers are shown to people who may not see them whole."""

from __future__ import annotations

import datetime as dt


def mask_id_number(value: str) -> str:
    """370102199001011234 → **************1234: the last four only, the length kept.

    The first fourteen characters are the region (six) and the birth date (eight): the
    birth date names a person almost alone, and a district has only a few region codes,
    so region plus birth date plus the last four is the whole number. The last four are
    enough to tell residents apart and to search by (`id_last4_index`).
    """
    if len(value) <= 10:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years from `birth` to `day`: shown with the birth year instead of the birth
    date, which is part of the ID number. Born on 29 February: a year older on 1 March."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678; shorter numbers keep only their last four."""
    digits = value.strip()
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * len(digits)


def mask_name(value: str) -> str:
    """张三丰 → 张**: for audit entries and exports that must not carry the name."""
    return value[:1] + "*" * (len(value) - 1) if value else value
