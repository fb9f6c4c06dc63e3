"""Writing ledgers: start an import, run it in batches (resumable, cancellable), decide
the review queue (merge, keep apart, undo), save a template, export a ledger.

Rows land in the registry through the registry's own actions (people/actions.py), so a
ledger row meets the same rules, scopes and audit as a person typing it. What a row
changed is recorded on its RowOutcome, so a merge can be undone. Every row read gets
exactly one outcome: rows in = created + linked + unchanged + review + rejected.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from warmgrid.accounts.scopes import primary_area_path, registry_edit_paths
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.errors import Conflict, Forbidden, ValidationFailed
from warmgrid.ledgers import rows as ledger_rows
from warmgrid.ledgers.builtin import REGISTRY_DEFAULTS, header_signature, normalise_header
from warmgrid.ledgers.models import (
    FIELDS,
    FieldConflict,
    FieldSource,
    LedgerExport,
    LedgerImport,
    LedgerTemplate,
    RowOutcome,
)
from warmgrid.people.actions import do_refresh_grid_tallies
from warmgrid.people.identifiers import cipher
from warmgrid.people.models import Resident, ResidentTag

logger = logging.getLogger(__name__)
FILE_FIELD = "ledger.file"
FORMATS = (".xlsx", ".xls", ".csv")
MAX_BYTES = 50 * 1024 * 1024
BATCH = 200

Progress = Callable[[LedgerImport], None]


def import_paths(actor) -> list[str] | None:
    """Where an actor's imports may write: the registry's editors in their areas (None:
    everywhere — the operator at the command line)."""
    if actor is None:
        return None
    return registry_edit_paths(actor)


def may_import(actor) -> bool:
    return import_paths(actor) != []


def seal_file(content: bytes) -> str:
    return cipher().encrypt(base64.b64encode(content).decode(), field=FILE_FIELD)


def open_file(job) -> bytes:
    """The stored file of an import or an export."""
    return base64.b64decode(cipher().decrypt(job.file_cipher, field=FILE_FIELD))


def read_import(ledger_import: LedgerImport):
    """The stored file read again (reports and the review queue show rows from it)."""
    return ledger_rows.read(open_file(ledger_import), name=ledger_import.file_name)


def do_start_import(*, actor, template: LedgerTemplate | None, name: str, content: bytes,
                    area=None, ip_address: str = "") -> LedgerImport:
    """Store the file (encrypted) and queue its import; nothing is written yet. Without a
    template it waits for its column mapping (do_map_import). `area` narrows where its
    rows may land (the operator's --area)."""
    paths = import_paths(actor)
    if paths == []:
        raise Forbidden(_("Only the registry's editors import ledgers."))
    if area is not None:
        if paths is not None and not any(area.path.startswith(p) for p in paths):
            raise Forbidden(_("Choose an area within your own."))
        paths = [area.path]
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise ValidationFailed(_("A ledger is an .xlsx, .xls or .csv file."),
                               code="ledger_format")
    if not content:
        raise ValidationFailed(_("The file is empty."), code="ledger_empty")
    if len(content) > MAX_BYTES:
        raise ValidationFailed(_("The file is larger than 50 MB; split the ledger."),
                               code="ledger_too_large")
    digest = hashlib.sha256(content).hexdigest()
    shown = "" if paths is None else min(paths, key=len)
    with transaction.atomic():
        ledger_import = LedgerImport.objects.create(
            template=template, created_by=actor, area_path=shown, write_paths=paths,
            file_name=Path(name).name[:200], file_digest=digest,
            file_cipher=seal_file(content),
            status=LedgerImport.Status.QUEUED if template else LedgerImport.Status.MAPPING,
            duplicate_of=_earlier(template, digest, paths) if template else None)
        do_record_audit(action=AuditEntry.Action.CREATE, actor=actor, ip_address=ip_address,
                        object_type="ledger_import", object_id=ledger_import.pk,
                        object_repr=str(ledger_import)[:60], area_path=shown,
                        changes={"template": template.code if template else None,
                                 "file": ledger_import.file_name,
                                 "sha256": digest})
    return ledger_import


def _earlier(template, digest: str, paths) -> LedgerImport | None:
    """The first finished import of the same file with the same template and reach."""
    same_reach = ({"write_paths__isnull": True} if paths is None
                  else {"write_paths": paths})
    return (LedgerImport.objects.filter(template=template, file_digest=digest,
                                        status=LedgerImport.Status.DONE, **same_reach)
            .order_by("created_at").first())


def do_map_import(*, actor, ledger_import: LedgerImport, template: LedgerTemplate
                  ) -> LedgerImport:
    """Give a waiting upload its template; it is then queued."""
    if ledger_import.created_by_id != getattr(actor, "pk", None):
        raise Forbidden(_("Only who uploaded a ledger maps its columns."))
    LedgerImport.objects.filter(pk=ledger_import.pk, status=LedgerImport.Status.MAPPING
                                ).update(template=template,
                                         status=LedgerImport.Status.QUEUED,
                                         duplicate_of=_earlier(
                                             template, ledger_import.file_digest,
                                             ledger_import.write_paths))
    ledger_import.refresh_from_db()
    return ledger_import


def read_bytes(name: str, content: bytes):
    """A ledger read from memory (the upload page). Raises ValueError."""
    return ledger_rows.read(content, name=name)


# Headers departments use for the registry's fields, besides the registry's own.
SYNONYMS = {
    "name": ("姓名", "名字", "户主姓名", "成员姓名"),
    "id_number": ("公民身份号码", "身份证号", "身份证号码", "身份证", "证件号码"),
    "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式"),
    "gender": ("性别",), "birth_date": ("出生日期", "出生年月", "生日"),
    "building": ("楼栋", "楼号", "楼", "栋", "幢"), "unit": ("单元",),
    "room": ("房号", "房间号", "门牌号", "室"),
    "relation": ("与户主关系", "关系"), "residence_status": ("人员类别", "户籍类别", "居住类别"),
    "ethnicity": ("民族",), "occupation": ("职业", "工作单位"),
    "valid_from": ("开始日期", "起始日期", "享受日期", "认定日期"),
    "valid_until": ("结束日期", "截止日期", "有效期至"),
}


def guess_fields(headers) -> dict[str, str]:
    """A first guess of each header's field for the mapping page."""
    by_name = {normalise_header(s): f for f, names in SYNONYMS.items() for s in names}
    guesses, taken = {}, set()
    for header in headers:
        field = by_name.get(normalise_header(header))
        if field and field not in taken:
            guesses[header] = field
            taken.add(field)
    return guesses


def do_cancel_import(*, actor, ledger_import: LedgerImport) -> LedgerImport:
    """Stop after the batch in hand; what was committed stays, and it can be resumed."""
    moved = LedgerImport.objects.filter(
        pk=ledger_import.pk,
        status__in=[LedgerImport.Status.QUEUED, LedgerImport.Status.RUNNING],
    ).update(status=LedgerImport.Status.CANCELLED)
    if moved:
        do_record_audit(action=AuditEntry.Action.UPDATE, actor=actor,
                        object_type="ledger_import", object_id=ledger_import.pk,
                        object_repr=str(ledger_import)[:60],
                        area_path=ledger_import.area_path, changes={"status": "cancelled"})
    ledger_import.refresh_from_db()
    return ledger_import


def do_resume_import(*, actor, ledger_import: LedgerImport) -> LedgerImport:
    if LedgerImport.objects.filter(pk=ledger_import.pk, status__in=[
            LedgerImport.Status.CANCELLED, LedgerImport.Status.FAILED]).update(
                status=LedgerImport.Status.QUEUED, error=""):
        do_record_audit(action=AuditEntry.Action.UPDATE, actor=actor,
                        object_type="ledger_import", object_id=ledger_import.pk,
                        object_repr=str(ledger_import)[:60],
                        area_path=ledger_import.area_path, changes={"status": "resumed"})
    ledger_import.refresh_from_db()
    return ledger_import


def run_import(ledger_import: LedgerImport, *, progress: Progress | None = None,
               batch: int = BATCH) -> LedgerImport:
    """Handle the import's rows from where it stopped, a batch per transaction, checking
    between batches whether it was cancelled. Runs in a Celery worker or in the command."""
    claimed = LedgerImport.objects.filter(
        pk=ledger_import.pk, template__isnull=False,
        status__in=[LedgerImport.Status.QUEUED, LedgerImport.Status.RUNNING],
    ).update(status=LedgerImport.Status.RUNNING,
             started_at=ledger_import.started_at or timezone.now())
    ledger_import.refresh_from_db()
    if not claimed:
        return ledger_import
    try:
        ledger = read_import(ledger_import)
    except ValueError as exc:  # rows.read turns any reader failure into one
        from warmgrid.ledgers.messages import issue_message

        reason = (issue_message(exc.code, exc.params) if hasattr(exc, "code") else str(exc))
        LedgerImport.objects.filter(pk=ledger_import.pk).update(
            status=LedgerImport.Status.FAILED, error=reason[:2000],
            finished_at=timezone.now())
        ledger_import.refresh_from_db()
        return ledger_import
    rows = ledger_rows.flatten(ledger)
    LedgerImport.objects.filter(pk=ledger_import.pk).update(rows_total=len(rows))
    ledger_import.refresh_from_db()
    importer = ledger_rows.RowImporter(ledger_import, ledger)
    while ledger_import.rows_done < len(rows):
        start = ledger_import.rows_done
        with transaction.atomic():
            # The import's row is held for the batch: a second worker on it (a resume
            # while the first was still in a batch) waits, then finds the rows done.
            locked = LedgerImport.objects.select_for_update().get(pk=ledger_import.pk)
            if locked.rows_done != start:  # another worker has it: leave it to that one
                ledger_import.refresh_from_db()
                return ledger_import
            if locked.status != LedgerImport.Status.RUNNING:
                ledger_import.refresh_from_db()
                break
            chunk = rows[start:start + batch]
            counts = importer.handle(chunk)
            # Counted as the batch goes (a recount of every row per batch would grow
            # with the square of the ledger); decisions later recount (_recount).
            figures: dict[str, int] = {}
            for outcome, n in counts.items():
                figures[COUNTED_AS[outcome]] = figures.get(COUNTED_AS[outcome], 0) + n
            LedgerImport.objects.filter(pk=ledger_import.pk).update(
                rows_done=start + len(chunk),
                **{name: F(name) + n for name, n in figures.items()})
            if importer.touched_grids:
                do_refresh_grid_tallies(grid_ids=importer.touched_grids)
                importer.touched_grids.clear()
        ledger_import.refresh_from_db()
        if progress is not None:
            progress(ledger_import)
    if ledger_import.status == LedgerImport.Status.RUNNING:
        LedgerImport.objects.filter(pk=ledger_import.pk).update(
            status=LedgerImport.Status.DONE, finished_at=timezone.now())
        ledger_import.refresh_from_db()
        do_record_audit(action=AuditEntry.Action.SYSTEM, actor=ledger_import.created_by,
                        object_type="ledger_import", object_id=ledger_import.pk,
                        object_repr=str(ledger_import)[:60],
                        area_path=ledger_import.area_path, changes=summary(ledger_import))
    return ledger_import


def summary(ledger_import: LedgerImport) -> dict:
    return {name: getattr(ledger_import, name) for name in (
        "rows_total", "rows_done", "created", "linked", "unchanged", "review", "rejected")}


def do_export_rejected_rows(*, actor, ledger_import: LedgerImport,
                            ip_address: str = "") -> bytes:
    """The rejected rows hold whole identifiers as typed: for who uploaded the ledger, or
    who may see ID numbers whole in its area; each download audited."""
    from warmgrid.accounts.scopes import may_reveal

    if not (ledger_import.created_by_id == actor.pk
            or may_reveal(actor, "id_number", ledger_import.area_path or "/")):
        raise Forbidden(_("Only who uploaded the ledger, or who may see ID numbers whole "
                          "here, downloads its rejected rows."))
    content = error_workbook(ledger_import)
    do_record_audit(action=AuditEntry.Action.EXPORT, actor=actor, ip_address=ip_address,
                    object_type="ledger_import", object_id=ledger_import.pk,
                    object_repr=str(ledger_import)[:60], area_path=ledger_import.area_path,
                    changes={"rejected_rows": ledger_import.rejected})
    return content


def error_workbook(ledger_import: LedgerImport) -> bytes:
    """The rejected rows as they were read, a problems column first and the wrong cells
    marked: to fix and import again (the headers find the same template)."""
    from warmgrid.ledgers.messages import issue_message
    from warmgrid.lib.ledgers import annotated

    problems: dict[tuple[str, int], list] = {}
    for issue in ledger_import.issues.all():
        problems.setdefault((issue.sheet, issue.row_number), []).append(
            (issue.column, issue_message(issue.code, issue.params)))
    sheets = []
    for sheet in read_import(ledger_import).sheets:
        rows = []
        for row in sheet.rows:
            found = problems.get((sheet.name[:80], row.number))
            if not found:
                continue
            cells: dict[str, list[str]] = {}
            for column, message in found:
                if column:
                    cells.setdefault(column, []).append(message)
            rows.append(annotated.AnnotatedRow(values=row.values,
                                               messages=[m for _c, m in found], cells=cells))
        if rows:
            sheets.append(annotated.AnnotatedSheet(sheet.name, sheet.headers, rows))
    buffer = io.BytesIO()
    annotated.write_annotated_xlsx(buffer, sheets)
    return buffer.getvalue()


# --- The review queue ---

def reviewer_paths(actor) -> list[str]:
    return registry_edit_paths(actor)


def _check_review(actor, outcome: RowOutcome) -> None:
    resident = outcome.resident
    if resident is None or not any(resident.area_path.startswith(p)
                                   for p in reviewer_paths(actor)):
        raise Forbidden(_("Only the registry's editors of the resident's area decide this."))


def ledger_row(outcome: RowOutcome, ledger=None):
    """The row of the stored file an outcome is about, as the importer saw it."""
    ledger = ledger or read_import(outcome.ledger_import)
    for row in ledger_rows.flatten(ledger):
        if row.sheet[:80] == outcome.sheet and row.number == outcome.row_number:
            return row
    raise Conflict(_("The stored ledger no longer has this row."), code="row_missing")


def _importer_row(outcome: RowOutcome, actor):
    """The row prepared by the deciding person (households it needs are theirs)."""
    ledger = read_import(outcome.ledger_import)
    importer = ledger_rows.RowImporter(outcome.ledger_import, ledger)
    importer.actor = actor
    row = ledger_row(outcome, ledger)
    clean = importer.checked(row)
    return importer, row, clean


def _locked(outcome: RowOutcome, *states: str) -> RowOutcome:
    """The outcome locked for this decision, refused if someone decided it meanwhile."""
    locked = RowOutcome.objects.select_for_update(of=("self",)).select_related(
        "resident", "ledger_import").get(pk=outcome.pk)
    if locked.outcome not in states:
        raise Conflict(_("This row has been decided already."), code="decided")
    return locked


def do_merge(*, actor, outcome: RowOutcome, ip_address: str = "") -> RowOutcome:
    """A person says the row is this resident: apply it as a link would (fill what is
    empty, record conflicts), keeping what changed so that it can be undone."""
    _check_review(actor, outcome)
    with transaction.atomic():
        outcome = _locked(outcome, RowOutcome.Outcome.REVIEW)
        importer, row, (values, household) = _importer_row(outcome, actor)
        merged = importer.link(row, values, household, outcome.resident,
                               outcome=RowOutcome.Outcome.MERGED, score=outcome.score,
                               breakdown=outcome.breakdown, decided_by=actor)
        _recount(outcome.ledger_import)
        do_record_audit(action=AuditEntry.Action.UPDATE, actor=actor, ip_address=ip_address,
                        object_type="resident", object_id=merged.resident_id,
                        object_repr=merged.resident.name, area_path=merged.resident.area_path,
                        changes={"merged_ledger_row": f"{outcome.ledger_import_id}:"
                                                      f"{outcome.sheet}:{outcome.row_number}",
                                 "filled": sorted(merged.changes)})
    return merged


def do_keep_apart(*, actor, outcome: RowOutcome, ip_address: str = "") -> RowOutcome:
    """A person says the row is someone else: register them as a new resident."""
    _check_review(actor, outcome)
    with transaction.atomic():
        outcome = _locked(outcome, RowOutcome.Outcome.REVIEW)
        importer, row, (values, household) = _importer_row(outcome, actor)
        created = importer.create(row, values, household, decided_by=actor)
        if created.outcome == RowOutcome.Outcome.REJECTED:
            _recount(outcome.ledger_import)
            return created
        _recount(outcome.ledger_import)
        do_refresh_grid_tallies(grid_ids=[created.resident.grid_id])
    return created


def do_undo(*, actor, outcome: RowOutcome, ip_address: str = "") -> RowOutcome:
    """Take back a merge or a link: the fields it filled go back to what they were, its
    sources and conflicts go, and the row returns to the review queue."""
    _check_review(actor, outcome)
    if outcome.outcome not in (RowOutcome.Outcome.MERGED, RowOutcome.Outcome.LINKED):
        raise Conflict(_("Only a merge or a link can be undone."), code="not_undoable")
    with transaction.atomic():
        outcome = _locked(outcome, RowOutcome.Outcome.MERGED, RowOutcome.Outcome.LINKED)
        resident = Resident.objects.select_for_update().get(pk=outcome.resident_id)
        kept = []  # fields someone changed since: their value stays
        for name, change in outcome.changes.items():
            if name == "phone":
                if resident.phone_index == change["new"]:
                    resident.phone_cipher, resident.phone_index, resident.phone_masked = (
                        "", "", "")
                else:
                    kept.append(name)
            elif name == "tag":
                resident.tags.filter(pk=change["new"]).delete()
            elif getattr(resident, name) == change["new"]:
                setattr(resident, name, change["old"] or "")
            else:
                kept.append(name)
        resident.save()
        FieldSource.objects.filter(resident=resident,
                                   ledger_import=outcome.ledger_import).delete()
        FieldConflict.objects.filter(resident=resident, ledger_import=outcome.ledger_import,
                                     row_number=outcome.row_number).delete()
        was = outcome.outcome
        outcome.outcome = RowOutcome.Outcome.REVIEW
        outcome.changes, outcome.decided_by, outcome.decided_at = {}, actor, timezone.now()
        outcome.save()
        _recount(outcome.ledger_import)
        do_record_audit(action=AuditEntry.Action.UPDATE, actor=actor, ip_address=ip_address,
                        object_type="resident", object_id=resident.pk,
                        object_repr=resident.name, area_path=resident.area_path,
                        changes={"undone": was, "kept_as_changed_since": kept,
                                 "ledger_row": f"{outcome.ledger_import_id}:"
                                               f"{outcome.sheet}:{outcome.row_number}"})
        do_refresh_grid_tallies(grid_ids=[resident.grid_id])
    return outcome


# Each outcome counts under one of the import's figures (a decision moves the row).
COUNTED_AS = {RowOutcome.Outcome.CREATED: "created", RowOutcome.Outcome.KEPT_APART: "created",
              RowOutcome.Outcome.LINKED: "linked", RowOutcome.Outcome.MERGED: "linked",
              RowOutcome.Outcome.UNCHANGED: "unchanged", RowOutcome.Outcome.REVIEW: "review",
              RowOutcome.Outcome.REJECTED: "rejected"}


def _recount(ledger_import: LedgerImport) -> None:
    """The import's figures from its rows' outcomes, so they always add up."""
    from django.db.models import Count

    figures = dict.fromkeys(set(COUNTED_AS.values()), 0)
    for row in ledger_import.outcomes.values("outcome").annotate(n=Count("pk")):
        figures[COUNTED_AS[row["outcome"]]] += row["n"]
    LedgerImport.objects.filter(pk=ledger_import.pk).update(**figures)


# --- Templates ---

def do_save_template(*, actor, code: str, name: str, columns: list[dict], tag=None,
                     legal_basis: str, defaults: dict | None = None,
                     department=None) -> LedgerTemplate:
    """Save a department's column mapping; it is used again when a ledger's headers
    match. The built-in templates cannot be changed."""
    if not may_import(actor):
        raise Forbidden(_("Only the registry's editors keep ledger templates."))
    errors: dict[str, list[str]] = {}
    if not code.strip() or not name.strip():
        errors["name"] = [_("Give the template a code and a name.")]
    fields = [c.get("field") for c in columns if c.get("field")]
    if "name" not in fields:
        errors["columns"] = [_("Say which column holds the name.")]
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        errors["columns"] = [_("Unknown registry fields: %(fields)s.")
                             % {"fields": ", ".join(unknown)}]
    if len(fields) != len(set(fields)):
        errors["columns"] = [_("Each registry field can come from one column only.")]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        existing = LedgerTemplate.objects.filter(code=code.strip()).first()
        if existing is not None and existing.builtin:
            raise Conflict(_("The built-in templates cannot be changed; save under another "
                             "code."), code="builtin_template")
        if existing is not None and existing.created_by_id != getattr(actor, "pk", None):
            raise Conflict(_("Another person's template has this code; choose another."),
                           code="template_taken")
        template, created = LedgerTemplate.objects.update_or_create(
            code=code.strip()[:40], defaults={
                "name": name.strip()[:80], "columns": columns, "tag": tag,
                "legal_basis": legal_basis,
                # A person the ledger says nothing more of lodges in the room (常住).
                "defaults": {**REGISTRY_DEFAULTS, **(defaults or {})},
                "department": department, "created_by": actor,
                "header_signature": header_signature(c["header"] for c in columns)})
        do_record_audit(action=AuditEntry.Action.CREATE if created
                        else AuditEntry.Action.UPDATE, actor=actor,
                        object_type="ledger_template", object_id=template.pk,
                        object_repr=template.name[:60],
                        changes={"columns": [f"{c['header']}→{c.get('field') or '-'}"
                                             for c in columns]})
    return template


def template_for_headers(headers) -> LedgerTemplate | None:
    """A saved template whose headers are exactly these (in any order)."""
    return (LedgerTemplate.objects.filter(header_signature=header_signature(headers))
            .order_by("-builtin", "code").first())


def template_covering(headers) -> LedgerTemplate | None:
    """Else the template whose columns hold every one of these headers."""
    wanted = {normalise_header(h) for h in headers if normalise_header(h)}
    for template in LedgerTemplate.objects.order_by("-builtin", "code"):
        if wanted and wanted <= {normalise_header(c["header"]) for c in template.columns}:
            return template
    return None


# --- Ledgers back out ---

def may_export_whole(actor) -> bool:
    """Whether an export by this actor could hold whole ID numbers or phones."""
    from warmgrid.accounts.scopes import REVEALERS, grants_of

    roles = REVEALERS["id_number"] | REVEALERS["phone"]
    return any(g.role in roles for g in grants_of(actor))


def do_request_export(*, actor, template: LedgerTemplate, file_format: str,
                      reason: str = "") -> LedgerExport:
    """Queue an export. One that would hold whole identifiers needs a reason, as a
    single reveal does; it is audited with the file."""
    from warmgrid.accounts.scopes import registry_read_paths

    if registry_read_paths(actor) == []:
        raise Forbidden(_("Only those who read the registry export ledgers."))
    if file_format not in LedgerExport.Format.values:
        raise ValidationFailed(fields={"file_format": [_("Choose .xlsx or .csv.")]})
    reason = " ".join(reason.split())[:200]
    if may_export_whole(actor) and len(reason) < 4:
        raise ValidationFailed(_("Say why this ledger is needed: it holds whole ID numbers "
                                 "and phones."), fields={"reason": [_("Give a reason.")]})
    return LedgerExport.objects.create(template=template, created_by=actor,
                                       file_format=file_format, reason=reason)


def do_collect_export(*, actor, job: LedgerExport) -> bytes | None:
    """Hand the file over once and delete it: a ledger with whole identifiers should not
    wait on the server."""
    with transaction.atomic():
        locked = LedgerExport.objects.select_for_update().get(pk=job.pk)
        if not locked.file_cipher:
            return None
        content = open_file(locked)
        locked.file_cipher = ""
        locked.save(update_fields=["file_cipher"])
    return content


def _export_value(actor, resident: Resident, name: str, membership, reveal: dict) -> str:
    from warmgrid.people.identifiers import open_id_number, open_phone

    household = resident.household
    if name == "id_number":
        if not resident.id_number_cipher:
            return ""
        return (open_id_number(resident.id_number_cipher) if reveal["id_number"]
                else resident.id_number_masked)
    if name == "phone":
        if not resident.phone_cipher:
            return ""
        return open_phone(resident.phone_cipher) if reveal["phone"] else resident.phone_masked
    if name == "birth_date":  # digits 7-14 of the ID number: whole only with it
        return (resident.birth_date.isoformat() if reveal["id_number"]
                else str(resident.birth_date.year))
    if name == "gender":
        return {"M": "男", "F": "女"}.get(resident.gender, "")
    if name == "building":
        return household.building.name
    if name in ("unit", "room"):
        return getattr(household, name)
    if name in ("relation", "residence_status"):
        return str(getattr(resident, f"get_{name}_display")())
    if name in ("valid_from", "valid_until"):
        value = getattr(membership, name, None) if membership else None
        return value.isoformat() if value else ""
    return str(getattr(resident, name, "") or "")


def run_export(job: LedgerExport) -> LedgerExport:
    """Write the ledger: the template's columns in its order, one row per resident it
    lists in the requester's areas; ID numbers and phones whole only where the
    requester's role may reveal them there (and then the export says so in the audit)."""
    from django.utils import translation

    from warmgrid.accounts.scopes import may_reveal
    from warmgrid.ledgers.queries import ledger_residents
    from warmgrid.lib.ledgers import writing

    if not LedgerExport.objects.filter(pk=job.pk, status=LedgerExport.Status.QUEUED).update(
            status=LedgerExport.Status.RUNNING):
        job.refresh_from_db()
        return job
    actor, template = job.created_by, job.template
    residents = ledger_residents(actor, template)
    if template.tag_id:  # the period of each resident's membership, in the same pass
        residents = residents.prefetch_related(Prefetch(
            "tags", queryset=ResidentTag.objects.filter(tag_id=template.tag_id)
            .order_by("-valid_from"), to_attr="ledger_memberships"))
    total = residents.count()
    LedgerExport.objects.filter(pk=job.pk).update(rows_total=total)
    columns = [c for c in template.columns if c.get("field")]
    sensitive = {"id_number", "phone"} & {c["field"] for c in columns}
    rows, whole = [], False
    try:
        with translation.override("zh-hans"):  # a department's ledger is in Chinese
            for n, resident in enumerate(residents.iterator(chunk_size=2000), start=1):
                reveal = {field: field in sensitive
                          and may_reveal(actor, field, resident.area_path)
                          for field in ("id_number", "phone")}
                whole = whole or any(reveal.values())
                memberships = getattr(resident, "ledger_memberships", None)
                rows.append([_export_value(actor, resident, c["field"],
                                           memberships[0] if memberships else None, reveal)
                             for c in columns])
                if n % 500 == 0:
                    LedgerExport.objects.filter(pk=job.pk).update(rows_done=n)
        buffer = io.BytesIO()
        write = writing.write_xlsx if job.file_format == "xlsx" else writing.write_csv
        write(buffer, headers=[c["header"] for c in columns], rows=rows,
              exported_by=actor.get_username(), exported_at=timezone.localtime())
    except Exception:
        logger.exception("ledger export %s failed", job.pk)
        LedgerExport.objects.filter(pk=job.pk).update(
            status=LedgerExport.Status.FAILED, finished_at=timezone.now(),
            error=str(_("The export failed; try again, or tell the operator.")))
        job.refresh_from_db()
        return job
    content = buffer.getvalue()
    LedgerExport.objects.filter(pk=job.pk).update(
        status=LedgerExport.Status.DONE, rows_done=total, whole_identifiers=whole,
        file_cipher=seal_file(content), finished_at=timezone.now())
    do_record_audit(action=AuditEntry.Action.EXPORT, actor=actor, object_type="ledger",
                    object_id=job.pk, object_repr=template.name[:60],
                    area_path=primary_area_path(actor),
                    changes={"template": template.code, "rows": total,
                             "format": job.file_format, "whole_identifiers": whole,
                             "reason": job.reason})
    job.refresh_from_db()
    return job
