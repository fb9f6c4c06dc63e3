"""How personal identifiers are shown to people who may not see them whole."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """370102199001011234 → 370102********1234 (region and last four stay)."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


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
