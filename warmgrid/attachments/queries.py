"""Reads of case photos. A photo is seen by whoever may read its case — except that the
photos of internal steps (notes between the units) are, like the notes themselves, for
the staff over the case only: a reporter sees the photos of the report and the result."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from warmgrid.attachments.models import Attachment
from warmgrid.cases.models import Case
from warmgrid.cases.queries import access_case_for_user, reads_case_internals

# Steps whose photos the reporter sees, as they see the step's text.
PUBLIC_STEPS = ("report", "resolve")


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
