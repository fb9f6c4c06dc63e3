from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from warmgrid.api.errors import Id, Text
from warmgrid.people.schemas import StrictIn


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    parent: str | None = Field(None, alias="parent.code")
    priority: int
    response_hours: int
    resolve_days: int
    needs_check: bool


class CaseIn(StrictIn):
    description: Text(2000, min_length=1)
    category: Text(40) | None = None
    household_id: Id | None = None
    building_id: Id | None = None
    area_id: Id | None = None
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    address: Text(200) = ""
    anonymous: bool = False
    channel: Literal["resident", "grid_worker", "phone", "hotline_12345", "api"] | None = None
    external_id: Text(64) = ""


class CaseOut(Schema):
    id: int
    description: str
    state: str
    category: str | None = Field(None, alias="category.code")
    suggested_category: str | None = Field(None, alias="suggested_category.code")
    suggestion_confidence: float | None
    urgent_reasons: list[dict]
    priority: int
    grid_id: int | None
    building_id: int | None
    household_id: int | None
    latitude: Decimal | None
    longitude: Decimal | None
    address: str
    channel: str
    external_id: str
    anonymous: bool
    lead_department: str | None = Field(None, alias="lead_department.name")
    assignee: str | None = Field(None, alias="assignee.username")
    routing_note: str
    # Why the assignee was chosen: {"user", "on_duty", "load", "considered", …}; {} if nobody.
    assignment_reason: dict
    escalation_level: int
    first_response_due: dt.datetime | None
    resolve_due: dt.datetime | None
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str
    result: str
    rating: int | None
    created_at: dt.datetime
    allowed_actions: list[str]


class CasePage(Schema):
    items: list[CaseOut]
    count: int


class CaseEventOut(Schema):
    at: dt.datetime
    actor: str | None = Field(None, alias="actor.username")
    action: str
    from_state: str
    to_state: str
    note: str


class DispatchIn(StrictIn):
    category: Text(40, min_length=1)
    note: Text(2000) = ""


class ReasonIn(StrictIn):
    reason: Text(2000, min_length=1)


class NoteIn(StrictIn):
    note: Text(2000, min_length=1)


class ResolveIn(StrictIn):
    outcome: Literal["fixed", "partly_fixed", "not_fixed", "not_ours", "unreasonable"]
    result: Text(2000, min_length=1)


class RatingIn(StrictIn):
    rating: int = Field(ge=1, le=5)
    comment: Text(500) = ""


class SimilarOut(Schema):
    case: CaseOut
    score: float


class MergeIn(StrictIn):
    into: Id


class SplitIn(StrictIn):
    description: Text(2000, min_length=1)
    category: Text(40) | None = None


class TransferIn(StrictIn):
    # The unit to transfer to; null gives the case to the grid's own team.
    department_id: Id | None = None
    reason: Text(2000, min_length=1)


class UnitsIn(StrictIn):
    """The case's assisting (协办) and copied (抄送) units: these lists replace the current."""

    assisting: list[Id] = Field(default_factory=list, max_length=50)
    copied: list[Id] = Field(default_factory=list, max_length=50)


class CaseUnitOut(Schema):
    department_id: int
    department: str = Field(alias="department.name")
    role: Literal["assist", "copy"]
    added_at: dt.datetime


class QueueItemOut(Schema):
    case: CaseOut
    role: Literal["lead", "assist", "copy"]


class QueuePage(Schema):
    items: list[QueueItemOut]
    count: int
