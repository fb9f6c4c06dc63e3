"""The registry over JSON: households, residents, revealing a field, vulnerable-group tags.

Each handler parses, fetches through a scoped query (404 outside the user's scope), calls
an action for any write, and answers. Permission to change or reveal is the actions' to
decide (403); validation of what is written is theirs too (422, 409).
"""


from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status

from warmgrid.accounts.http import client_ip
from warmgrid.api.errors import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    PageQuery,
    Text,
    page_of,
)
from warmgrid.errors import ValidationFailed
from warmgrid.people.actions import (
    HouseholdInput,
    ResidentInput,
    do_create_household,
    do_create_resident,
    do_end_tag,
    do_record_registry_read,
    do_reveal_field,
    do_tag_resident,
    do_update_household,
    do_update_resident,
)
from warmgrid.people.queries import (
    access_household_for_user,
    access_membership_of_resident,
    access_resident_for_user,
    all_tags,
    households_visible_to,
    residents_visible_to,
    search_households,
    search_residents,
    tag_history_of,
)
from warmgrid.people.schemas import (
    HouseholdCreateIn,
    HouseholdOut,
    HouseholdPage,
    HouseholdPatchIn,
    ResidentCreateIn,
    ResidentOut,
    ResidentPage,
    ResidentPatchIn,
    RevealIn,
    RevealOut,
    TagEndIn,
    TagPeriodIn,
    TagPeriodList,
    TagPeriodOut,
)
from warmgrid.places.queries import access_building_for_user

router = Router()

SEARCH = Text(100)
def _audit_read(request, obj, object_type: str) -> None:
    do_record_registry_read(actor=request.user, objects=[obj], object_type=object_type,
                            ip_address=client_ip(request))


def _audit_list(request, items, object_type: str, *, q: str | None, **filters) -> None:
    do_record_registry_read(actor=request.user, objects=items, object_type=object_type,
                            ip_address=client_ip(request), query=q, **filters)


# --- Households ---

@router.get("/households", tags=["households"], operation_id="listHouseholds",
            summary="List households", response={200: HouseholdPage, **LIST_ERRORS})
def list_households(request, page: PageQuery, q: SEARCH | None = None,
                    grid: Id | None = None, building: Id | None = None):
    """Households in your scope, by building, unit and room; `q` finds a building and room
    ("3号楼2单元301", "3-301"), a room or a householder's name."""
    # limit=None: every match, so that the page and the total count are ours to take.
    households = (search_households(request.user, q, limit=None) if q and q.strip()
                  else households_visible_to(request.user))
    if grid is not None:
        households = households.filter(grid_id=grid)
    if building is not None:
        households = households.filter(building_id=building)
    items, count = page_of(households, page)
    _audit_list(request, items, "household", q=q, grid=grid, building=building)
    return {"items": items, "count": count}


@router.post("/households", tags=["households"], operation_id="createHousehold",
             summary="Register a household", response={201: HouseholdOut, **WRITE_ERRORS})
def create_household(request, data: HouseholdCreateIn):
    building = access_building_for_user(request.user, data.building_id)
    household = do_create_household(
        actor=request.user, building=building,
        data=HouseholdInput(unit=data.unit, room=data.room), ip_address=client_ip(request),
    )
    return Status(201, household)


@router.get("/households/{household_id}", tags=["households"], operation_id="getHousehold",
            summary="One household", response={200: HouseholdOut, **READ_ERRORS})
def get_household(request, household_id: Id):
    household = access_household_for_user(request.user, household_id)
    _audit_read(request, household, "household")
    return household


@router.patch("/households/{household_id}", tags=["households"],
              operation_id="updateHousehold", summary="Correct a household",
              response={200: HouseholdOut, **WRITE_ERRORS})
def update_household(request, household_id: Id, data: HouseholdPatchIn):
    """Only the fields sent change. Moving a household to a building of another grid moves
    its residents with it."""
    household = access_household_for_user(request.user, household_id)
    building = (access_building_for_user(request.user, data.building_id)
                if data.building_id is not None else None)
    householder = (access_resident_for_user(request.user, data.householder_id)
                   if data.householder_id is not None else None)
    return do_update_household(
        actor=request.user, household=household,
        data=HouseholdInput(unit=data.unit, room=data.room),
        building=building, householder=householder, ip_address=client_ip(request),
    )


# --- Residents ---

def _resident_input(data) -> ResidentInput:
    return ResidentInput(**data.model_dump(exclude={"household_id"}))


@router.get("/residents", tags=["residents"], operation_id="listResidents",
            summary="List or search residents", response={200: ResidentPage, **LIST_ERRORS})
def list_residents(request, page: PageQuery, q: SEARCH | None = None,
                   household: Id | None = None, grid: Id | None = None):
    """Residents in your scope. `q` searches by name, pinyin or initials, building and
    room, the last four characters of the ID number, a whole ID number or a mobile number."""
    # limit=None: every match, so that the page and the total count are ours to take.
    residents = (search_residents(request.user, q, limit=None) if q and q.strip()
                 else residents_visible_to(request.user))
    if household is not None:
        residents = residents.filter(household_id=household)
    if grid is not None:
        residents = residents.filter(grid_id=grid)
    items, count = page_of(residents, page)
    _audit_list(request, items, "resident", q=q, household=household, grid=grid)
    return {"items": items, "count": count}


@router.post("/residents", tags=["residents"], operation_id="createResident",
             summary="Register a resident", response={201: ResidentOut, **WRITE_ERRORS})
def create_resident(request, data: ResidentCreateIn):
    """Birth date and gender may be left out when an ID number is given: they are read
    from it, and must agree with it when sent."""
    household = access_household_for_user(request.user, data.household_id)
    resident = do_create_resident(actor=request.user, household=household,
                                  data=_resident_input(data), ip_address=client_ip(request))
    return Status(201, resident)


@router.get("/residents/{resident_id}", tags=["residents"], operation_id="getResident",
            summary="One resident", response={200: ResidentOut, **READ_ERRORS})
def get_resident(request, resident_id: Id):
    resident = access_resident_for_user(request.user, resident_id)
    _audit_read(request, resident, "resident")
    return resident


@router.patch("/residents/{resident_id}", tags=["residents"], operation_id="updateResident",
              summary="Correct a resident", response={200: ResidentOut, **WRITE_ERRORS})
def update_resident(request, resident_id: Id, data: ResidentPatchIn):
    """Only the fields sent change; `"phone": ""` removes the phone number. With an ID
    number on file, birth date and gender are the number's: send a corrected ID number,
    not a `birth_date` (refused alone, even when it is right)."""
    resident = access_resident_for_user(request.user, resident_id)
    return do_update_resident(actor=request.user, resident=resident,
                              data=_resident_input(data), ip_address=client_ip(request))


@router.post("/residents/{resident_id}/reveal", tags=["residents"],
             operation_id="revealResidentField", summary="See an ID number or phone in full",
             response={200: RevealOut, **WRITE_ERRORS})
def reveal_field(request, resident_id: Id, data: RevealIn, response: HttpResponse):
    """For roles that may, with a reason that goes to the audit trail with who and when.
    Revealing the ID number also answers the birth date, which is part of it and shown
    nowhere else (other outputs carry `birth_year` and `age`)."""
    response["Cache-Control"] = "no-store"
    resident = access_resident_for_user(request.user, resident_id)
    value = do_reveal_field(actor=request.user, resident=resident, field_name=data.field,
                            reason=data.reason, ip_address=client_ip(request))
    birth_date = resident.birth_date if data.field == "id_number" else None
    return {"field": data.field, "value": value, "birth_date": birth_date}


# --- Vulnerable-group tags ---

@router.get("/residents/{resident_id}/tags", tags=["residents"],
            operation_id="listResidentTags", summary="A resident's vulnerable groups",
            response={200: TagPeriodList, **READ_ERRORS})
def list_resident_tags(request, resident_id: Id):
    """Every membership period, newest first; `active` says whether it holds today."""
    resident = access_resident_for_user(request.user, resident_id)
    periods = list(tag_history_of(resident))
    return {"items": periods, "count": len(periods)}


@router.post("/residents/{resident_id}/tags", tags=["residents"],
             operation_id="tagResident", summary="Put a resident in a vulnerable group",
             response={201: TagPeriodOut, **WRITE_ERRORS})
def tag_resident(request, resident_id: Id, data: TagPeriodIn):
    resident = access_resident_for_user(request.user, resident_id)
    tag = all_tags().filter(code=data.tag).first()
    if tag is None:
        raise ValidationFailed(fields={"tag": [_("Choose a group from the list.")]})
    membership = do_tag_resident(
        actor=request.user, resident=resident, tag=tag, source=data.source,
        valid_from=data.valid_from, valid_until=data.valid_until,
        legal_basis=data.legal_basis, ip_address=client_ip(request),
    )
    return Status(201, membership)


@router.patch("/residents/{resident_id}/tags/{membership_id}", tags=["residents"],
              operation_id="endResidentTag", summary="End a vulnerable-group period",
              response={200: TagPeriodOut, **WRITE_ERRORS})
def end_resident_tag(request, resident_id: Id, membership_id: Id, data: TagEndIn):
    resident = access_resident_for_user(request.user, resident_id)
    membership = access_membership_of_resident(resident, membership_id)
    return do_end_tag(actor=request.user, membership=membership,
                      valid_until=data.valid_until, ip_address=client_ip(request))

