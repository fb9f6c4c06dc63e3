"""Validation of registry input, shared by pages, the API and (later) ledger imports.

Every rule raises a message of its own, in the user's language.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from warmgrid.lib import idnumber
from warmgrid.lib.phone import is_valid_phone, normalise_phone

ID_MESSAGES = {
    idnumber.LENGTH: _("An ID number has 18 characters; this one has %(detail)s."),
    idnumber.CHARACTERS: _(
        "An ID number is 17 digits followed by a digit or X; it has another character."
    ),
    idnumber.REGION: _("The first six digits (%(detail)s) are not a valid region code."),
    idnumber.BIRTH_DATE: _(
        "Digits 7 to 14 (%(detail)s) are not a real birth date between 1900 and today."
    ),
    idnumber.CHECKSUM: _(
        "The last character does not match the check digit: the number has a typing error."
    ),
    idnumber.BIRTH_MISMATCH: _("The birth date does not match the one in the ID number."),
    idnumber.GENDER_MISMATCH: _("The gender does not match the one in the ID number."),
}


def id_number_message(error: idnumber.IdNumberError) -> str:
    detail = str(error).partition(": ")[2]
    return str(ID_MESSAGES[error.code] % {"detail": detail})


class FieldErrors(dict):
    def add(self, field: str, message) -> None:
        self.setdefault(field, []).append(str(message))


def clean_id_number(raw: str, errors: FieldErrors, *, today: dt.date):
    """Return the parsed number, or None after recording why it is wrong."""
    try:
        return idnumber.parse_id_number(raw, today=today)
    except idnumber.IdNumberError as exc:
        errors.add("id_number", id_number_message(exc))
        return None


def clean_phone(raw: str, errors: FieldErrors) -> str | None:
    value = normalise_phone(raw)
    if not is_valid_phone(value):
        errors.add("phone", _(
            "Enter a mobile number of 11 digits starting with 1, or a landline with its area "
            "code, such as 0531-86001234."
        ))
        return None
    return value


def clean_name(raw: str, errors: FieldErrors) -> str:
    value = " ".join(raw.split())
    if not value:
        errors.add("name", _("Enter the resident's name."))
    elif len(value) > 64:
        errors.add("name", _("A name can have at most 64 characters."))
    return value
