"""A person's own addresses for notices (a mobile for SMS), sealed like a resident's phone:
AES-GCM with the data key ring, bound to its own field name, shown masked."""

from __future__ import annotations

from warmgrid.lib.masking import mask_phone
from warmgrid.people.identifiers import cipher

PHONE_FIELD = "notices.phone"


def seal_contact_phone(value: str) -> tuple[str, str]:
    """(ciphertext, masked) for a normalised mobile number."""
    return cipher().encrypt(value, field=PHONE_FIELD), mask_phone(value)


def open_contact_phone(sealed: str) -> str:
    return cipher().decrypt(sealed, field=PHONE_FIELD) if sealed else ""
