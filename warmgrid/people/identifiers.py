"""Sealing and opening personal identifiers with the configured keys."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.conf import settings

from warmgrid.lib.crypto import FieldCipher
from warmgrid.lib.masking import mask_id_number, mask_phone

ID_FIELD = "resident.id_number"
ID_LAST4_FIELD = "resident.id_last4"
PHONE_FIELD = "resident.phone"


@cache
def _cipher_for(key_ring: str, index_key: str) -> FieldCipher:
    return FieldCipher.from_config(key_ring, index_key)


def cipher() -> FieldCipher:
    return _cipher_for(settings.WARMGRID_DATA_KEYS, settings.WARMGRID_INDEX_KEY)


@dataclass(frozen=True)
class SealedIdNumber:
    cipher: str
    index: str
    last4_index: str
    masked: str


@dataclass(frozen=True)
class SealedPhone:
    cipher: str
    index: str
    masked: str


def seal_id_number(value: str) -> SealedIdNumber:
    c = cipher()
    return SealedIdNumber(
        cipher=c.encrypt(value, field=ID_FIELD),
        index=c.blind_index(value, field=ID_FIELD),
        last4_index=last4_index(value[-4:]),
        masked=mask_id_number(value),
    )


def last4_index(last4: str) -> str:
    return cipher().blind_index(last4.upper(), field=ID_LAST4_FIELD)


def id_number_index(value: str) -> str:
    return cipher().blind_index(value, field=ID_FIELD)


def seal_phone(value: str) -> SealedPhone:
    c = cipher()
    return SealedPhone(
        cipher=c.encrypt(value, field=PHONE_FIELD),
        index=c.blind_index(value, field=PHONE_FIELD),
        masked=mask_phone(value),
    )


def phone_index(value: str) -> str:
    return cipher().blind_index(value, field=PHONE_FIELD)


def open_id_number(sealed: str) -> str:
    return cipher().decrypt(sealed, field=ID_FIELD)


def open_phone(sealed: str) -> str:
    return cipher().decrypt(sealed, field=PHONE_FIELD)
