"""Monthly tallies, the trends chart and recurring problems (主动治理)."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape

from django.urls import reverse
from django.utils import timezone

from warmgrid.cases.models import Case, Category
from warmgrid.supervision import queries
from warmgrid.supervision.actions import do_refresh_case_tallies
from warmgrid.supervision.models import CaseMonthTally
from warmgrid.supervision.tasks import refresh_case_tallies
from warmgrid.supervision.tests.factories import make_case

TRENDS = reverse("supervision:trends")
RECURRING = reverse("supervision:recurring")
PROBLEM = reverse("supervision:problem_cases")
HTMX = {"HTTP_HX_REQUEST": "true"}


def in_month(month: dt.date, day: int = 3, hour: int = 10) -> dt.datetime:
    return dt.datetime(month.year, month.month, day, hour, tzinfo=queries.SHANGHAI)


def months_back(n: int) -> dt.date:
    return queries.add_months(queries.local_month(timezone.now()), -n)


def tally(**filters) -> tuple[int, int]:
    rows = CaseMonthTally.objects.filter(**filters)
    return sum(r.reported for r in rows), sum(r.closed for r in rows)


def trend_data(html: str) -> dict:
    return json.loads(unescape(re.search(r'data-trend="([^"]*)"', html)[1]))


# ---- the tallies --------------------------------------------------------------------------


def test_the_tallies_count_reports_by_month_and_closings_by_closing_month(world):
    last, before = months_back(1), months_back(2)
    make_case(world, grid="a", at=in_month(before), state=Case.State.CLOSED,
              closed_at=in_month(last, day=5))
    make_case(world, grid="a", at=in_month(last))
    make_case(world, grid="a", at=in_month(last), code="noise")
    make_case(world, grid="a", at=in_month(last), state=Case.State.MERGED)  # once, not twice
    make_case(world, grid="c", at=in_month(last))
    # The first day of a month in Shanghai is still the month before in UTC.
    make_case(world, grid="b", at=in_month(last, day=1, hour=3))
    counts = do_refresh_case_tallies(full=True)
    assert counts["months"] == 15
    garbage = Category.objects.get(code="garbage")
    assert tally(month=before, grid=world.grid_a) == (1, 0)
    assert tally(month=last, grid=world.grid_a, category=garbage) == (1, 1)
    assert tally(month=last, grid=world.grid_a) == (2, 1)
    assert tally(month=last, grid=world.grid_b) == (1, 0)
    assert tally(month=last, area_path__startswith=world.street2.path) == (1, 0)
    row = CaseMonthTally.objects.get(month=last, grid=world.grid_a, category__code="noise")
    assert row.family.code == "neighbour_dispute" and row.area_path == world.grid_a.path
    # A recount gives the same rows, not twice as many.
    before_rows = CaseMonthTally.objects.count()
    do_refresh_case_tallies(full=True)
    assert CaseMonthTally.objects.count() == before_rows


def test_the_hourly_refresh_recounts_the_current_month_only(world):
    last, current = months_back(1), months_back(0)
    make_case(world, grid="a", at=in_month(last))
    do_refresh_case_tallies()  # nothing tallied before this month yet: every month
    assert tally(month=last) == (1, 0)
    make_case(world, grid="a", at=in_month(last))  # a late import into last month
    make_case(world, grid="a", at=timezone.now() - dt.timedelta(minutes=1))
    refresh_case_tallies.run()
    assert tally(month=last) == (1, 0)  # left for the nightly recount
    assert tally(month=current) == (1, 0)
    refresh_case_tallies.run(full=True)
    assert tally(month=last) == (2, 0)


# ---- trends -------------------------------------------------------------------------------


def test_trends_show_the_scopes_months_by_family(world, login, django_assert_max_num_queries):
    last = months_back(1)
    for _ in range(3):
        make_case(world, grid="a", at=in_month(last))
    make_case(world, grid="b", at=in_month(last), code="noise", state=Case.State.CLOSED,
              closed_at=in_month(last, day=9))
    for _ in range(7):
        make_case(world, grid="c", at=in_month(last), code="noise")
    do_refresh_case_tallies(full=True)
    client = login(world.street_admin)
    client.get(TRENDS)
    with django_assert_max_num_queries(9):
        response = client.get(TRENDS, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="wg-trends">') and "<html" not in html
    data = trend_data(html)
    assert len(data["months"]) == 12 and data["months"][-2] == f"{last:%Y-%m}"
    series = {s["name"]: s["data"] for s in data["series"]}
    assert series["Sanitation"][-2] == 3 and series["Neighbour dispute"][-2] == 1
    assert series["All reported"][-2] == 4 and series["Closed"][-2] == 1
    assert sum(series["All reported"]) == 4  # street 2's seven never show
    page = login(world.street2_admin).get(TRENDS).content.decode()
    assert trend_data(page)["series"][-2]["data"][-2] == 7
    assert "<html" in page  # without htmx it is a page of its own


def test_trends_without_tallies_say_so(world, login):
    html = login(world.community_staff).get(TRENDS).content.decode()
    assert "No monthly figures yet" in html and "data-trend=" not in html


def test_the_board_loads_its_trends_afterwards(world, login):
    html = login(world.street_admin).get(reverse("supervision:board")).content.decode()
    assert f'hx-get="{TRENDS}" hx-trigger="load"' in html


def test_trends_and_recurring_are_for_supervisors_only(world, login):
    for url in (TRENDS, RECURRING, f"{PROBLEM}?grid={world.grid_a.pk}&category=garbage"
                                   f"&month={months_back(1):%Y-%m}"):
        for persona in ("worker_a", "leader_a", "resident_a", "handler", "outsider"):
            assert login(getattr(world, persona)).get(url).status_code == 404, (url, persona)
        assert login(world.street_admin).get(url).status_code == 200, url


# ---- recurring problems -------------------------------------------------------------------


def recurring_world(world):
    """Grid A: rubbish three times last month and once before (recurring); noise twice
    (too few). Grid B: rubbish three times last month only (new, not recurring). Grid C
    (street 2): rubbish like grid A."""
    last, before = months_back(1), months_back(2)
    for day in (2, 9, 16):
        make_case(world, grid="a", at=in_month(last, day=day), text="垃圾没人清运")
        make_case(world, grid="b", at=in_month(last, day=day))
        make_case(world, grid="c", at=in_month(last, day=day), text="王五楼下垃圾")
    make_case(world, grid="a", at=in_month(before))
    make_case(world, grid="c", at=in_month(before))
    for day in (4, 5):
        make_case(world, grid="a", at=in_month(last, day=day), code="noise")
    do_refresh_case_tallies(full=True)
    return last


def test_a_category_that_keeps_coming_back_in_a_grid_is_recurring(world):
    last = recurring_world(world)
    problems = queries.recurring_problems(
        queries.recurring_tallies([world.street1.path], last), last)
    assert [(p.grid, p.category.code, p.counts) for p in problems] == [
        (world.grid_a, "garbage", [0, 1, 3])]
    queries.name_buildings([world.street1.path], problems, last)
    assert problems[0].buildings == [(world.building_a.name, 3)]


def test_the_recurring_page_lists_the_scopes_problems_with_a_link_to_their_cases(world, login):
    last = recurring_world(world)
    client = login(world.street_admin)
    response = client.get(RECURRING)  # the last full month by default
    html = response.content.decode()
    assert response.status_code == 200
    assert f"1 problem keeps coming back in {last:%Y-%m}." in html
    assert world.grid_a.name in html and world.grid_b.name not in html
    assert f"{world.building_a.name} (3)" in html
    assert world.grid_c.name not in html and "王五" not in html
    link = re.search(r'href="(/supervision/recurring/cases/\?[^"]+)"', html)[1]
    cases = client.get(link.replace("&amp;", "&"))
    text = cases.content.decode()
    assert cases.status_code == 200 and "3 cases reported in" in text
    assert text.count('class="wg-row"') == 3
    page = login(world.street2_admin).get(RECURRING).content.decode()
    assert world.grid_c.name in page and world.grid_a.name not in page


def test_a_problems_cases_are_scoped(world, login):
    last = recurring_world(world)
    query = f"?grid={world.grid_a.pk}&category=garbage&month={last:%Y-%m}"
    assert login(world.street2_admin).get(PROBLEM + query).status_code == 404
    assert login(world.street_admin).get(PROBLEM + query).status_code == 200
    client = login(world.street_admin)
    for bad in (f"?grid={world.grid_c.pk}&category=garbage&month={last:%Y-%m}",
                f"?grid={world.street1.pk}&category=garbage&month={last:%Y-%m}",
                f"?grid={world.grid_a.pk}&category=nope&month={last:%Y-%m}",
                f"?grid={world.grid_a.pk}&category=garbage&month=soon", "?grid=x", ""):
        assert client.get(PROBLEM + bad).status_code == 404, bad


def test_a_month_outside_the_list_is_refused_plainly(world, login):
    recurring_world(world)
    client = login(world.street_admin)
    for month in ("2019-01", "not-a-month", f"{months_back(0):%Y-%m}"):
        response = client.get(RECURRING, {"month": month})
        assert response.status_code == 200
        assert "Choose one of the last twelve full months." in response.content.decode()
    html = client.get(RECURRING, {"month": f"{months_back(2):%Y-%m}"}).content.decode()
    assert "0 problems keep coming back" in html and "No recurring problem" in html
