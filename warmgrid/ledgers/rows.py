"""One ledger row into the registry: map its columns, check it, find its household and
its resident (the ID number's blind index, else the probabilistic matcher), then create,
link, queue for review or reject — and say so on the row's RowOutcome.

Linking never overwrites: an empty registry field is filled (and the change kept for
undo); a different value becomes a FieldConflict. Every field the row supplied records
its source. Used by actions.run_import inside one transaction per batch.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from warmgrid.accounts.scopes import path_filter
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.errors import Conflict, DomainError
from warmgrid.ledgers.builtin import normalise_header
from warmgrid.ledgers.models import (
    FieldConflict,
    FieldSource,
    LedgerImport,
    RowIssue,
    RowOutcome,
)
from warmgrid.lib.ledgers import matching, reading, validation
from warmgrid.lib.masking import mask_id_number, mask_phone
from warmgrid.people.actions import (
    HouseholdInput,
    ResidentInput,
    do_create_household,
    do_create_resident,
    do_tag_resident,
)
from warmgrid.people.identifiers import id_number_index, open_phone, phone_index, seal_phone
from warmgrid.people.models import Household, Resident, SensitiveFieldBasis
from warmgrid.places.models import Building

# Fields a registry resident takes from a ledger row, in ResidentInput's names.
RESIDENT_FIELDS = ("name", "gender", "birth_date", "id_number", "phone", "relation",
                   "residence_status", "ethnicity", "occupation")
# Fields a link may fill when the registry has none.
FILLABLE = ("phone", "ethnicity", "occupation")
REBUILD_AFTER = 500  # residents created by an import before the matcher's index is rebuilt


def read(content: bytes, *, name: str):
    """A ledger from the bytes of the file uploaded as `name` (a CSV's one sheet is named
    after it); ValueError (a LedgerReadError) when it cannot be read."""
    try:
        return reading.read_ledger(content, name=name)
    except ValueError:
        raise
    except Exception as exc:  # a damaged file breaks its reader in its own ways
        raise reading.LedgerReadError("file_unreadable",
                                      format=Path(name).suffix.lstrip(".")) from exc


@dataclass
class Row:
    sheet: str
    number: int
    values: dict[str, str]  # ledger header → text
    problems: list = field(default_factory=list)  # found while reading (digits lost …)


def flatten(ledger) -> list[Row]:
    return [Row(sheet.name, row.number, dict(row.values), list(row.problems))
            for sheet in ledger.sheets for row in sheet.rows]


@dataclass
class RowImporter:
    ledger_import: LedgerImport
    ledger: object
    touched_grids: set[int] = field(default_factory=set)

    def __post_init__(self):
        template = self.ledger_import.template
        self.template = template
        self.by_header = {normalise_header(c["header"]): c["field"]
                          for c in template.columns if c.get("field")}
        self.header_of = {f: c["header"] for c in template.columns
                          for f in [c.get("field")] if f}
        self.actor = self.ledger_import.created_by
        self.paths = self.ledger_import.write_paths
        self.buildings: dict[str, Building | str] = {}
        self.index = None  # the matcher's candidate index, built at the first row without ID
        self.records: list[dict] = []
        self.pending: list[dict] = []
        self.today = timezone.localdate()

    # --- mapping and checking ---

    def _mapped(self, row: Row) -> tuple[dict[str, str], dict[str, str]]:
        """{field: text} and {field: the ledger's header}, defaults filling the gaps."""
        values, headers = {}, {}
        for header, text in row.values.items():
            name = self.by_header.get(normalise_header(header))
            if name and str(text or "").strip():
                values[name] = str(text).strip()
                headers[name] = header
        return values, headers

    def _reject(self, row: Row, problems: list[tuple[str, str, dict]]) -> RowOutcome:
        RowIssue.objects.bulk_create(
            RowIssue(ledger_import=self.ledger_import, sheet=row.sheet[:80],
                     row_number=row.number, column=column[:80], code=code[:40],
                     params=params) for column, code, params in problems)
        return self._outcome(row, RowOutcome.Outcome.REJECTED)

    def _outcome(self, row: Row, outcome: str, **fields) -> RowOutcome:
        found, _created = RowOutcome.objects.update_or_create(
            ledger_import=self.ledger_import, sheet=row.sheet[:80], row_number=row.number,
            defaults={"outcome": outcome, **fields})
        return found

    # --- the household ---

    def _building(self, text: str) -> Building | str:
        """By code, by the platform's id, or by name within the importer's area: the
        building, or a reason code."""
        if text in self.buildings:
            return self.buildings[text]
        scoped = Building.objects.all()
        if self.paths is not None:
            scoped = scoped.filter(path_filter(self.paths))
        found = list(scoped.filter(code=text)[:2])
        if not found and text.isdigit():
            found = list(scoped.filter(pk=int(text))[:2])
        if not found:
            found = list(scoped.filter(name=text)[:2])
        result = (found[0] if len(found) == 1 else
                  "building_ambiguous" if found else "building_unknown")
        self.buildings[text] = result
        return result

    def _household(self, values: dict, headers: dict) -> Household | tuple[str, str]:
        building = self._building(values.get("building", ""))
        if isinstance(building, str):
            return headers.get("building", self.header_of.get("building", "")), building
        unit, room = values.get("unit", ""), values.get("room", "")
        household = Household.objects.filter(building=building, unit=unit, room=room).first()
        if household is None:
            household = do_create_household(actor=self.actor, building=building,
                                            data=HouseholdInput(building.pk, unit, room))
        return household

    # --- matching ---

    def _record(self, resident: Resident) -> dict:
        """A registry resident as the matcher reads it (in memory only: the phone is
        opened to compare digits, never stored anywhere)."""
        household = resident.household
        return {"id": resident.pk, "name": resident.name, "birth_date": resident.birth_date,
                "gender": resident.gender,
                "phone": open_phone(resident.phone_cipher) if resident.phone_cipher else None,
                "building": household.building.name, "unit": household.unit,
                "room": household.room}

    def _index(self):
        if self.index is None:
            residents = Resident.objects.select_related("household__building")
            if self.paths is not None:
                residents = residents.filter(path_filter(self.paths))
            self.records = [self._record(r) for r in residents.iterator(chunk_size=5000)]
            self.index = matching.CandidateIndex.build(self.records)
            self.pending = []
        return self.index

    def _remember(self, resident: Resident) -> None:
        """A resident this import created is a candidate for its later rows too (a
        ledger may list someone twice); the index is rebuilt now and then."""
        if self.index is None:
            return
        self.pending.append(self._record(resident))
        if len(self.pending) >= REBUILD_AFTER:
            self.index = None

    def _match(self, values: dict, household: Household) -> tuple[str, Resident | None,
                                                                   float | None, dict]:
        incoming = {"id": None, "name": values["name"], "birth_date": values.get("birth_date"),
                    "gender": values.get("gender"), "phone": values.get("phone"),
                    "building": household.building.name, "unit": household.unit,
                    "room": household.room}
        found = matching.match_record(incoming, self._index(), with_values=False)
        decision, best_id, score, fields = (found.decision, found.registry_id, found.score,
                                            found.fields)
        if self.pending:  # residents created earlier in this import
            recent = matching.CandidateIndex.build(self.pending)
            again = matching.match_record(incoming, recent, with_values=False)
            if again.registry_id is not None and again.score > score:
                decision, best_id, score, fields = (again.decision, again.registry_id,
                                                    again.score, again.fields)
        if best_id is None or decision == matching.NEW:
            return "new", None, None, {}
        resident = Resident.objects.select_related("household").filter(pk=best_id).first()
        return decision, resident, score, {"fields": fields, "reason": found.reason}

    # --- writing ---

    def create(self, row: Row, values: dict, household: Household, *,
               headers: dict | None = None, decided_by=None) -> RowOutcome:
        data = ResidentInput(**{name: values.get(name) for name in RESIDENT_FIELDS})
        if data.id_number:
            data.id_number_basis = self.template.legal_basis
        if data.phone:
            data.phone_basis = self.template.legal_basis
        try:
            resident = do_create_resident(actor=self.actor, household=household, data=data,
                                          refresh_tallies=False)
        except DomainError as exc:
            headers = headers or {}
            return self._reject(row, [(headers.get(name, self.header_of.get(name, name)),
                                       "registry_refused", {"message": " ".join(messages)})
                                      for name, messages in exc.fields.items()]
                                or [("", "registry_refused", {"message": str(exc.message)})])
        self.touched_grids.add(resident.grid_id)
        self._sources(resident, row, values)
        self._tag(resident, row, values)
        self._remember(resident)
        kind = (RowOutcome.Outcome.KEPT_APART if decided_by else
                RowOutcome.Outcome.CREATED)
        return self._outcome(row, kind, resident=resident, decided_by=decided_by,
                             decided_at=timezone.now() if decided_by else None)

    def link(self, row: Row, values: dict, household: Household, resident: Resident, *,
             outcome: str | None = None, score=None, breakdown=None, decided_by=None
             ) -> RowOutcome:
        """Apply the row to an existing resident: fill what is empty, record conflicts,
        sources and the tag; never overwrite."""
        changes = {}
        for name in FILLABLE:
            value = values.get(name)
            if not value:
                continue
            if name == "phone":
                if not resident.phone_index:
                    sealed = seal_phone(value)
                    changes["phone"] = {"old": None, "new": sealed.index}
                    resident.phone_cipher, resident.phone_index = sealed.cipher, sealed.index
                    resident.phone_masked = sealed.masked
                elif resident.phone_index != phone_index(value):
                    self._conflict(resident, row, "phone", mask_phone(value),
                                   resident.phone_masked)
            elif not getattr(resident, name):
                changes[name] = {"old": getattr(resident, name), "new": value}
                setattr(resident, name, value)
            elif getattr(resident, name) != value:
                self._conflict(resident, row, name, value, getattr(resident, name))
        if values.get("name") and values["name"] != resident.name:
            self._conflict(resident, row, "name", values["name"], resident.name)
        if resident.household_id != household.pk:
            self._conflict(resident, row, "household", str(household)[:80],
                           str(resident.household)[:80])
        if changes:
            self._save_filled(resident, row, changes)
        tagged = self._tag(resident, row, values)
        if tagged:
            changes["tag"] = {"old": None, "new": tagged}
        self._sources(resident, row, values)
        kind = outcome or (RowOutcome.Outcome.LINKED if changes
                           else RowOutcome.Outcome.UNCHANGED)
        return self._outcome(row, kind, resident=resident, changes=changes, score=score,
                             breakdown=breakdown or {}, decided_by=decided_by,
                             decided_at=timezone.now() if decided_by else None)

    def _save_filled(self, resident: Resident, row: Row, changes: dict) -> None:
        """Save only what the row filled, with the legal basis for a phone (PIPL) and an
        audit entry, as a person's correction would have."""
        fields = [f for name in changes for f in (
            ("phone_cipher", "phone_index", "phone_masked") if name == "phone" else (name,))]
        resident.save(update_fields=[*fields, "updated_at"])
        if "phone" in changes:
            SensitiveFieldBasis.objects.update_or_create(
                resident=resident, field="phone",
                defaults={"basis": self.template.legal_basis,
                          "note": f"{self.template.name} · {self.ledger_import.file_name}"[:200]})
        do_record_audit(
            action=AuditEntry.Action.UPDATE, actor=self.actor, object_type="resident",
            object_id=resident.pk, object_repr=resident.name, area_path=resident.area_path,
            changes={"filled_from_ledger": f"{self.ledger_import.pk}:{row.sheet}:{row.number}",
                     **{name: resident.phone_masked if name == "phone" else change["new"]
                        for name, change in changes.items()}})

    def _conflict(self, resident, row: Row, name: str, ledger_value: str, registry_value):
        FieldConflict.objects.get_or_create(
            resident=resident, field=name, ledger_value=str(ledger_value)[:80],
            defaults={"ledger_import": self.ledger_import, "row_number": row.number,
                      "registry_value": str(registry_value or "")[:80]})

    def _sources(self, resident: Resident, row: Row, values: dict) -> None:
        for name in values:
            if name in self.header_of:
                FieldSource.objects.get_or_create(
                    resident=resident, field=name, ledger_import=self.ledger_import,
                    defaults={"sheet": row.sheet[:80], "row_number": row.number})

    def _tag(self, resident: Resident, row: Row, values: dict) -> int | None:
        tag = self.template.tag
        if tag is None:
            return None
        start = values.get("valid_from") or self.today
        if resident.tags.filter(tag=tag).exclude(valid_until__lt=start).exists():
            return None
        try:
            membership = do_tag_resident(
                actor=self.actor, resident=resident, tag=tag,
                source=f"{self.template.name} · {self.ledger_import.file_name} "
                       f"{row.sheet}:{row.number}"[:120],
                valid_from=start, valid_until=values.get("valid_until"),
                legal_basis=self.template.legal_basis, refresh_tallies=False)
        except DomainError:
            return None
        self.touched_grids.add(resident.grid_id)
        return membership.pk

    # --- one batch ---

    def handle(self, rows: list[Row]) -> Counter:
        """Handle a batch; the outcomes of the rows it handled, counted."""
        counts: Counter = Counter()
        for row in rows:
            outcome = self.handle_row(row)
            if outcome is not None:
                counts[outcome.outcome] += 1
        return counts

    def prepare(self, row: Row):
        """(values, headers, household) for a row that can land, else the problems as
        (column, reason code, params)."""
        raw, headers = self._mapped(row)
        # Only the name is required to read a row: a row without a birth date can still
        # find its resident; creating one without it is refused by the registry itself.
        clean, problems = validation.validate_row(raw, today=self.today, headers=headers,
                                                  required=("name",))
        problems = [*row.problems, *problems]
        if problems:
            return [(headers.get(p.field) or self.header_of.get(p.field) or p.column,
                     p.code, p.params) for p in problems]
        # What the ledger does not say, the template does (in registry codes).
        for name, value in (self.template.defaults or {}).items():
            clean.setdefault(name, value)
        household = self._household(clean, headers)
        if isinstance(household, tuple):
            return [(household[0], household[1], {})]
        if self.paths is not None and not household.area_path.startswith(tuple(self.paths)):
            return [(headers.get("building", ""), "outside_area", {})]
        return clean, headers, household

    def checked(self, row: Row) -> tuple[dict, Household]:
        """For a decision on a queued row: its values and household, or a Conflict."""
        prepared = self.prepare(row)
        if isinstance(prepared, list):
            raise Conflict(_("This row no longer fits the registry; import it again."),
                           code="row_changed")
        return prepared[0], prepared[2]

    def handle_row(self, row: Row) -> RowOutcome | None:
        """The row's new outcome; None for a row handled before (not handled twice)."""
        if RowOutcome.objects.filter(ledger_import=self.ledger_import, sheet=row.sheet[:80],
                                     row_number=row.number).exists():
            return None
        prepared = self.prepare(row)
        if isinstance(prepared, list):
            return self._reject(row, prepared)
        clean, headers, household = prepared
        if clean.get("id_number"):
            resident = (Resident.objects.select_related("household")
                        .filter(id_number_index=id_number_index(clean["id_number"])).first())
            if resident is None:
                return self.create(row, clean, household, headers=headers)
            if self.paths is not None and not resident.area_path.startswith(tuple(self.paths)):
                return self._reject(row, [(headers.get("id_number", ""),
                                           "registered_elsewhere",
                                           {"masked": mask_id_number(clean["id_number"])})])
            return self.link(row, clean, household, resident,
                             breakdown={"fields": {"id_number": {"level": "exact"}},
                                        "reason": "id_number"})
        decision, resident, score, breakdown = self._match(clean, household)
        if decision == matching.LINK and resident is not None:
            return self.link(row, clean, household, resident, score=score,
                             breakdown=breakdown)
        if decision == matching.REVIEW and resident is not None:
            return self._outcome(row, RowOutcome.Outcome.REVIEW, resident=resident,
                                 score=score, breakdown=breakdown)
        return self.create(row, clean, household, headers=headers)
