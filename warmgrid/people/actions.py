"""Every write to households and residents: validated, scoped, atomic and audited."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmgrid.accounts.scopes import audits_reads, may_edit_path, may_reveal
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.errors import Conflict, Forbidden, NotFound, ValidationFailed
from warmgrid.lib import idnumber
from warmgrid.lib.masking import mask_id_number, mask_phone
from warmgrid.lib.pinyin import pinyin_keys
from warmgrid.people.identifiers import (
    id_number_index,
    open_id_number,
    open_phone,
    seal_id_number,
    seal_phone,
)
from warmgrid.people.models import (
    Household,
    LegalBasis,
    Resident,
    ResidentTag,
    SensitiveFieldBasis,
    Tag,
)
from warmgrid.people.validation import (
    FieldErrors,
    clean_id_number,
    clean_name,
    clean_phone,
    id_number_message,
)
from warmgrid.places.models import Building


@dataclass
class ResidentInput:
    """What a person may enter about a resident. None means "not given"."""

    name: str | None = None
    gender: str | None = None
    birth_date: dt.date | None = None
    id_number: str | None = None
    phone: str | None = None
    relation: str | None = None
    residence_status: str | None = None
    ethnicity: str | None = None
    occupation: str | None = None
    id_number_basis: str | None = None
    phone_basis: str | None = None
    basis_note: str | None = None


@dataclass
class HouseholdInput:
    building_id: int | None = None
    unit: str | None = None
    room: str | None = None


def _check_edit(actor, area_path: str) -> None:
    """`actor` None is the operator at the command line (a ledger import run there)."""
    if actor is not None and not may_edit_path(actor, area_path):
        raise Forbidden(_("Your role does not allow changing the registry here."))


def _choice(value, choices, name: str, errors: FieldErrors, message) -> None:
    if value is not None and value not in choices:
        errors.add(name, message)


def _clean_resident(
    data: ResidentInput, *, creating: bool, today: dt.date, bases_on_file: frozenset[str],
    has_id_number: bool = False, current_values: dict | None = None,
) -> tuple[dict, idnumber.IdNumber | None, str | None]:
    """Validate, derive birth date and gender from the ID number, and return clean values."""
    errors = FieldErrors()
    values: dict = {}
    if data.name is not None or creating:
        values["name"] = clean_name(data.name or "", errors)
    _choice(data.gender, Resident.Gender.values, "gender", errors, _("Choose male or female."))
    _choice(data.relation, Resident.Relation.values, "relation", errors,
            _("Choose the relation to the householder from the list."))
    _choice(data.residence_status, Resident.ResidenceStatus.values, "residence_status", errors,
            _("Choose 户籍, 常住 or 流动."))
    for basis_field in ("id_number_basis", "phone_basis"):
        _choice(getattr(data, basis_field), LegalBasis.values, basis_field, errors,
                _("Choose the legal basis from the list."))
    if data.birth_date is not None and not (dt.date(1900, 1, 1) <= data.birth_date <= today):
        errors.add("birth_date", _("The birth date must lie between 1900 and today."))

    parsed = None
    if data.id_number:
        parsed = clean_id_number(data.id_number, errors, today=today)
        if parsed is not None:
            for name, entered in (("birth_date", {"birth_date": data.birth_date}),
                                  ("gender", {"gender": data.gender})):
                try:
                    idnumber.check_agrees(
                        parsed, **{"birth_date": None, "gender": None} | entered)
                except idnumber.IdNumberError as exc:
                    errors.add(name, id_number_message(exc))
            values["birth_date"] = parsed.birth_date
            values["gender"] = parsed.gender
    phone = None
    if data.phone:
        phone = clean_phone(data.phone, errors)

    for name in ("gender", "birth_date", "relation", "residence_status"):
        value = getattr(data, name)
        if value is not None:
            values.setdefault(name, value)
    if creating:
        if "birth_date" not in values:
            errors.add("birth_date", _("Enter the birth date, or an ID number to derive it from."))
        if "gender" not in values:
            errors.add("gender", _("Choose the gender, or enter an ID number to derive it from."))
        if data.relation is None:
            errors.add("relation", _("Choose the relation to the householder."))
        if data.residence_status is None:
            errors.add("residence_status", _("Choose the residence status."))
    # With an ID number on file, birth date and gender are the number's: correct the number.
    # A birth date sent alone is refused even when it is right, so that guessing it (and so
    # digits 7-14 of the ID number) gets no "yes" without an audited reveal.
    if not creating and has_id_number and parsed is None:
        if "birth_date" in values:
            errors.add("birth_date", _("The birth date comes from the ID number; correct the "
                                       "ID number instead."))
        if "gender" in values and values["gender"] != current_values["gender"]:
            errors.add("gender", _("The gender comes from the ID number; correct the ID "
                                   "number instead."))
    # PIPL: a sensitive field is only held on a recorded legal basis.
    if data.id_number and not data.id_number_basis and "id_number" not in bases_on_file:
        errors.add("id_number_basis", _("Say on what legal basis the ID number is held."))
    if data.phone and not data.phone_basis and "phone" not in bases_on_file:
        errors.add("phone_basis", _("Say on what legal basis the phone number is held."))
    if data.ethnicity is not None:
        values["ethnicity"] = data.ethnicity.strip()[:16] or "汉族"
    if data.occupation is not None:
        values["occupation"] = data.occupation.strip()[:64]
    if errors:
        raise ValidationFailed(fields=errors)
    return values, parsed, phone


def _record_bases(resident: Resident, data: ResidentInput) -> None:
    for fname, basis in (("id_number", data.id_number_basis), ("phone", data.phone_basis)):
        if basis:
            SensitiveFieldBasis.objects.update_or_create(
                resident=resident, field=fname,
                defaults={"basis": basis, "note": (data.basis_note or "")[:200]},
            )


def _apply_sensitive(resident: Resident, parsed, phone: str | None) -> dict:
    changes = {}
    if parsed is not None:
        sealed = seal_id_number(parsed.value)
        if sealed.index != resident.id_number_index:
            changes["id_number"] = [resident.id_number_masked, sealed.masked]
        resident.id_number_cipher = sealed.cipher
        resident.id_number_index = sealed.index
        resident.id_last4_index = sealed.last4_index
        resident.id_number_masked = sealed.masked
    if phone is not None:
        sealed_phone = seal_phone(phone)
        if sealed_phone.index != resident.phone_index:
            changes["phone"] = [resident.phone_masked, sealed_phone.masked]
        resident.phone_cipher = sealed_phone.cipher
        resident.phone_index = sealed_phone.index
        resident.phone_masked = sealed_phone.masked
    return changes


def _duplicate_id(parsed, exclude_pk=None) -> None:
    if parsed is None:
        return
    others = Resident.objects.filter(id_number_index=id_number_index(parsed.value))
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise Conflict(
            _("A resident with this ID number is already registered. Search for them instead "
              "of registering them twice."),
            code="duplicate_id_number", fields={"id_number": [
                str(_("This ID number is already registered."))]},
        )


def do_create_resident(*, actor, household: Household, data: ResidentInput,
                       ip_address: str = "", today: dt.date | None = None,
                       refresh_tallies: bool = True) -> Resident:
    """Register a resident in a household the actor may edit. A bulk caller (a ledger
    import) passes refresh_tallies=False and recounts its grids once per batch."""
    _check_edit(actor, household.area_path)
    today = today or timezone.localdate()
    values, parsed, phone = _clean_resident(data, creating=True, today=today,
                                            bases_on_file=frozenset())
    with transaction.atomic():
        _duplicate_id(parsed)
        full, initials = pinyin_keys(values["name"])
        resident = Resident(
            household=household, grid_id=household.grid_id, area_path=household.area_path,
            name_pinyin=full, name_initials=initials, **values,
        )
        _apply_sensitive(resident, parsed, phone)
        try:
            with transaction.atomic():
                resident.save(force_insert=True)
        except IntegrityError:
            _duplicate_id(parsed)
            raise
        _record_bases(resident, data)
        if resident.relation == Resident.Relation.HOUSEHOLDER and household.householder_id is None:
            household.householder = resident
            household.save(update_fields=["householder", "updated_at"])
        # The birth year, not the date: the date is part of the ID number (docs/security.md).
        logged = {k: v for k, v in values.items() if k != "birth_date"}
        logged["birth_year"] = values["birth_date"].year
        if resident.id_number_masked:
            logged["id_number"] = resident.id_number_masked
        if resident.phone_masked:
            logged["phone"] = resident.phone_masked
        do_record_audit(
            action=AuditEntry.Action.CREATE, actor=actor, ip_address=ip_address,
            object_type="resident", object_id=resident.pk, object_repr=resident.name,
            area_path=resident.area_path, changes=logged,
        )
        if refresh_tallies:
            do_refresh_grid_tallies(grid_ids=[resident.grid_id], today=today)
    return resident


def do_update_resident(*, actor, resident: Resident, data: ResidentInput,
                       ip_address: str = "", today: dt.date | None = None) -> Resident:
    """Correct a resident's record; only the fields given change, each change audited."""
    _check_edit(actor, resident.area_path)
    today = today or timezone.localdate()
    bases_on_file = frozenset(resident.field_bases.values_list("field", flat=True))
    values, parsed, phone = _clean_resident(
        data, creating=False, today=today, bases_on_file=bases_on_file,
        has_id_number=bool(resident.id_number_cipher),
        current_values={"gender": resident.gender},
    )
    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        _duplicate_id(parsed, exclude_pk=resident.pk)
        changes = {}
        for name, value in values.items():
            old = getattr(resident, name)
            if old != value:
                if name == "birth_date":
                    # The years only: the audit trail is read by people who have not
                    # revealed the ID number the date is part of.
                    changes["birth_year"] = [str(old.year), str(value.year)]
                else:
                    changes[name] = [str(old), str(value)]
                setattr(resident, name, value)
        if "name" in changes:
            resident.name_pinyin, resident.name_initials = pinyin_keys(resident.name)
        changes.update(_apply_sensitive(resident, parsed, phone))
        if data.phone == "" and resident.phone_cipher:
            changes["phone"] = [resident.phone_masked, ""]
            resident.phone_cipher = resident.phone_index = resident.phone_masked = ""
        _record_bases(resident, data)
        if changes:
            resident.save()
            do_record_audit(
                action=AuditEntry.Action.UPDATE, actor=actor, ip_address=ip_address,
                object_type="resident", object_id=resident.pk, object_repr=resident.name,
                area_path=resident.area_path, changes=changes,
            )
    return resident


def do_reveal_field(*, actor, resident: Resident, field_name: str, reason: str,
                    ip_address: str = "") -> str:
    """Show a sensitive field whole to a role that may see it, with the reason audited.

    Revealing the ID number reveals the birth date too (its digits 7-14): callers may show
    `resident.birth_date` beside it, and nowhere else (docs/security.md)."""
    if field_name not in ("id_number", "phone"):
        raise NotFound()
    if not may_reveal(actor, field_name, resident.area_path):
        raise Forbidden(_("Your role may not see this field in full."))
    reason = " ".join((reason or "").split())
    if len(reason) < 4:
        raise ValidationFailed(
            _("Say why you need to see it (at least 4 characters)."),
            fields={"reason": [str(_("Say why you need to see it (at least 4 characters)."))]},
        )
    sealed = resident.id_number_cipher if field_name == "id_number" else resident.phone_cipher
    if not sealed:
        raise NotFound(_("This field is empty."))
    value = open_id_number(sealed) if field_name == "id_number" else open_phone(sealed)
    masked = mask_id_number(value) if field_name == "id_number" else mask_phone(value)
    with transaction.atomic():
        do_record_audit(
            action=AuditEntry.Action.REVEAL, actor=actor, ip_address=ip_address,
            object_type="resident", object_id=resident.pk, object_repr=resident.name,
            area_path=resident.area_path, changes={"field": field_name, "value": masked},
            reason=reason[:500],
        )
    return value


def _clean_household(data: HouseholdInput, *, creating: bool) -> dict:
    errors = FieldErrors()
    values = {}
    if data.unit is not None or creating:
        unit = (data.unit or "").strip()
        if not unit or len(unit) > 8:
            errors.add("unit", _("Enter the unit, such as 2."))
        values["unit"] = unit
    if data.room is not None or creating:
        room = (data.room or "").strip()
        if not room or len(room) > 16:
            errors.add("room", _("Enter the room, such as 301."))
        values["room"] = room
    if errors:
        raise ValidationFailed(fields=errors)
    return values


def do_create_household(*, actor, building: Building, data: HouseholdInput,
                        ip_address: str = "") -> Household:
    _check_edit(actor, building.area_path)
    values = _clean_household(data, creating=True)
    with transaction.atomic():
        if Household.objects.filter(building=building, unit=values["unit"],
                                    room=values["room"]).exists():
            raise Conflict(_("This room is already registered as a household."),
                           code="duplicate_household",
                           fields={"room": [str(_("This room is already registered."))]})
        household = Household.objects.create(
            building=building, grid_id=building.grid_id, area_path=building.area_path, **values
        )
        do_record_audit(
            action=AuditEntry.Action.CREATE, actor=actor, ip_address=ip_address,
            object_type="household", object_id=household.pk, object_repr=str(household),
            area_path=household.area_path, changes=values | {"building": building.name},
        )
    return household


def do_update_household(*, actor, household: Household, data: HouseholdInput,
                        building: Building | None = None, householder: Resident | None = None,
                        ip_address: str = "") -> Household:
    """Correct a household; moving it to a building of another grid moves its people too."""
    _check_edit(actor, household.area_path)
    if building is not None:
        _check_edit(actor, building.area_path)
    values = _clean_household(data, creating=False)
    moved_from = None
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        changes = {}
        for name, value in values.items():
            if getattr(household, name) != value:
                changes[name] = [getattr(household, name), value]
                setattr(household, name, value)
        if building is not None and building.pk != household.building_id:
            changes["building"] = [household.building.name, building.name]
            household.building = building
            if building.grid_id != household.grid_id:
                moved_from = household.grid_id
                household.grid_id = building.grid_id
                household.area_path = building.area_path
                household.residents.update(grid_id=building.grid_id,
                                           area_path=building.area_path)
                ResidentTag.objects.filter(resident__household=household).update(
                    area_path=building.area_path)
        if householder is not None and householder.pk != household.householder_id:
            if householder.household_id != household.pk:
                raise ValidationFailed(fields={"householder": [
                    str(_("The householder must live in this household."))]})
            changes["householder"] = [
                household.householder.name if household.householder else "", householder.name]
            household.householder = householder
        if Household.objects.filter(building=household.building, unit=household.unit,
                                    room=household.room).exclude(pk=household.pk).exists():
            raise Conflict(_("This room is already registered as a household."),
                           code="duplicate_household",
                           fields={"room": [str(_("This room is already registered."))]})
        if changes:
            household.save()
            do_record_audit(
                action=AuditEntry.Action.UPDATE, actor=actor, ip_address=ip_address,
                object_type="household", object_id=household.pk, object_repr=str(household),
                area_path=household.area_path, changes=changes,
            )
            if moved_from is not None:
                do_refresh_grid_tallies(grid_ids=[moved_from, household.grid_id])
    return household


def do_tag_resident(*, actor, resident: Resident, tag: Tag, source: str, valid_from: dt.date,
                    valid_until: dt.date | None, legal_basis: str,
                    ip_address: str = "", refresh_tallies: bool = True) -> ResidentTag:
    """Put a resident in a vulnerable group for a period, with where that came from."""
    _check_edit(actor, resident.area_path)
    errors = FieldErrors()
    if not source.strip():
        errors.add("source", _("Say where this comes from (a ledger, a visit, the resident)."))
    if valid_until is not None and valid_until < valid_from:
        errors.add("valid_until", _("The end of the period is before its start."))
    if legal_basis not in LegalBasis.values:
        errors.add("legal_basis", _("Choose the legal basis from the list."))
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        overlapping = resident.tags.filter(tag=tag).filter(
            valid_from__lte=valid_until or dt.date.max).exclude(valid_until__lt=valid_from)
        if overlapping.exists():
            raise Conflict(_("The resident is already in this group for part of that period."),
                           code="overlapping_tag")
        membership = ResidentTag.objects.create(
            resident=resident, tag=tag, area_path=resident.area_path, source=source.strip(),
            valid_from=valid_from, valid_until=valid_until, legal_basis=legal_basis,
        )
        do_record_audit(
            action=AuditEntry.Action.CREATE, actor=actor, ip_address=ip_address,
            object_type="resident_tag", object_id=membership.pk,
            object_repr=f"{resident.name} · {tag.name}", area_path=resident.area_path,
            changes={"tag": tag.code, "source": membership.source,
                     "valid_from": str(valid_from), "valid_until": str(valid_until or "")},
        )
        if refresh_tallies:
            do_refresh_grid_tallies(grid_ids=[resident.grid_id])
    return membership


def do_end_tag(*, actor, membership: ResidentTag, valid_until: dt.date,
               ip_address: str = "") -> ResidentTag:
    _check_edit(actor, membership.area_path)
    if valid_until < membership.valid_from:
        raise ValidationFailed(fields={"valid_until": [
            str(_("The end of the period is before its start."))]})
    with transaction.atomic():
        old = membership.valid_until
        membership.valid_until = valid_until
        membership.save(update_fields=["valid_until"])
        do_record_audit(
            action=AuditEntry.Action.UPDATE, actor=actor, ip_address=ip_address,
            object_type="resident_tag", object_id=membership.pk,
            object_repr=f"{membership.resident.name} · {membership.tag.name}",
            area_path=membership.area_path,
            changes={"valid_until": [str(old or ""), str(valid_until)]},
        )
        do_refresh_grid_tallies(grid_ids=[membership.resident.grid_id])
    return membership


def do_rotate_identifier_keys(*, batch_size: int = 1000, progress=None) -> dict[str, int]:
    """Re-encrypt every sealed field with the current key and recompute blind indexes.

    Run after putting a new key first in WARMGRID_DATA_KEYS (or a new
    WARMGRID_INDEX_KEY); safe to interrupt and run again, batch by batch.
    """
    from warmgrid.people.identifiers import cipher, last4_index, phone_index

    c = cipher()
    counts = {"residents": 0, "rewritten": 0}
    total = Resident.objects.count()
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(Resident.objects.select_for_update().filter(pk__gt=last_pk)
                        .order_by("pk")[:batch_size])
            if not rows:
                break
            changed = []
            for resident in rows:
                before = (resident.id_number_cipher, resident.id_number_index,
                          resident.phone_cipher, resident.phone_index)
                if resident.id_number_cipher:
                    value = open_id_number(resident.id_number_cipher)
                    if c.key_id_of(resident.id_number_cipher) != c.current_key_id:
                        resident.id_number_cipher = seal_id_number(value).cipher
                    resident.id_number_index = id_number_index(value)
                    resident.id_last4_index = last4_index(value[-4:])
                if resident.phone_cipher:
                    value = open_phone(resident.phone_cipher)
                    if c.key_id_of(resident.phone_cipher) != c.current_key_id:
                        resident.phone_cipher = seal_phone(value).cipher
                    resident.phone_index = phone_index(value)
                after = (resident.id_number_cipher, resident.id_number_index,
                         resident.phone_cipher, resident.phone_index)
                if after != before:
                    changed.append(resident)
            Resident.objects.bulk_update(
                changed, ["id_number_cipher", "id_number_index", "id_last4_index",
                          "phone_cipher", "phone_index"])
            counts["residents"] += len(rows)
            counts["rewritten"] += len(changed)
            last_pk = rows[-1].pk
        if progress:
            progress(counts["residents"], total)
    with transaction.atomic():
        do_record_audit(action=AuditEntry.Action.SYSTEM, object_type="keys",
                        object_repr="identifier key rotation", changes=counts)
    return counts


_WHOLE_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
_PHONE_LIKE = re.compile(r"^[\d\s+()-]{7,}$")


def _masked_query(q: str | None) -> str | None:
    """The audit trail holds masked identifiers only, also when one was the search."""
    if q and _WHOLE_ID_NUMBER.match(q.strip()):
        return mask_id_number(q.strip())
    if q and _PHONE_LIKE.match(q.strip()):
        return mask_phone(q.strip())
    return q


def do_record_registry_read(*, actor, objects, object_type: str, ip_address: str = "",
                            query: str | None = None, **filters) -> None:
    """System admins may read the whole registry, so each of their reads is logged:
    which rows they saw and what they asked. Other roles' reads stay within scope."""
    if not audits_reads(actor):
        return
    objects = list(objects)
    single = len(objects) == 1 and query is None and not filters
    asked = {"q": _masked_query(query), **filters}
    with transaction.atomic():
        do_record_audit(
            action=AuditEntry.Action.VIEW, actor=actor, ip_address=ip_address,
            object_type=object_type,
            object_id=objects[0].pk if single else "",
            object_repr=str(objects[0]) if single else "",
            area_path=objects[0].area_path if single else "",
            changes={"ids": [o.pk for o in objects],
                     **{k: v for k, v in asked.items() if v not in (None, "")}},
        )


def do_refresh_grid_tallies(*, grid_ids=None, today: dt.date | None = None) -> int:
    """Recount residents and active vulnerable-group memberships per grid (all grids when
    `grid_ids` is None). Called by every write that changes a count, and nightly, since
    memberships start and end with the calendar. Returns the number of grids refreshed."""
    from django.db.models import Count

    from warmgrid.people.models import GridTally
    from warmgrid.people.queries import active_tags_q
    from warmgrid.places.models import Area

    today = today or timezone.localdate()
    grids = Area.objects.filter(level=Area.Level.GRID)
    if grid_ids is not None:
        grids = grids.filter(pk__in=list(grid_ids))
    path_to_grid = dict(grids.values_list("path", "pk"))
    if not path_to_grid:
        return 0
    residents = Resident.objects.all()
    memberships = ResidentTag.objects.filter(active_tags_q(today))
    if grid_ids is not None:
        residents = residents.filter(grid_id__in=path_to_grid.values())
        memberships = memberships.filter(area_path__in=path_to_grid.keys())
    tallies = {(grid_id, None): 0 for grid_id in path_to_grid.values()}
    for grid_id, n in residents.values_list("grid_id").annotate(n=Count("id")).order_by():
        tallies[(grid_id, None)] = n
    for path, tag_id, n in (memberships.values_list("area_path", "tag_id")
                            .annotate(n=Count("id")).order_by()):
        if path in path_to_grid:
            tallies[(path_to_grid[path], tag_id)] = n
    grid_paths = {grid_id: path for path, grid_id in path_to_grid.items()}
    with transaction.atomic():
        GridTally.objects.filter(grid_id__in=path_to_grid.values()).delete()
        GridTally.objects.bulk_create(
            [GridTally(grid_id=grid_id, area_path=grid_paths[grid_id], tag_id=tag_id,
                       residents=n, as_of=today)
             for (grid_id, tag_id), n in tallies.items()],
            batch_size=2000,
        )
    return len(path_to_grid)
