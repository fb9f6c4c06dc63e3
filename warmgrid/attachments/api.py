"""Case photos over the JSON API: parse, access, action, respond.

Photos are sent as multipart/form-data (the one body here that is not JSON): `photos`,
one to nine files. The reporter's photos join the report; a handler's photos come with a
note, which becomes a step in the case's history, as on the case page.
"""

from __future__ import annotations

from typing import Literal

from django.db import transaction
from django.urls import reverse
from ninja import File, Form, Router, Schema, Status, UploadedFile

from warmgrid.accounts.http import client_ip
from warmgrid.accounts.scopes import may_handle_case
from warmgrid.api.errors import READ_ERRORS, WRITE_ERRORS, Id, Text
from warmgrid.attachments import queries
from warmgrid.attachments.actions import check_photos, do_attach_photos
from warmgrid.attachments.models import Attachment
from warmgrid.attachments.views import photo_response
from warmgrid.cases import actions as case_actions
from warmgrid.cases.queries import access_case_for_user

router = Router(tags=["photos"])

IMAGE = {"schema": {"type": "string", "format": "binary"}}
PHOTO_FILE = {"responses": {"200": {
    "description": "The photo, re-encoded without metadata, as a download.",
    "content": {"image/jpeg": IMAGE, "image/png": IMAGE, "image/webp": IMAGE}}}}


# The parts of the multipart body, optional (a default in the signature would still make
# ninja require them): no photos at all is the action's own error, in its own words.
FILES_PART = File(None)
NOTE_PART = Form("")
KIND_PART = Form(None)


class PhotoOut(Schema):
    id: int
    url: str
    preview_url: str
    content_type: str
    size: int
    width: int
    height: int
    kind: str
    step_id: int | None
    original_name: str
    created_at: str

    @staticmethod
    def resolve_url(photo: Attachment) -> str:
        return reverse("api:photo_file", kwargs={"attachment_id": photo.pk})

    @staticmethod
    def resolve_preview_url(photo: Attachment) -> str:
        return reverse("api:photo_file", kwargs={"attachment_id": photo.pk}) + "?size=preview"

    @staticmethod
    def resolve_step_id(photo: Attachment) -> int | None:
        return photo.event_id

    @staticmethod
    def resolve_created_at(photo: Attachment) -> str:
        return photo.created_at.isoformat()


@router.get("/cases/{case_id}/photos", operation_id="listCasePhotos",
            summary="The photos of a case", response={200: list[PhotoOut], **READ_ERRORS})
def list_photos(request, case_id: Id):
    case = access_case_for_user(request.user, case_id)
    return list(queries.photos_visible_on(request.user, case))


@router.post("/cases/{case_id}/photos", operation_id="addCasePhotos",
             summary="Add photos to a case (multipart/form-data)",
             response={201: list[PhotoOut], **WRITE_ERRORS})
def add_photos(request, case_id: Id, photos: list[UploadedFile] | None = FILES_PART,
               note: Text(2000) = NOTE_PART,
               kind: Literal["report", "handling"] | None = KIND_PART):
    """Up to 9 JPEG, PNG or WebP photos at a time, each within the size limit; the type is
    read from the bytes, and location and every other metadata are removed. `kind`:
    "report" (the reporter's, with the report) or "handling" (with `note`, which is
    required and becomes a step). Without `kind`: handling for whoever handles the case,
    report for its reporter."""
    user = request.user
    case = access_case_for_user(user, case_id)
    checked = check_photos(photos or [])
    if kind is None:
        handles = may_handle_case(user, area_path=case.area_path,
                                  department_id=case.lead_department_id)
        kind = (Attachment.Kind.REPORT if case.reporter_id == user.pk and not handles
                else Attachment.Kind.HANDLING)
    with transaction.atomic():
        step = None
        if kind == Attachment.Kind.HANDLING:
            step = case_actions.do_add_note(actor=user, case=case, note=note)
        stored = do_attach_photos(actor=user, case=case, files=checked, event=step,
                                  kind=kind, ip_address=client_ip(request))
    return Status(201, stored)


@router.get("/attachments/{attachment_id}", operation_id="getPhotoFile", url_name="photo_file",
            summary="One photo's file", response=READ_ERRORS, openapi_extra=PHOTO_FILE)
def photo_file(request, attachment_id: Id, size: Literal["full", "preview"] = "full"):
    attachment = queries.access_attachment_for_user(request.user, attachment_id)
    return photo_response(attachment, preview=size == "preview")
