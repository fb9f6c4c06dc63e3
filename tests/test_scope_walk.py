"""Every URL pattern and every API operation, tried by the wrong people.

A grid worker of grid A asks for grid B's objects (and the other street's) by id on every
route that takes one: the answer is 404. On every route that lists, searches or counts,
grid B's residents never appear. Anonymous requests get the login page or 401.
New routes are covered automatically; a route that takes an unknown kind of id fails
this test until it is taught what that id names.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from warmgrid.cases.models import Case
from warmgrid.notices.models import Notice
from warmgrid.people.models import ResidentTag, Tag

# Routes that are public by design, or belong to a framework with its own guard.
PUBLIC_PAGES = {"accounts/login/", "accounts/logout/", "accounts/otp/", "healthz",
                "i18n/setlang/",
                # The survey: the invitation code is the key (warmgrid/warmth/tests).
                "s/", "s/<str:code>/"}
# Open311 is public by its specification (GET lists public categories only; tested in
# warmgrid/cases/tests/test_open311.py); the admin and the API have their own guards.
# OpenRosa answers clients with HTTP Basic or a token, 401 otherwise (test_openrosa.py).
SKIPPED_PREFIXES = ("admin/", "api/v1/", "static/", "media/", "open311/", "openrosa/")
PUBLIC_API = {("post", "/api/v1/auth/token")}
# A valid body for each kind of write, so that the answer is about the object, not the body.
API_BODIES = {
    "reveal": {"field": "phone", "reason": "核实情况"},
    "tags": {"tag": "disabled", "source": "残联名册", "valid_from": "2026-01-01",
             "legal_basis": "statutory_duty"},
    "{membership_id}": {"valid_until": "2026-12-31"},
    "dispatch": {"category": "garbage"},
    "return": {"reason": "不归我们管"},
    "wait": {"note": "等居民回电"},
    "notes": {"note": "已联系"},
    "resolve": {"outcome": "fixed", "result": "已处理"},
    "reject": {"reason": "没有处理好"},
    "rating": {"rating": 1},
    "split": {"description": "另一件事"},
    "merge": {"into": 1},
    "transfer": {"reason": "属于其他单位"},
    "units": {"assisting": [], "copied": []},
    "escalate": {"reason": "需要上级协调"},
}


def walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


PAGE_ROUTES = [(route, p) for route, p in walk(get_resolver().url_patterns)
               if not route.startswith(SKIPPED_PREFIXES)]


@pytest.fixture
def targets(world):
    """What each kind of id means when a grid-A worker reaches for grid B."""
    membership = ResidentTag.objects.create(
        resident=world.li_si, tag=Tag.objects.get(code="disabled"), area_path=world.li_si.area_path,
        source="残联名册", valid_from=dt.date(2026, 1, 1), legal_basis="statutory_duty")
    case_b = Case.objects.create(
        description="李四家楼道堆放杂物", grid=world.grid_b, area_path=world.grid_b.path,
        building=world.building_b, household=world.household_b, state=Case.State.DISPATCHED,
        channel=Case.Channel.GRID_WORKER, reporter=world.worker_b, created_at=timezone.now())
    from warmgrid.supervision.models import ClusterAlert

    alert_c = ClusterAlert.objects.create(
        kind=ClusterAlert.Kind.GRID, grid=world.grid_c, area_path=world.grid_c.path,
        case_count=5, first_case_at=timezone.now(), last_case_at=timezone.now(),
        detected_at=timezone.now(), updated_at=timezone.now())
    notice_b = Notice.objects.create(recipient=world.worker_b, kind="test", case=case_b,
                                     subject="李四家楼道堆放杂物", created_at=timezone.now())
    from warmgrid.attachments.models import Attachment

    photo_b = Attachment.objects.create(
        case=case_b, kind="report", file="cases/2026/01/b.jpg", content_type="image/jpeg",
        size=1, width=1, height=1, sha256="0" * 64, created_at=timezone.now())
    from warmgrid.warmth.tests.waves import add_households, open_wave

    add_households(world, per_grid=3, grids=[world.grid_c])
    wave_c = open_wave(world, actor=world.street2_admin, communities=[world.community2])
    from warmgrid.ledgers.models import LedgerExport, LedgerImport, LedgerTemplate, RowOutcome

    registry = LedgerTemplate.objects.get(code="registry")
    import_c = LedgerImport.objects.create(
        template=registry, area_path=world.community2.path,
        write_paths=[world.community2.path], file_name="c.csv", file_digest="0" * 64)
    row_c = RowOutcome.objects.create(ledger_import=import_c, sheet="c", row_number=2,
                                      outcome=RowOutcome.Outcome.REVIEW,
                                      resident=world.wang_wu)
    export_b = LedgerExport.objects.create(template=registry, created_by=world.worker_b,
                                           file_format="csv",
                                           status=LedgerExport.Status.DONE)
    return {
        "import_id": [import_c.pk],
        "command": ["cancel"],
        "outcome_id": [row_c.pk],
        "decision": ["merge"],
        "export_id": [export_b.pk],
        "version_id": [wave_c.version_id],
        "kind": ["xml"],
        "wave_id": [wave_c.pk],
        "grid_id": [world.grid_c.pk],
        "code": [world.community2.code],
        "case_id": [case_b.pk],
        "attachment_id": [photo_b.pk],
        "notice_id": [notice_b.pk],
        "alert_id": [alert_c.pk],
        "resident_id": [world.li_si.pk, world.wang_wu.pk],
        "household_id": [world.household_b.pk, world.household_c.pk],
        "building_id": [world.building_b.pk, world.building_c.pk],
        "area_id": [world.grid_b.pk, world.community2.pk],
        "membership_id": [membership.pk],
        "worker_id": [world.worker_b.pk, world.street2_admin.pk],
        "field": ["id_number"],
        "path": ["x"],
    }


FOREIGN_MARKERS = ("李四", "王五")  # 李四 is also in grid B's case text


def fill(route: str, values: dict) -> str:
    def sub(match):
        return str(values[match.group("name")])
    path = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", sub, route)
    return "/" + path.lstrip("^").rstrip("$")


def param_names(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def combos(names, targets):
    if not names:
        yield {}
        return
    first, rest = names[0], names[1:]
    assert first in targets, f"teach tests/test_scope_walk.py what <{first}> names"
    for value in targets[first]:
        for tail in combos(rest, targets):
            yield {first: value, **tail}


def test_every_page_hides_other_grids_objects(world, targets, login):
    client = login(world.worker_a)
    checked = 0
    for route, _ in PAGE_ROUTES:
        names = param_names(route)
        object_names = [n for n in names if n not in ("field", "path")]
        if route in PUBLIC_PAGES:
            continue
        if object_names:
            for values in combos(names, targets):
                url = fill(route, values)
                for method in ("get", "post"):
                    response = getattr(client, method)(url)
                    assert response.status_code in (404, 405), (method, url, response.status_code)
                    if method == "post":
                        assert response.status_code == 404, (method, url)
                    checked += 1
        else:
            url = fill(route, {})
            for query in ("", "?q=李四", "?q=ls", f"?q={world.li_si.id_number_plain[-4:]}",
                          "?q=5号楼502"):
                response = client.get(url + query)
                # The search box shows the user's own words back; that is not a leak.
                text = response.content.decode(errors="replace").replace(query[3:], "")
                for marker in (*FOREIGN_MARKERS, world.li_si.id_number_masked):
                    assert marker not in text, (url + query, marker)
                checked += 1
    assert checked > 20


def test_every_page_sends_anonymous_visitors_to_the_login_page(client):
    for route, _ in PAGE_ROUTES:
        if route in PUBLIC_PAGES:
            continue
        url = fill(route, {n: 1 for n in param_names(route)} | {"field": "phone"})
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith("/accounts/login/"), (method, url)


def api_operations(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method in operations:
            yield method, path


def test_every_api_operation_hides_other_grids_objects(world, targets, api_token, client):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token(world.worker_a)}"}
    checked = 0
    for method, path in api_operations(client):
        if (method, path) in PUBLIC_API:
            continue
        names = re.findall(r"{(\w+)}", path)
        if names:
            for values in combos(names, targets):
                url = re.sub(r"{(\w+)}", lambda m, v=values: str(v[m.group(1)]), path)
                if method == "get":
                    response = client.get(url, **headers)
                else:
                    body = API_BODIES.get(path.rsplit("/", 1)[-1], {})
                    response = getattr(client, method)(url, body, content_type="application/json",
                                                       **headers)
                assert response.status_code == 404, (method, url, response.status_code)
                checked += 1
        elif method == "get":
            for query in ("", "?q=李四", "?q=ls", f"?q={world.li_si.id_number_plain[-4:]}",
                          f"?q={world.li_si.id_number_plain}", "?limit=100"):
                response = client.get(path + query, **headers)
                # 422: a required query parameter is missing; nothing is answered.
                assert response.status_code in (200, 403, 404, 422), (path + query,
                                                                       response.status_code)
                text = response.content.decode()
                for marker in (*FOREIGN_MARKERS, world.li_si.id_number_masked,
                               world.grid_b.code):
                    assert marker not in text, (path + query, marker)
                data = response.json()
                if isinstance(data, dict) and "count" in data:
                    # Grid A holds one resident, one household, one building, one area.
                    assert data["count"] <= 1, (path + query, data["count"])
                checked += 1
    assert checked > 10


def test_every_api_operation_needs_a_token(client):
    for method, path in api_operations(client):
        if (method, path) in PUBLIC_API:
            continue
        url = re.sub(r"{(\w+)}", "1", path)
        response = getattr(client, method)(url, content_type="application/json")
        assert response.status_code == 401, (method, url, response.status_code)
        assert response.json()["code"] == "unauthorized"
