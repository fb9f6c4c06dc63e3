"""Writing instruments: import an XLSForm as a version, publish (freeze) a version."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from warmgrid.accounts.models import Role
from warmgrid.accounts.scopes import is_system_admin, roles_of
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.errors import Conflict, Forbidden, ValidationFailed
from warmgrid.lib.warmth import instrument as xlsform
from warmgrid.warmth.models import Instrument, InstrumentVersion

FORMATS = (".xlsx", ".xls", ".md")


def may_manage_instruments(actor) -> bool:
    """District admins and system admins; None is the operator at the command line."""
    return actor is None or is_system_admin(actor) or Role.DISTRICT_ADMIN in roles_of(actor)


def _check(actor) -> None:
    if not may_manage_instruments(actor):
        raise Forbidden(_("Only district administrators manage survey instruments."))


def _summary(form: xlsform.Instrument) -> dict:
    return {"questions": len(form.questions), "items": len(form.items),
            "facets": sorted({i.facet for i in form.items}),
            "dimensions": sorted({i.dimension for i in form.items}),
            "languages": list(form.languages), "default_language": form.default_language,
            "minutes": round(xlsform.estimated_minutes(form), 1)}


def _read(name: str, content: bytes) -> tuple[xlsform.Instrument, str]:
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise ValidationFailed(_("An instrument is an XLSForm: .xlsx, .xls or .md."),
                               code="instrument_format")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"form{suffix}"
        path.write_bytes(content)
        try:
            return xlsform.read_instrument(path), xlsform.to_xform(path)
        except ValueError as exc:
            raise ValidationFailed(_("This form cannot be used: %(reason)s")
                                   % {"reason": exc}, code="instrument_invalid") from exc


def do_import_instrument(*, actor, name: str, content: bytes) -> tuple[InstrumentVersion, bool]:
    """Store an XLSForm as a version of its instrument; returns (version, created).

    The same file again changes nothing. Other content under a version that is not yet
    published replaces that draft; under a published version it is refused."""
    _check(actor)
    form, xform = _read(name, content)
    if not form.form_id or not form.version:
        raise ValidationFailed(_("Give the form a form_id and a version in its settings "
                                 "sheet."), code="instrument_unversioned")
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        instrument, _created = Instrument.objects.select_for_update().get_or_create(
            form_id=form.form_id, defaults={"title": form.title or form.form_id})
        existing = instrument.versions.filter(version=form.version).first()
        if existing is not None and existing.digest == digest:
            return existing, False
        if existing is not None and existing.is_published:
            raise Conflict(_("Version %(version)s of %(form_id)s is published and frozen: "
                             "give the changed form a new version in its settings sheet.")
                           % {"version": form.version, "form_id": form.form_id},
                           code="instrument_version_frozen")
        fields = {"source_name": Path(name).name[:200], "source": content, "digest": digest,
                  "xform": xform, "summary": _summary(form)}
        if existing is None:
            version = InstrumentVersion.objects.create(instrument=instrument,
                                                       version=form.version, **fields)
        else:
            for key, value in fields.items():
                setattr(existing, key, value)
            existing.save()
            version = existing
        instrument.title = form.title or instrument.title
        instrument.save(update_fields=["title"])
        do_record_audit(action=AuditEntry.Action.CREATE if existing is None
                        else AuditEntry.Action.UPDATE, actor=actor,
                        object_type="instrument_version", object_id=version.pk,
                        object_repr=str(version)[:60],
                        changes={"digest": digest, "items": len(form.items)})
    return version, existing is None


def do_publish_version(*, actor, version: InstrumentVersion) -> InstrumentVersion:
    """Freeze a version for collection; publishing twice is a no-op."""
    _check(actor)
    with transaction.atomic():
        moved = (InstrumentVersion.objects.filter(pk=version.pk, published_at__isnull=True)
                 .update(published_at=timezone.now()))
        version.refresh_from_db()
        if moved:
            do_record_audit(action=AuditEntry.Action.UPDATE, actor=actor,
                            object_type="instrument_version", object_id=version.pk,
                            object_repr=str(version)[:60], changes={"published": True})
    return version
