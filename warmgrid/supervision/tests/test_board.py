"""The supervisor board through the front door: counts, lists, map, table, scope."""

from __future__ import annotations

import datetime as dt
import json
import re

from django.urls import reverse
from django.utils import timezone

from warmgrid.cases import actions, deadlines
from warmgrid.cases.models import Case, Category
from warmgrid.cases.queries import open_cases_supervised_by
from warmgrid.supervision import queries
from warmgrid.supervision.tests.factories import make_case

BOARD = reverse("supervision:board")
GARBAGE_TEXT = "3号楼门口垃圾没人清运"


def detail(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def report(world, *, actor=None, household=None, code="garbage", text=GARBAGE_TEXT, now=None):
    return actions.do_report_case(
        actor=actor or world.worker_a,
        data=actions.CaseInput(description=text, category=Category.objects.get(code=code),
                               household=household or world.household_a),
        channel=Case.Channel.GRID_WORKER, now=now)


def yellow_start(now) -> dt.datetime:
    """A reporting time whose garbage case is in its yellow band now (see the case tests)."""
    probe = Case(category=Category.objects.get(code="garbage"), state=Case.State.DISPATCHED,
                 priority=3, resolve_due=now)
    starts = []
    for quarter in range(1, 4 * 24 * 10):
        probe.created_at = now - dt.timedelta(minutes=15 * quarter)
        if deadlines.warning(probe, now=now) == "yellow":
            starts.append(probe.created_at)
    assert starts
    return starts[len(starts) // 2]


def json_block(html: str, block_id: str):
    return json.loads(re.search(rf'id="{block_id}"[^>]*>(.*?)</script>', html, re.S)[1])


def section(html: str, start: str, end: str) -> str:
    return html.split(f'id="{start}"')[1].split(f'id="{end}"')[0]


def test_the_board_counts_open_cases_and_lists_the_late_ones(world, login,
                                                           django_assert_max_num_queries):
    now = timezone.now()
    late = report(world, now=now - dt.timedelta(days=30))
    soon = report(world, now=yellow_start(now))
    for _ in range(3):
        report(world, actor=world.worker_b, household=world.household_b)
    far = report(world, actor=world.street2_admin, household=world.household_c)
    actions.do_watch_deadlines()  # the board reads the warnings the watch sets
    client = login(world.street_admin)
    client.get(BOARD)  # the first request of a session does a little more
    with django_assert_max_num_queries(13):
        response = client.get(BOARD)
    html = response.content.decode()
    assert response.status_code == 200
    assert "5 open cases in your area." in html
    late_section = section(html, "late-heading", "soon-heading")
    soon_section = section(html, "soon-heading", "grids-heading")
    assert detail(late) in late_section and detail(soon) not in late_section
    assert detail(soon) in soon_section
    assert detail(far) not in html and world.grid_c.name not in html
    chart = json_block(html, "wg-board-data")
    assert chart["areas"] == [world.grid_b.name, world.grid_a.name]
    dispatched = next(s for s in chart["series"] if s["name"] == "Dispatched")
    assert dispatched["data"] == [3, 2]
    assert "/static/warmgrid/stacked_bars.js" in html


def test_the_board_is_for_supervisors(world, login):
    for persona in ("community_staff", "street_admin", "district_admin", "system_admin"):
        assert login(getattr(world, persona)).get(BOARD).status_code == 200, persona
    for persona in ("worker_a", "leader_a", "resident_a", "handler", "outsider"):
        assert login(getattr(world, persona)).get(BOARD).status_code == 404, persona


def test_anonymous_visitors_go_to_the_login_page(client):
    for url in (BOARD, reverse("supervision:trends"), reverse("supervision:recurring"),
                "/cases/board/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_old_address_leads_to_the_board(world, login):
    response = login(world.street_admin).get("/cases/board/")
    assert response.status_code == 302 and response["Location"] == BOARD


def test_the_navigation_links_to_the_board(world, login):
    html = login(world.community_staff).get(reverse("home")).content.decode()
    assert f'href="{BOARD}"' in html
    html = login(world.community_staff).get(BOARD).content.decode()
    assert f'href="{BOARD}" aria-current="page"' in html


def test_the_board_reads_the_same_cases_as_the_supervised_query(world):
    make_case(world, grid="a")
    make_case(world, grid="b", state=Case.State.TRIAGE)
    make_case(world, grid="c")
    make_case(world, grid="a", state=Case.State.CLOSED)
    for persona in ("community_staff", "street_admin", "street2_admin", "district_admin",
                    "system_admin", "worker_a", "outsider"):
        user = getattr(world, persona)
        ours = set(queries.open_cases_in(queries.supervised_paths(user)))
        assert ours == set(open_cases_supervised_by(user)), persona


def test_counts_are_by_state_and_warning_per_grid(world, login):
    make_case(world, grid="a", state=Case.State.REPORTED)
    make_case(world, grid="a", state=Case.State.TRIAGE)
    make_case(world, grid="a", warning="red")
    make_case(world, grid="a", state=Case.State.IN_PROGRESS, warning="yellow")
    make_case(world, grid="b", state=Case.State.WAITING, warning="red")
    make_case(world, grid="b", state=Case.State.CLOSED, warning="red")  # closed: not counted
    counts = queries.open_counts_by_grid([world.street1.path])
    a, b = counts[world.grid_a.pk], counts[world.grid_b.pk]
    assert (a.open, a.red, a.yellow) == (4, 1, 1)
    assert a.numbers == [2, 1, 1, 0, 0]  # triage (with reported), dispatched, in progress …
    assert (b.open, b.red, b.numbers) == (1, 1, [0, 0, 0, 1, 0])
    html = login(world.street_admin).get(BOARD).content.decode()
    assert "5 open cases in your area." in html
    assert re.search(r'Overdue <span class="wg-badge wg-badge-red">2</span>', html)


def test_a_street_admin_never_sees_another_streets_numbers(world, login):
    for _ in range(4):
        make_case(world, grid="c", warning="red", text="王五家门口井盖松动")
    make_case(world, grid="a")
    html = login(world.street_admin).get(BOARD).content.decode()
    assert "1 open case in your area." in html
    assert "王五" not in html and world.grid_c.name not in html and world.grid_c.code not in html
    assert "Nothing is overdue." in html
    html = login(world.street2_admin).get(BOARD).content.decode()
    assert "4 open cases in your area." in html and world.grid_a.name not in html


def test_the_map_shows_the_scopes_grids_by_outline(world, login):
    square = {"type": "Polygon", "coordinates": [[[117.0, 36.6], [117.01, 36.6],
                                                  [117.01, 36.61], [117.0, 36.6]]]}
    for grid in (world.grid_a, world.grid_c):
        grid.outline = square
        grid.save(update_fields=["outline"])
    make_case(world, grid="a", warning="red")
    make_case(world, grid="a")
    html = login(world.street_admin).get(BOARD).content.decode()
    geo = json_block(html, "wg-map-geo")
    assert geo["type"] == "FeatureCollection"
    assert [f["properties"] for f in geo["features"]] == [
        {"name": world.grid_a.name, "code": world.grid_a.code}]
    assert geo["features"][0]["geometry"] == square
    values = json_block(html, "wg-map-values")["values"]
    assert values == [{"name": world.grid_a.code, "value": 2, "red": 1}]
    assert "1 grid has no outline yet and is only in the table." in html  # grid B
    assert "/static/warmgrid/supervision.js" in html


def test_a_grid_name_cannot_break_out_of_the_map_data(world, login):
    world.grid_a.name = "</script><script>alert(1)</script>&"
    world.grid_a.outline = {"type": "Polygon", "coordinates": [[[117.0, 36.6], [117.01, 36.6],
                                                                [117.01, 36.61], [117.0, 36.6]]]}
    world.grid_a.save(update_fields=["name", "outline"])
    html = login(world.street_admin).get(BOARD).content.decode()
    assert "<script>alert(1)" not in html
    assert json_block(html, "wg-map-geo")["features"][0]["properties"]["name"] == \
        world.grid_a.name


def test_without_any_outline_there_is_no_map(world, login):
    html = login(world.community_staff).get(BOARD).content.decode()
    assert 'id="wg-map-geo"' not in html
    assert "2 grids have no outline yet and are only in the table." in html


def test_a_supervisor_narrows_the_board_to_an_area_inside_their_scope(world, login):
    make_case(world, grid="a")
    make_case(world, grid="c")
    client = login(world.district_admin)
    html = client.get(BOARD).content.decode()
    assert "2 open cases in your area." in html
    assert f'<option value="{world.street2.pk}"' in html
    html = client.get(BOARD, {"area": world.street2.pk}).content.decode()
    assert "1 open case in your area." in html and world.grid_a.name not in html
    assert f'hx-get="{reverse("supervision:trends")}?area={world.street2.pk}"' in html
    street = login(world.street_admin)
    assert street.get(BOARD, {"area": world.street2.pk}).status_code == 404
    assert street.get(BOARD, {"area": world.grid_c.pk}).status_code == 404
    assert street.get(BOARD, {"area": "x"}).status_code == 404
    assert street.get(BOARD, {"area": world.grid_a.pk}).status_code == 200


def test_lists_are_limited_and_ordered_by_deadline(world, login):
    now = timezone.now()
    cases = [make_case(world, grid="a", warning="red",
                       resolve_due=now - dt.timedelta(hours=n)) for n in range(25)]
    html = login(world.street_admin).get(BOARD).content.decode()
    late_section = section(html, "late-heading", "soon-heading")
    shown = [int(n) for n in re.findall(r'href="/cases/(\d+)/"', late_section)]
    assert shown == [c.pk for c in reversed(cases)][:20]
    assert "The 20 longest overdue are shown." in late_section


def test_the_board_query_count_does_not_grow_with_cases(world, login,
                                                      django_assert_max_num_queries):
    for n in range(30):
        make_case(world, grid="ab"[n % 2], warning=("red", "yellow", "")[n % 3])
    client = login(world.district_admin)
    client.get(BOARD)
    with django_assert_max_num_queries(13):
        assert client.get(BOARD).status_code == 200


def test_the_board_carries_no_inline_scripts_or_styles(world, login):
    from tests.test_pages_base import assert_csp_clean

    make_case(world, grid="a", warning="red")
    response = login(world.street_admin).get(BOARD)
    assert response.status_code == 200
    assert_csp_clean(response.content.decode())
