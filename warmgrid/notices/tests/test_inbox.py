"""The inbox pages and the unread badge: only the recipient sees a notice."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from warmgrid.notices.models import Notice

INBOX = reverse("notices:inbox")
READ_ALL = reverse("notices:read_all")
HTMX = {"HTTP_HX_REQUEST": "true"}


def make(user, n=1, *, url="/cases/1/", subject="Case #%s is closed.", read=False):
    start = timezone.now() - dt.timedelta(hours=n)
    made = [Notice.objects.create(recipient=user, kind="case_closed", subject=subject % i,
                                  url=url, created_at=start + dt.timedelta(minutes=i),
                                  read_at=timezone.now() if read else None)
            for i in range(1, n + 1)]
    return made[0] if n == 1 else made


def read_url(notice):
    return reverse("notices:read", args=[notice.pk])


def open_url(notice):
    return reverse("notices:open", args=[notice.pk])


def test_it_lists_my_notices_newest_first_unread_marked(world, login):
    older, newer = make(world.worker_a, 2)
    make(world.worker_b, subject="Someone else's case #%s")
    Notice.objects.filter(pk=older.pk).update(read_at=timezone.now())
    html = login(world.worker_a).get(INBOX).content.decode()
    assert html.index("Case #2 is closed.") < html.index("Case #1 is closed.")
    assert re.search(rf'id="notice-{newer.pk}" class="wg-notice wg-notice-unread"', html)
    assert re.search(rf'id="notice-{older.pk}" class="wg-notice"', html)
    assert "Someone else" not in html


def test_the_inbox_is_paginated_with_few_queries(world, login, django_assert_max_num_queries):
    make(world.worker_a, 25)
    client = login(world.worker_a)
    # Session, user, grants, badge, page count, page, and the session saved (3).
    with django_assert_max_num_queries(9):
        first = client.get(INBOX).content.decode()
    assert first.count('class="wg-notice') == 20
    assert "Page 1 of 2" in first
    assert login(world.worker_a).get(INBOX + "?page=2").content.decode() \
        .count('class="wg-notice') == 5


def test_the_badge_is_one_count_query(world, login):
    make(world.worker_a, 3)
    make(world.worker_a, 2, read=True)
    client = login(world.worker_a)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("home")).content.decode()
    on_notices = [q["sql"] for q in queries.captured_queries if "notices_notice" in q["sql"]]
    assert len(on_notices) == 1 and "COUNT(" in on_notices[0].upper()
    assert re.search(r'<mark id="wg-unread-badge"[^>]*>3</mark>', html)


def test_no_badge_when_all_is_read(world, login):
    make(world.worker_a, read=True)
    html = login(world.worker_a).get(reverse("home")).content.decode()
    assert re.search(r'<mark id="wg-unread-badge"[^>]* hidden', html)


def test_mark_one_read(world, login):
    mine = make(world.worker_a)
    response = login(world.worker_a).post(read_url(mine))
    assert response.status_code == 302 and response["Location"] == INBOX
    assert Notice.objects.get(pk=mine.pk).read_at is not None


def test_mark_one_read_with_htmx_swaps_the_row_and_the_badge(world, login):
    mine, _other = make(world.worker_a, 2)
    response = login(world.worker_a).post(read_url(mine), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'id="notice-{mine.pk}" class="wg-notice"' in html and "Mark as read" not in html
    assert re.search(r'<mark id="wg-unread-badge"[^>]*hx-swap-oob="true"[^>]*>1</mark>', html)


def test_mark_all_read(world, login):
    make(world.worker_a, 3)
    theirs = make(world.worker_b)
    client = login(world.worker_a)
    response = client.post(READ_ALL, **HTMX)
    assert 'id="notice-list"' in response.content.decode()
    assert re.search(r'hx-swap-oob="true" hidden', response.content.decode())
    assert not Notice.objects.filter(recipient=world.worker_a, read_at__isnull=True).exists()
    assert Notice.objects.get(pk=theirs.pk).read_at is None
    assert client.post(READ_ALL).status_code == 302


@pytest.mark.parametrize("who", ["worker_b", "leader_a", "street_admin", "system_admin",
                                 "outsider"])
def test_nobody_else_sees_or_marks_my_notice(world, login, who):
    mine = make(world.worker_a)
    client = login(getattr(world, who))
    assert client.get(open_url(mine)).status_code == 404
    assert client.post(open_url(mine)).status_code == 404
    assert client.post(read_url(mine)).status_code == 404
    assert client.post(read_url(mine), **HTMX).status_code == 404
    assert "Case #1" not in client.get(INBOX).content.decode()
    assert Notice.objects.get(pk=mine.pk).read_at is None


def test_opening_a_notice_marks_it_read_and_follows_its_link(world, login):
    mine = make(world.worker_a, url="/cases/7/")
    response = login(world.worker_a).get(open_url(mine))
    assert response.status_code == 302 and response["Location"] == "/cases/7/"
    assert Notice.objects.get(pk=mine.pk).read_at is not None


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/x",
                                 "/\\evil.example", "javascript:alert(1)", "cases/7/",
                                 "http://testserver/cases/7/", ""])
def test_opening_never_leaves_the_site(world, login, url):
    mine = make(world.worker_a, url=url)
    response = login(world.worker_a).get(open_url(mine))
    assert response.status_code == 302 and response["Location"] == INBOX


def test_the_inbox_needs_a_login(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
