"""Reads of case photos. A photo is seen by whoever may read its case — except that the
photos of internal steps (notes between the units) are, like the notes themselves, for
the staff over the case only: a reporter sees the photos of the report and the result."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from warmgrid.accounts.scopes import (
    case_departments_of,
    may_handle_case,
    registry_read_paths,
)
from warmgrid.attachments.models import Attachment
from warmgrid.cases.models import Case
from warmgrid.cases.queries import access_case_for_user

# Steps whose photos the reporter sees, as they see the step's text.
PUBLIC_STEPS = ("report", "resolve")


def reads_case_internals(user, case: Case) -> bool:
    """Staff over the case, who see its internal notes: registry readers of its area, its
    handlers and dispatchers, and its assisting and copied (协办, 抄送) units. The case
    page's rule (cases.views._reads_as_staff); a test keeps the two equal."""
    paths = registry_read_paths(user)
    if paths is None or any(case.area_path.startswith(p) for p in paths):
        return True
    if may_handle_case(user, area_path=case.area_path, department_id=case.lead_department_id):
        return True
    departments = case_departments_of(user, case.area_path)
    return bool(departments) and case.units.filter(department_id__in=departments).exists()


def _public(attachment: Attachment) -> bool:
    return (attachment.kind == Attachment.Kind.REPORT
            or (attachment.event is not None and attachment.event.action in PUBLIC_STEPS))


def photos_visible_on(user, case: Case) -> QuerySet[Attachment]:
    """The photos of a case (which the user may read) that this user may see, oldest
    first."""
    photos = Attachment.objects.filter(case=case).select_related("event")
    if not reads_case_internals(user, case):
        photos = photos.filter(Q(kind=Attachment.Kind.REPORT)
                               | Q(event__action__in=PUBLIC_STEPS))
    return photos.order_by("created_at", "id")


def access_attachment_for_user(user, attachment_id) -> Attachment:
    """The photo, if the user may read its case (and its step); otherwise 404."""
    try:
        attachment = Attachment.objects.select_related("event").get(pk=int(attachment_id))
    except (Attachment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    case = access_case_for_user(user, attachment.case_id)
    if not _public(attachment) and not reads_case_internals(user, case):
        raise Http404
    attachment.case = case
    return attachment


def with_photos(user, case: Case, events: list, *, internal: bool | None = None) -> list:
    """The case's history with each step's visible photos on it as `.photos` (one
    query), for the timeline. `internal`: the page's own answer to reads_case_internals."""
    photos = Attachment.objects.filter(case=case).select_related("event")
    if internal is None:
        internal = reads_case_internals(user, case)
    if not internal:
        photos = photos.filter(Q(kind=Attachment.Kind.REPORT)
                               | Q(event__action__in=PUBLIC_STEPS))
    by_event: dict[int, list[Attachment]] = {}
    for photo in photos.order_by("created_at", "id"):
        by_event.setdefault(photo.event_id, []).append(photo)
    for event in events:
        event.photos = by_event.get(event.pk, [])
    return events
