"""ninja Schemas for households and residents: input and output kept apart.

Output shows identifiers masked only (`id_number_masked`, `phone_masked`) and the birth
year and age, not the birth date, which is part of the ID number; the whole value (and,
for an ID number, the birth date) appears in the reveal response alone. Input is parsed
here (types, lengths, choices) and validated by the actions (ID number rules, phone,
derived birth date and gender).
"""

import datetime as dt
from typing import Literal

from django.utils import timezone
from ninja import Field, Schema

from warmgrid.api.errors import Id, Text
from warmgrid.lib.masking import age_on
from warmgrid.people.models import LegalBasis, Resident

Gender = Literal[tuple(Resident.Gender.values)]
Relation = Literal[tuple(Resident.Relation.values)]
ResidenceStatus = Literal[tuple(Resident.ResidenceStatus.values)]
Basis = Literal[tuple(LegalBasis.values)]
RevealableField = Literal["id_number", "phone"]


class StrictIn(Schema):
    """Unknown fields are an error, so a misspelt field is not silently ignored."""

    model_config = {"extra": "forbid"}


# --- Households ---

class HouseholdOut(Schema):
    id: int
    building_id: int
    building_name: str
    grid_id: int
    unit: str
    room: str
    householder_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_building_name(obj) -> str:
        return obj.building.name


class HouseholdCreateIn(StrictIn):
    building_id: Id
    unit: Text(32)
    room: Text(32)


class HouseholdPatchIn(StrictIn):
    building_id: Id | None = None
    unit: Text(32) | None = None
    room: Text(32) | None = None
    householder_id: Id | None = None


class HouseholdPage(Schema):
    items: list[HouseholdOut]
    count: int


# --- Residents ---

class ResidentOut(Schema):
    """A resident as anyone in scope may see them.

    No `birth_date`: it is digits 7-14 of the ID number, and with the last four in
    `id_number_masked` it would give the whole number away without an audited reveal.
    `birth_year` and `age` (in whole years, on today's date in Asia/Shanghai) are what
    grid work needs; the date comes with the ID number from `revealResidentField`.
    `id_number` is the number as the reader may see it here: masked, its last four only
    (the same as `id_number_masked`, kept for clients that read that name); the whole
    number only ever comes from `revealResidentField`, with a reason, audited.
    """

    id: int
    household_id: int
    grid_id: int
    name: str
    gender: str
    birth_year: int
    age: int
    relation: str
    residence_status: str
    ethnicity: str
    occupation: str
    id_number: str = Field(description="Masked, the last four digits only (as "
                                        "id_number_masked); whole only from "
                                        "revealResidentField.")
    id_number_masked: str
    phone_masked: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_id_number(obj) -> str:
        return obj.id_number_masked

    @staticmethod
    def resolve_birth_year(obj) -> int:
        return obj.birth_date.year

    @staticmethod
    def resolve_age(obj) -> int:
        return age_on(obj.birth_date, timezone.localdate())


class ResidentFieldsIn(StrictIn):
    """The fields of `warmgrid.people.actions.ResidentInput`; None means "not given".

    With an ID number on file, `birth_date` may only come with a new ID number: sent
    alone it is refused, even when right, so that it cannot be used to test a guess."""

    name: Text(200) | None = None
    gender: Gender | None = None
    birth_date: dt.date | None = None
    id_number: Text(32) | None = None
    # "" on a correction removes the phone number.
    phone: Text(32) | None = None
    relation: Relation | None = None
    residence_status: ResidenceStatus | None = None
    ethnicity: Text(16) | None = None
    occupation: Text(64) | None = None
    id_number_basis: Basis | None = None
    phone_basis: Basis | None = None
    basis_note: Text(200) | None = None


class ResidentCreateIn(ResidentFieldsIn):
    household_id: Id
    name: Text(200)


class ResidentPatchIn(ResidentFieldsIn):
    pass


class ResidentPage(Schema):
    items: list[ResidentOut]
    count: int


class RevealIn(StrictIn):
    field: RevealableField
    reason: Text(500)


class RevealOut(Schema):
    """The whole value; for an ID number also the birth date it contains (else null)."""

    field: str
    value: str
    birth_date: dt.date | None = None


# --- Vulnerable-group tags ---

class TagOut(Schema):
    code: str
    name: str
    name_en: str
    is_sensitive: bool


class TagPeriodOut(Schema):
    id: int
    tag: TagOut
    source: str
    valid_from: dt.date
    valid_until: dt.date | None
    legal_basis: str
    active: bool

    @staticmethod
    def resolve_active(obj) -> bool:
        today = timezone.localdate()
        return obj.valid_from <= today and (obj.valid_until is None or obj.valid_until >= today)


class TagPeriodIn(StrictIn):
    tag: Text(32, min_length=1)
    source: Text(100)
    valid_from: dt.date
    valid_until: dt.date | None = None
    legal_basis: Basis


class TagEndIn(StrictIn):
    valid_until: dt.date


class TagPeriodList(Schema):
    items: list[TagPeriodOut]
    count: int
