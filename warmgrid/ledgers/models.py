"""Departmental ledgers (台帐) taken into the one registry and given back out.

A template is a department's ledger format: its columns in its order, each mapped onto a
registry field (or left out), the tag it sets and the legal basis on which it holds ID
numbers and phones. An import keeps its file (encrypted) so it can be resumed, its rows'
problems (by row, column and reason — no values), each row's outcome (what happened to
it, and what a merge changed so that it can be undone), and the review queue. Each field
a ledger filled remembers where it came from; a ledger that disagrees with the registry
leaves a conflict to look at instead of overwriting.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from warmgrid.people.models import LegalBasis

# Registry fields a ledger column can fill (docs/ledgers.md lists them).
FIELDS = ("name", "id_number", "phone", "gender", "birth_date", "building", "unit", "room",
          "relation", "residence_status", "ethnicity", "occupation", "valid_from",
          "valid_until")


class LedgerTemplate(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    department = models.ForeignKey("accounts.Department", on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    # [{"header": "姓名", "field": "name"}, …] in the ledger's own order; field "" = unused.
    columns = models.JSONField(default=list)
    header_signature = models.CharField(max_length=64, db_index=True)
    # Values for fields the ledger does not carry, e.g. {"relation": "other"}.
    defaults = models.JSONField(default=dict, blank=True)
    tag = models.ForeignKey("people.Tag", on_delete=models.PROTECT, null=True, blank=True,
                            related_name="+", verbose_name=_("tag it sets"))
    legal_basis = models.CharField(_("legal basis for ID numbers and phones"), max_length=20,
                                   choices=LegalBasis.choices,
                                   default=LegalBasis.STATUTORY_DUTY)
    builtin = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ledger template")
        verbose_name_plural = _("ledger templates")
        ordering = ["code"]

    def __str__(self):
        return self.name


class LedgerImport(models.Model):
    class Status(models.TextChoices):
        MAPPING = "mapping", _("Waiting for its column mapping")
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Importing")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    template = models.ForeignKey(LedgerTemplate, on_delete=models.PROTECT, null=True,
                                 related_name="imports", verbose_name=_("template"))
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    # Who sees the import: the importer's widest area ("" for the operator's imports).
    area_path = models.CharField(max_length=255, blank=True, db_index=True)
    # Where its rows may land (null: everywhere — the operator without --area).
    write_paths = models.JSONField(null=True, blank=True)
    file_name = models.CharField(_("file"), max_length=200)
    file_digest = models.CharField(max_length=64, db_index=True)  # SHA-256 of the file
    file_cipher = models.TextField(editable=False)  # the file, encrypted (resume, reports)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+")
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)  # rows handled, in file order
    created = models.PositiveIntegerField(default=0)
    linked = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    review = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.template.code if self.template else '?'} {self.file_name}"


class RowOutcome(models.Model):
    """What became of one ledger row. Every row read has exactly one."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("New resident")
        LINKED = "linked", _("Linked to a resident")
        UNCHANGED = "unchanged", _("Already in the registry")
        REVIEW = "review", _("Waiting for review")
        MERGED = "merged", _("Merged after review")
        KEPT_APART = "kept_apart", _("Kept apart after review")
        REJECTED = "rejected", _("Rejected")

    ledger_import = models.ForeignKey(LedgerImport, on_delete=models.CASCADE,
                                      related_name="outcomes")
    sheet = models.CharField(max_length=80)
    row_number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    resident = models.ForeignKey("people.Resident", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    score = models.FloatField(null=True, blank=True)
    breakdown = models.JSONField(default=dict, blank=True)  # which fields agreed
    # What the row changed, to undo it: {field: {"old": …, "new": …}} (sealed values for
    # ID numbers and phones, never the clear number).
    changes = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ledger_import", "sheet", "row_number"],
                                               name="one_outcome_per_row")]
        indexes = [models.Index(fields=["outcome", "ledger_import"], name="outcome_queue")]

    def __str__(self):
        return f"{self.ledger_import_id}:{self.sheet}:{self.row_number} {self.outcome}"


class RowIssue(models.Model):
    """Why a row was rejected: its column and a reason code with parameters (no values:
    the annotated report reads them from the stored file)."""

    ledger_import = models.ForeignKey(LedgerImport, on_delete=models.CASCADE,
                                      related_name="issues")
    sheet = models.CharField(max_length=80)
    row_number = models.PositiveIntegerField()
    column = models.CharField(max_length=80, blank=True)
    code = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["ledger_import", "sheet", "row_number", "pk"]

    def __str__(self):
        return f"{self.row_number} {self.column} {self.code}"


class FieldSource(models.Model):
    """Where a resident's field value came from: which ledger, which row, when."""

    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE,
                                 related_name="field_sources")
    field = models.CharField(max_length=20)
    ledger_import = models.ForeignKey(LedgerImport, on_delete=models.CASCADE,
                                      related_name="+")
    sheet = models.CharField(max_length=80)
    row_number = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resident", "field", "ledger_import"],
                                               name="one_source_per_field_and_import")]

    def __str__(self):
        return f"{self.resident_id}.{self.field} ← {self.ledger_import_id}"


class FieldConflict(models.Model):
    """A ledger said something else than the registry holds: shown, not overwritten."""

    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE,
                                 related_name="field_conflicts")
    field = models.CharField(max_length=20)
    ledger_import = models.ForeignKey(LedgerImport, on_delete=models.CASCADE,
                                      related_name="conflicts")
    row_number = models.PositiveIntegerField()
    ledger_value = models.CharField(max_length=80)  # masked for ID numbers and phones
    registry_value = models.CharField(max_length=80)  # masked likewise
    resolved = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resident", "field", "ledger_value"],
                                               name="one_conflict_per_value")]

    def __str__(self):
        return f"{self.resident_id}.{self.field}"


class LedgerExport(models.Model):
    """A department's ledger produced from the registry, in the background: scoped and
    masked by its requester's role, watermarked, kept encrypted until downloaded."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (.xlsx)"
        CSV = "csv", "CSV"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Exporting")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    template = models.ForeignKey(LedgerTemplate, on_delete=models.PROTECT,
                                 related_name="exports")
    created_by = models.ForeignKey("accounts.User", on_delete=models.CASCADE,
                                   related_name="+")
    file_format = models.CharField(max_length=4, choices=Format.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    whole_identifiers = models.BooleanField(default=False)  # any ID number or phone whole
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # The file, encrypted, until it is downloaded once (then emptied).
    file_cipher = models.TextField(blank=True, editable=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.template.code} {self.file_format}"
