"""Cases over the JSON API: parse, access, action, respond."""


from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Header, Router, Status

from warmgrid.accounts.http import client_ip
from warmgrid.accounts.models import Role
from warmgrid.accounts.scopes import roles_of
from warmgrid.api.errors import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Id, PageQuery, Text, page_of
from warmgrid.cases import actions, queries
from warmgrid.cases.models import Case
from warmgrid.cases.schemas import (
    CaseEventOut,
    CaseIn,
    CaseOut,
    CasePage,
    CaseUnitOut,
    CategoryOut,
    DispatchIn,
    MergeIn,
    NoteIn,
    QueuePage,
    RatingIn,
    ReasonIn,
    ResolveIn,
    SimilarOut,
    SplitIn,
    TransferIn,
    UnitsIn,
)
from warmgrid.errors import NotFound, ValidationFailed
from warmgrid.lib import casestates
from warmgrid.people.queries import access_household_for_user
from warmgrid.places.queries import access_area_for_user, access_building_for_user

router = Router(tags=["cases"])
IdempotencyKey = Annotated[Text(128) | None, Header(alias="Idempotency-Key")]


def _out(case: Case) -> Case:
    case.allowed_actions = casestates.allowed_actions(case.state)
    return case


def _default_channel(user) -> str:
    roles = roles_of(user)
    if roles & {Role.GRID_WORKER, Role.GRID_LEADER, Role.VOLUNTEER}:
        return Case.Channel.GRID_WORKER
    if Role.RESIDENT in roles and len(roles) == 1:
        return Case.Channel.RESIDENT
    return Case.Channel.API


@router.get("/case-categories", operation_id="listCaseCategories",
            summary="Event categories", response={200: list[CategoryOut], **LIST_ERRORS})
def list_categories(request):
    return list(queries.categories_in_use())


@router.get("/cases", operation_id="listCases", summary="Cases in your scope",
            response={200: CasePage, **LIST_ERRORS})
def list_cases(request, page: PageQuery, state: Text(20) | None = None,
               category: Text(40) | None = None):
    cases = queries.cases_visible_to(request.user)
    if state:
        cases = cases.filter(state=state)
    if category:
        cases = cases.filter(category__code=category)
    items, count = page_of(cases.order_by("-created_at", "-id"), page)
    return {"items": [_out(c) for c in items], "count": count}


@router.post("/cases", operation_id="reportCase", summary="Report an event",
             response={201: CaseOut, 200: CaseOut, **WRITE_ERRORS})
def report_case(request, data: CaseIn, idempotency_key: IdempotencyKey = None):
    """A re-sent form with the same Idempotency-Key makes one case: the same key and body
    answer the first case again (200); the same key with another body is a 422."""
    payload = data.model_dump(mode="json")
    record = actions.replay_or_none(actor=request.user, key=idempotency_key or "",
                                    scope="cases.report", payload=payload)
    if record is not None:
        return Status(200, _out(queries.access_case_for_user(request.user,
                                                             record.response["id"])))
    category = None
    if data.category:
        category = queries.category_by_code(data.category)
        if category is None:
            raise ValidationFailed(fields={"category": [_("No such category.")]})
    place = actions.CaseInput(
        description=data.description, category=category,
        household=(access_household_for_user(request.user, data.household_id)
                   if data.household_id else None),
        building=(access_building_for_user(request.user, data.building_id)
                  if data.building_id else None),
        area=access_area_for_user(request.user, data.area_id) if data.area_id else None,
        latitude=data.latitude, longitude=data.longitude, address=data.address,
        anonymous=data.anonymous, external_id=data.external_id,
    )
    case = actions.do_report_case(
        actor=request.user, data=place, channel=data.channel or _default_channel(request.user),
        ip_address=client_ip(request), idempotency_key=idempotency_key or "", payload=payload)
    return Status(201, _out(case))


@router.get("/cases/{case_id}", operation_id="getCase", summary="One case",
            response={200: CaseOut, **READ_ERRORS})
def get_case(request, case_id: Id):
    return _out(queries.access_case_for_user(request.user, case_id))


@router.get("/cases/{case_id}/history", operation_id="getCaseHistory",
            summary="The case's append-only history", response={200: list[CaseEventOut],
                                                                **READ_ERRORS})
def case_history(request, case_id: Id):
    return list(queries.case_history(queries.access_case_for_user(request.user, case_id)))


@router.post("/cases/{case_id}/dispatch", operation_id="dispatchCase",
             summary="Decide the category and route the case", response={200: CaseOut,
                                                                         **WRITE_ERRORS})
def dispatch_case(request, case_id: Id, data: DispatchIn):
    case = queries.access_case_for_user(request.user, case_id)
    category = queries.category_by_code(data.category)
    if category is None:
        raise ValidationFailed(fields={"category": [_("No such category.")]})
    return _out(actions.do_triage_dispatch(actor=request.user, case=case, category=category,
                                           note=data.note, ip_address=client_ip(request)))


@router.post("/cases/{case_id}/accept", operation_id="acceptCase", summary="Claim the case",
             response={200: CaseOut, **WRITE_ERRORS})
def accept_case(request, case_id: Id):
    case = queries.access_case_for_user(request.user, case_id)
    return _out(actions.do_accept_case(actor=request.user, case=case,
                                       ip_address=client_ip(request)))


@router.post("/cases/{case_id}/return", operation_id="returnCase",
             summary="Not ours: back to triage", response={200: CaseOut, **WRITE_ERRORS})
def return_case(request, case_id: Id, data: ReasonIn):
    case = queries.access_case_for_user(request.user, case_id)
    return _out(actions.do_return_case(actor=request.user, case=case, reason=data.reason,
                                       ip_address=client_ip(request)))


@router.post("/cases/{case_id}/wait", operation_id="waitForResident",
             summary="Pause the clock while waiting for the resident",
             response={200: CaseOut, **WRITE_ERRORS})
def wait_case(request, case_id: Id, data: NoteIn):
    case = queries.access_case_for_user(request.user, case_id)
    return _out(actions.do_wait_for_resident(actor=request.user, case=case, note=data.note,
                                             ip_address=client_ip(request)))


@router.post("/cases/{case_id}/resume", operation_id="resumeCase", summary="Resume handling",
             response={200: CaseOut, **WRITE_ERRORS})
def resume_case(request, case_id: Id):
    case = queries.access_case_for_user(request.user, case_id)
    return _out(actions.do_resume_case(actor=request.user, case=case,
                                       ip_address=client_ip(request)))


@router.post("/cases/{case_id}/notes", operation_id="addCaseNote", summary="Add a note",
             response={201: CaseEventOut, **WRITE_ERRORS})
def add_note(request, case_id: Id, data: NoteIn):
    case = queries.access_case_for_user(request.user, case_id)
    return Status(201, actions.do_add_note(actor=request.user, case=case, note=data.note))


@router.post("/cases/{case_id}/resolve", operation_id="resolveCase",
             summary="Record the result and outcome", response={200: CaseOut, **WRITE_ERRORS})
def resolve_case(request, case_id: Id, data: ResolveIn):
    case = queries.access_case_for_user(request.user, case_id)
    return _out(actions.do_resolve_case(actor=request.user, case=case, outcome=data.outcome,
                                        result=data.result, ip_address=client_ip(request)))


@router.post("/cases/{case_id}/close", operation_id="closeCase",
             summary="Close (or pass the check of) a resolved case",
             response={200: CaseOut, **WRITE_ERRORS})
def close_case(request, case_id: Id):
    case = queries.access_case_for_user(request.user, case_id)
    return _out(actions.do_close_case(actor=request.user, case=case,
                                      ip_address=client_ip(request)))


@router.post("/cases/{case_id}/reject", operation_id="rejectResolution",
             summary="The check failed: back to handling", response={200: CaseOut,
                                                                     **WRITE_ERRORS})
def reject_case(request, case_id: Id, data: ReasonIn):
    case = queries.access_case_for_user(request.user, case_id)
    return _out(actions.do_reject_resolution(actor=request.user, case=case,
                                             reason=data.reason, ip_address=client_ip(request)))


@router.post("/cases/{case_id}/rating", operation_id="rateCase",
             summary="The reporter rates the handling", response={200: CaseOut,
                                                                  **WRITE_ERRORS})
def rate_case(request, case_id: Id, data: RatingIn):
    case = queries.access_case_for_user(request.user, case_id)
    return _out(actions.do_rate_case(actor=request.user, case=case, rating=data.rating,
                                     comment=data.comment, ip_address=client_ip(request)))





@router.get("/cases/similar", operation_id="similarCases",
            summary="Open cases like this one nearby (before reporting it again)",
            response={200: list[SimilarOut], **READ_ERRORS})
def similar_cases(request, text: Text(2000, min_length=1), building_id: Id | None = None,
                  grid_id: Id | None = None):
    if building_id is not None:
        access_building_for_user(request.user, building_id)
    if grid_id is not None:
        access_area_for_user(request.user, grid_id)
    found = queries.similar_open_cases(request.user, text, building_id=building_id,
                                       grid_id=grid_id)
    return [{"case": _out(case), "score": score} for case, score in found]


@router.post("/cases/{case_id}/me-too", operation_id="joinCase",
             summary="Me too: follow this case instead of reporting it again",
             response={200: CaseOut, **WRITE_ERRORS})
def join_case(request, case_id: Id):
    case = queries.access_case_for_user(request.user, case_id)
    return _out(actions.do_join_case(actor=request.user, case=case,
                                     ip_address=client_ip(request)))


@router.post("/cases/{case_id}/merge", operation_id="mergeCase",
             summary="Merge this duplicate into another case", response={200: CaseOut,
                                                                         **WRITE_ERRORS})
def merge_case(request, case_id: Id, data: MergeIn):
    duplicate = queries.access_case_for_user(request.user, case_id)
    into = queries.access_case_for_user(request.user, data.into)
    return _out(actions.do_merge_cases(actor=request.user, duplicate=duplicate, into=into,
                                       ip_address=client_ip(request)))


@router.post("/cases/{case_id}/split", operation_id="splitCase",
             summary="Split a second matter off into a case of its own",
             response={201: CaseOut, **WRITE_ERRORS})
def split_case(request, case_id: Id, data: SplitIn):
    case = queries.access_case_for_user(request.user, case_id)
    category = None
    if data.category:
        category = queries.category_by_code(data.category)
        if category is None:
            raise ValidationFailed(fields={"category": [_("No such category.")]})
    return Status(201, _out(actions.do_split_case(
        actor=request.user, case=case, description=data.description, category=category,
        ip_address=client_ip(request))))


# --- dispatch: transfer (转办), assisting and copied units, escalation, unit queues ---

@router.post("/cases/{case_id}/transfer", operation_id="transferCase",
             summary="Transfer to another unit (转办), with a reason; counted as a misroute",
             response={200: CaseOut, **WRITE_ERRORS})
def transfer_case(request, case_id: Id, data: TransferIn):
    case = queries.access_case_for_user(request.user, case_id)
    department = (queries.departments_by_ids([data.department_id])[0]
                  if data.department_id is not None else None)
    return _out(actions.do_transfer_case(actor=request.user, case=case, department=department,
                                         reason=data.reason, ip_address=client_ip(request)))


@router.get("/cases/{case_id}/units", operation_id="getCaseUnits",
            summary="The case's assisting (协办) and copied (抄送) units",
            response={200: list[CaseUnitOut], **READ_ERRORS})
def case_units(request, case_id: Id):
    return queries.units_of_case(queries.access_case_for_user(request.user, case_id))


@router.post("/cases/{case_id}/units", operation_id="setCaseUnits",
             summary="Name the assisting and copied units (replaces the lists)",
             response={200: list[CaseUnitOut], **WRITE_ERRORS})
def set_case_units(request, case_id: Id, data: UnitsIn):
    case = queries.access_case_for_user(request.user, case_id)
    return actions.do_set_case_units(
        actor=request.user, case=case, assist=queries.departments_by_ids(data.assisting),
        copy=queries.departments_by_ids(data.copied), ip_address=client_ip(request))


@router.post("/cases/{case_id}/escalate", operation_id="escalateCase",
             summary="Ask the level above to coordinate (one step up the ladder)",
             response={200: CaseOut, **WRITE_ERRORS})
def escalate_case(request, case_id: Id, data: ReasonIn):
    case = queries.access_case_for_user(request.user, case_id)
    return _out(actions.do_escalate_case(actor=request.user, case=case, reason=data.reason,
                                         ip_address=client_ip(request)))


@router.get("/case-queue", operation_id="listUnitQueue",
            summary="Open cases of your units (lead, assisting, copied), unassigned first",
            response={200: QueuePage, **LIST_ERRORS})
def unit_queue(request, page: PageQuery, department: Id | None = None,
               area: Id | None = None):
    """All your units, or one: `department=<id>` or `area=<id>` (404 if it is not yours)."""
    units = queries.queue_units_for(request.user)
    if department is not None or area is not None:
        kind, pk = ("department", department) if department is not None else ("area", area)
        units = [u for u in units if u.kind == kind and u.pk == pk]
        if not units:
            raise NotFound(_("You work in no such unit."))
    items, count = page_of(queries.queue_for(request.user, units), page)
    roles = queries.queue_roles(items, units)
    return {"items": [{"case": _out(c), "role": roles.get(c.pk, "lead")} for c in items],
            "count": count}
