"""Row problems in words: the lib and the importer give reason codes with parameters,
people read them here in Chinese or English."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    # The importer's own.
    "building_unknown": _("No building of this name, code or number in your area."),
    "building_ambiguous": _("Several buildings in your area have this name: use the "
                            "building's code."),
    "outside_area": _("This address is outside your area."),
    "registered_elsewhere": _("A resident with this ID number (%(masked)s) is registered "
                              "outside your area."),
    "registry_refused": _("The registry refused this row: %(message)s"),
    # Reading (warmgrid/lib/ledgers/reading.py).
    "number_precision_lost": _("A number of more than 15 digits: Excel kept only the first "
                               "15. Format the column as text and type it again."),
    "cell_without_header": _("A value in column %(column)s, which has no header."),
    "file_type": _("This is not a spreadsheet or a CSV file."),
    "file_unreadable": _("This spreadsheet cannot be opened; save it again as .xlsx."),
    "encoding": _("The file is neither UTF-8 nor GBK/GB18030 text (byte %(byte)s at "
                  "%(offset)s); save it again as UTF-8 or GBK."),
    "no_table": _("No sheet of this file holds a table with headers."),
    # Checking (warmgrid/lib/ledgers/validation.py).
    "name_length": _("A name has %(min)s to %(max)s characters."),
    "name_characters": _("A name has Chinese characters (and · in minority names) or Latin "
                         "letters only."),
    "id_length": _("An ID number has 18 characters."),
    "id_characters": _("An ID number is 17 digits and a digit or X."),
    "id_region": _("The first six digits are no region code."),
    "id_birth_date": _("Digits 7 to 14 are no birth date between 1900 and today."),
    "id_checksum": _("The check character is wrong: a typing error."),
    "id_birth_mismatch": _("The birth date is not the one in the ID number."),
    "id_gender_mismatch": _("The gender is not the one in the ID number."),
    "id_precision_lost": _("Excel stored this ID number as a number and cut it: format the "
                           "column as text and type it again."),
    "id_15_digits": _("An old 15-digit ID number: give the 18-digit one."),
    "date_format": _("Write dates as 1950-03-08, 1950/3/8 or 1950年3月8日."),
    "date_range": _("A date between %(earliest)s and %(latest)s."),
    "gender_value": _("Write 男 or 女."),
    "phone_format": _("A mobile number of 11 digits, or a landline with its area code "
                      "(0531-88888888)."),
    "unit_format": _("A unit such as 2 or 2单元 (at most %(max)s characters)."),
    "room_format": _("A room such as 301 or 301室 (at most %(max)s characters)."),
    "relation_value": _("Write the relation as 户主, 配偶, 子女, 父母, 孙子女, 兄弟姐妹 or 其他."),
    "residence_status_value": _("Write 户籍, 常住 or 流动."),
    "period_reversed": _("The period ends before it starts."),
    "text_too_long": _("At most %(max)s characters."),
}
MISSING = _("This row has no %(field)s, which the registry needs.")
UNKNOWN = _("This value cannot be used (%(code)s).")


def issue_message(code: str, params: dict | None = None) -> str:
    from warmgrid.ledgers.forms import FIELD_LABELS

    template = MESSAGES.get(code)
    values = dict(params or {})
    if template is None and code.endswith("_missing"):
        field = code.removesuffix("_missing")
        return str(MISSING) % {"field": FIELD_LABELS.get(field, field)}
    if template is None:
        return str(UNKNOWN) % {"code": code}
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return str(template)
