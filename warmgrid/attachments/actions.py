"""Writes of case photos: check every upload (type from its bytes, size, pixels), strip it
to its pixels (warmgrid/lib/images.py), store it under a random name, audit it.

Pages check the photos before they write anything else (`check_photos`), so a report or
a step with one bad photo is refused whole, with a message naming the file; then they
pass the checked photos to `do_attach_photos` in the same transaction as the step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmgrid.accounts.scopes import may_handle_case
from warmgrid.attachments.models import Attachment
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.cases.models import Case, CaseEvent
from warmgrid.errors import Conflict, Forbidden, ValidationFailed
from warmgrid.lib import images

MAX_PHOTOS = 9  # with one report, or one handling step
NAME_LENGTH = 100

REFUSALS = {
    "not_an_image": _("“%(name)s” is not a JPEG, PNG or WebP photo."),
    "too_large": _("“%(name)s” is larger than %(limit)s MB."),
    "too_many_pixels": _("“%(name)s” has too many pixels: at most %(limit)s megapixels."),
    "unreadable": _("“%(name)s” is damaged or incomplete and cannot be read."),
}


@dataclass(frozen=True)
class CheckedPhoto:
    """An upload that passed every check, already stripped to its pixels."""

    original_name: str
    image: images.CleanImage


def max_upload_bytes() -> int:
    return int(getattr(settings, "WARMGRID_UPLOAD_MAX_BYTES", images.MAX_BYTES))


def display_name(name: str | None) -> str:
    """The uploader's file name, for display only: no folders, no control characters,
    at most 100 characters (the extension kept)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = " ".join(name.split())
    if len(name) > NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:10] if dot and stem else ""
        room = NAME_LENGTH - (len(extension) + 1 if extension else 0)
        name = (stem if extension else name)[:room].rstrip() + (f".{extension}" if extension
                                                                 else "")
    return name


def _refusal(code: str, name: str, limit: int) -> str:
    figures = {"too_large": round(limit / 1024 / 1024, 1),
               "too_many_pixels": images.MAX_PIXELS // 1_000_000}
    limit_text = figures.get(code, "")
    if isinstance(limit_text, float) and limit_text.is_integer():
        limit_text = int(limit_text)
    return str(REFUSALS[code] % {"name": name or _("(no name)"), "limit": limit_text})


def check_photos(files) -> list[CheckedPhoto]:
    """Every upload checked and cleaned, or ValidationFailed on "photos" with one message
    per bad file. The size is checked before a byte is decoded."""
    files = list(files or [])
    if len(files) > MAX_PHOTOS:
        raise ValidationFailed(fields={"photos": [str(_(
            "Choose at most %(limit)s photos.") % {"limit": MAX_PHOTOS})]},
            code="too_many_photos")
    limit = max_upload_bytes()
    checked, problems = [], []
    for upload in files:
        if isinstance(upload, CheckedPhoto):
            checked.append(upload)
            continue
        name = display_name(getattr(upload, "name", ""))
        if upload.size is not None and upload.size > limit:
            problems.append(_refusal("too_large", name, limit))
            continue
        upload.seek(0)
        data = upload.read(limit + 1)
        try:
            image = images.clean_image(data, max_bytes=limit)
        except images.ImageRejected as exc:
            problems.append(_refusal(exc.code, name, limit))
            continue
        checked.append(CheckedPhoto(original_name=name, image=image))
    if problems:
        raise ValidationFailed(fields={"photos": problems}, code="bad_photo")
    return checked


def _report_event(case: Case) -> CaseEvent | None:
    return case.events.filter(action="report").order_by("at", "id").first()


def _check_allowed(actor, case: Case, kind: str, event: CaseEvent | None) -> None:
    """Report photos: the person who reported it. Handling photos: whoever may handle or
    dispatch it, or who wrote the step they go with (an assisting unit's note). Both only
    while it is open."""
    actor_id = getattr(actor, "pk", None)
    if kind == Attachment.Kind.REPORT:
        allowed = case.reporter_id is not None and case.reporter_id == actor_id
    else:
        allowed = (may_handle_case(actor, area_path=case.area_path,
                                   department_id=case.lead_department_id)
                   or (event is not None and actor_id is not None
                       and event.actor_id == actor_id))
    if not allowed:
        raise Forbidden(_("You can add photos only to your own reports or to cases you "
                          "handle."))
    if not case.is_open:
        raise Conflict(_("This case is closed; photos can no longer be added."),
                       code="not_open")


def do_attach_photos(*, actor, case: Case, files, kind: str, event: CaseEvent | None = None,
                     ip_address: str = "", now=None) -> list[Attachment]:
    """Store photos with a case: with its report (`kind="report"`, the report event) or
    with a handling step (`kind="handling"`, the note or result event). `files` are
    uploads or the CheckedPhotos that check_photos returned."""
    if kind not in Attachment.Kind.values:
        raise ValueError(kind)
    if event is not None and event.case_id != case.pk:
        raise ValueError("the step belongs to another case")
    _check_allowed(actor, case, kind, event)
    photos = check_photos(files)
    if not photos:
        raise ValidationFailed(fields={"photos": [str(_("Choose at least one photo."))]},
                               code="no_photos")
    if kind == Attachment.Kind.REPORT and event is None:
        event = _report_event(case)
    now = now or timezone.now()
    written: list[str] = []
    try:
        with transaction.atomic():
            # One step's photos are counted under a lock on the case, so two uploads at
            # once cannot pass nine together.
            Case.objects.select_for_update().filter(pk=case.pk).first()
            siblings = Attachment.objects.filter(case=case)
            siblings = (siblings.filter(kind=Attachment.Kind.REPORT)
                        if kind == Attachment.Kind.REPORT
                        else siblings.filter(event=event) if event is not None
                        else siblings.none())
            already = siblings.count()
            if already + len(photos) > MAX_PHOTOS:
                raise ValidationFailed(fields={"photos": [str(_(
                    "At most %(limit)s photos can go with one report or step; this one "
                    "already has %(count)s.") % {"limit": MAX_PHOTOS, "count": already})]},
                    code="too_many_photos")
            attachments = []
            for photo in photos:
                attachments.append(_store(photo, actor=actor, case=case, event=event,
                                          kind=kind, now=now, written=written))
            do_record_audit(
                action=AuditEntry.Action.UPDATE,
                actor=actor if getattr(actor, "pk", None) else None,
                ip_address=ip_address, object_type="case", object_id=case.pk,
                object_repr=case.description[:60], area_path=case.area_path,
                changes={"photos_added": len(attachments), "kind": kind,
                         "step": event.pk if event is not None else None},
            )
    except BaseException:
        # The rows are gone with the transaction; the files would stay behind.
        for name in written:
            Attachment._meta.get_field("file").storage.delete(name)
        raise
    return attachments


def _store(photo: CheckedPhoto, *, actor, case: Case, event, kind: str, now,
           written: list[str]) -> Attachment:
    image = photo.image
    attachment = Attachment(
        case=case, event=event, kind=kind,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        original_name=photo.original_name, content_type=image.mime_type,
        size=len(image.data), width=image.width, height=image.height,
        sha256=hashlib.sha256(image.data).hexdigest(), created_at=now,
    )
    # The name given here only carries the extension; photo_path makes the real one.
    attachment.file.save(f"photo.{image.extension}", ContentFile(image.data), save=False)
    written.append(attachment.file.name)
    attachment.preview.save(f"photo.{image.extension}", ContentFile(image.preview),
                            save=False)
    written.append(attachment.preview.name)
    attachment.save(force_insert=True)
    return attachment


ORPHAN_GRACE = dt.timedelta(hours=1)


def do_prune_orphan_files(*, older_than: dt.timedelta = ORPHAN_GRACE, dry_run: bool = False,
                          now=None) -> list[str]:
    """Delete photo files no Attachment row names: left behind when the transaction that
    stored them failed after they were written (the rows went, the files stayed). Files
    younger than `older_than` are left alone, as their upload may still be committing.
    Walks one month folder at a time, reading only that month's names. Audited with the
    count; returns the names (deleted, or that would be with `dry_run`)."""
    storage = Attachment._meta.get_field("file").storage
    now = now or timezone.now()
    orphans = []
    for folder in _month_folders(storage):
        known = set()
        for file, preview in Attachment.objects.filter(file__startswith=folder) \
                .values_list("file", "preview"):
            known.update((file, preview))
        _, names = storage.listdir(folder)
        for name in sorted(names):
            path = f"{folder}{name}"
            if path not in known and now - storage.get_modified_time(path) > older_than:
                orphans.append(path)
    if not dry_run and orphans:
        for path in orphans:
            storage.delete(path)
        do_record_audit(action=AuditEntry.Action.DELETE, actor_username="warmgrid attachments",
                        object_type="attachment_files", object_repr="orphan photo files",
                        changes={"deleted": len(orphans)})
    return orphans


def _month_folders(storage) -> list[str]:
    """cases/<yyyy>/<mm>/ folders that exist (models.photo_path writes there)."""
    if not storage.exists("cases"):
        return []
    folders = []
    for year in sorted(storage.listdir("cases")[0]):
        for month in sorted(storage.listdir(f"cases/{year}")[0]):
            folders.append(f"cases/{year}/{month}/")
    return folders
