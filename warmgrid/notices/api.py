"""The inbox over the JSON API: a person's own notices only."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema
from pydantic import StrictBool

from warmgrid.api.errors import LIST_ERRORS, WRITE_ERRORS, Id, PageIn, page_of
from warmgrid.notices.actions import do_mark_all_read, do_mark_read
from warmgrid.notices.queries import inbox_of
from warmgrid.people.schemas import StrictIn

router = Router(tags=["notices"])
MAX_IDS = 500


class NoticeOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    url: str
    case_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NoticePage(Schema):
    items: list[NoticeOut]
    count: int  # with ?unread=true, the unread count (what the badge shows)


class NoticeFilter(PageIn):
    unread: bool = False


class ReadIn(StrictIn):
    ids: list[Id] = Field(default_factory=list, max_length=MAX_IDS)
    all: StrictBool = False  # 0 or "yes" is a 422, not a guess


class ReadOut(Schema):
    marked: int


@router.get("/notices", operation_id="listNotices", summary="Your notices, newest first",
            response={200: NoticePage, **LIST_ERRORS})
def list_notices(request, filters: Query[NoticeFilter]):
    notices = inbox_of(request.user)
    if filters.unread:
        notices = notices.filter(read_at__isnull=True)
    items, count = page_of(notices, filters)
    return {"items": items, "count": count}


@router.post("/notices/read", operation_id="markNoticesRead",
             summary="Mark your notices read (ids, or all)",
             response={200: ReadOut, **WRITE_ERRORS})
def mark_notices_read(request, data: ReadIn):
    """Ids of notices that are not yours are ignored: nothing says whether they exist."""
    if data.all:
        return {"marked": do_mark_all_read(user=request.user)}
    return {"marked": do_mark_read(user=request.user, notice_ids=data.ids)}
