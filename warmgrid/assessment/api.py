"""The fair assessment over the JSON API: the same figures as the page, in the same scope
(a grid worker or department handler gets their own row only; others get 404)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from warmgrid.api.errors import READ_ERRORS, Id
from warmgrid.assessment import queries
from warmgrid.assessment.wording import reason_text
from warmgrid.errors import ValidationFailed
from warmgrid.lib import assessment as method

router = Router(tags=["assessment"])


class AssessmentQuery(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    by: Literal["worker", "unit"] = "worker"
    area_id: Id | None = None


class FigureOut(Schema):
    numerator: int
    denominator: int
    rate: float | None
    weighted_numerator: float
    weighted_denominator: float
    weighted: float | None
    shrunk: float | None
    prior_weight: float | None


class ReasonOut(Schema):
    code: str
    direction: str
    numbers: dict[str, float | int | str]
    text: str


class SubjectOut(Schema):
    subject: str
    worker_id: int | None
    name: str
    cases: int
    excluded: int
    complaints: int
    mean_difficulty: float | None
    fair_score: float | None
    ranked: bool
    naive_rank: int
    fair_rank: int | None
    moved: int | None
    figures: dict[str, FigureOut]
    reasons: list[ReasonOut]


class PoolOut(Schema):
    subjects: int
    cases: int
    excluded: int
    mean_difficulty: float | None
    median_cases: float | None
    figures: dict[str, FigureOut]
    prior_strength: dict[str, float]


class AssessmentOut(Schema):
    window: dict[str, str]
    by: str
    self_only: bool
    choices: dict
    pool: PoolOut
    subjects: list[SubjectOut]


def _figures(figures: dict[str, method.Figure]) -> dict:
    return {key: {"numerator": f.numerator, "denominator": f.denominator, "rate": f.rate,
                  "weighted_numerator": f.weighted_numerator,
                  "weighted_denominator": f.weighted_denominator, "weighted": f.weighted,
                  "shrunk": f.shrunk, "prior_weight": f.prior_weight}
            for key, f in figures.items()}


@router.get("/assessment", operation_id="getAssessment",
            summary="Fair assessment: rates, fair score, and the zero-complaints ranking",
            response={200: AssessmentOut, **READ_ERRORS})
def get_assessment(request, filters: Query[AssessmentQuery]):
    """Cases closed from `start` to `end` (both days included, Asia/Shanghai; default:
    the month of the latest closing), by worker or by unit, in the caller's scope. Every
    figure carries its numerator and denominator; `choices` states the method's settings
    and `reasons` say why each subject moved between the two rankings."""
    scope = queries.access_scope_for_user(request.user, filters.area_id)
    if bool(filters.start) != bool(filters.end):
        raise ValidationFailed(fields={"end": [_("Give both the first and the last day.")]})
    if filters.start:
        try:
            window = queries.window_between(filters.start, filters.end)
        except ValueError:
            raise ValidationFailed(fields={"end": [_(
                "Choose days between 2000 and 2099, the last on or after the first, at most a "
                "year later.")]}) from None
    else:
        window = queries.latest_month(scope)
    result = queries.assessment_for(request.user, start=window.start, end=window.end,
                                    by=filters.by, scope=scope)
    pool = result.assessment.pool
    return {
        "window": window.stated(), "by": result.by, "self_only": result.self_only,
        "choices": result.assessment.choices,
        "pool": {"subjects": pool.subjects, "cases": pool.cases, "excluded": pool.excluded,
                 "mean_difficulty": pool.mean_difficulty, "median_cases": pool.median_cases,
                 "figures": _figures(pool.figures), "prior_strength": pool.prior_strength},
        "subjects": [{
            "subject": str(s.subject),
            "worker_id": s.subject if result.by == queries.BY_WORKER else None,
            "name": result.names.get(s.subject, ""), "cases": s.cases,
            "excluded": s.excluded, "complaints": s.complaints,
            "mean_difficulty": s.mean_difficulty, "fair_score": s.fair_score,
            "ranked": s.ranked, "naive_rank": s.naive_rank, "fair_rank": s.fair_rank,
            "moved": s.moved, "figures": _figures(s.figures),
            "reasons": [{"code": r.code, "direction": r.direction, "numbers": dict(r.numbers),
                         "text": reason_text(r)} for r in s.reasons],
        } for s in result.subjects],
    }
