"""GET /api/v1/assessment: the page's figures as JSON, in the same scope."""

from __future__ import annotations

import pytest

from warmgrid.accounts.models import Role
from warmgrid.assessment.tests.factories import approved_exclusion, closed_case
from warmgrid.testing import make_user

URL = "/api/v1/assessment"


def get(client, token, query=""):
    return client.get(URL + query, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def cases(world):
    colleague = make_user("worker_a2", (Role.GRID_WORKER, world.grid_a))
    for i in range(10):
        closed_case(world, assignee=world.worker_a, rating=1 if i == 0 else 5)
        closed_case(world, assignee=colleague, late_response=i < 5)
    demand = closed_case(world, assignee=world.worker_a, rating=1)
    approved_exclusion(demand, by=world.worker_a,
                       reviewers=(world.community_staff, world.street_admin))
    closed_case(world, assignee=world.worker_b, grid="b")
    return colleague


def test_a_supervisor_gets_every_figure_with_its_parts(world, cases, client, api_token):
    response = get(client, api_token(world.leader_a),
                   "?start=2026-10-01&end=2026-10-31&by=worker")
    assert response.status_code == 200
    data = response.json()
    assert data["window"] == {"on": "closed_at", "start": "2026-10-01", "end": "2026-10-31",
                              "timezone": "Asia/Shanghai"}
    assert data["choices"]["minimum_cases"] == 10 and not data["self_only"]
    by_name = {s["name"]: s for s in data["subjects"]}
    assert set(by_name) == {"worker_a", "worker_a2"}  # grid A only
    a = by_name["worker_a"]
    assert (a["cases"], a["excluded"], a["complaints"]) == (10, 1, 2)
    assert a["figures"]["satisfaction"]["numerator"] == 9
    assert a["figures"]["satisfaction"]["denominator"] == 10
    assert {r["code"] for r in a["reasons"]} >= {"exclusions"}
    assert all(r["text"] for r in a["reasons"])
    colleague = by_name["worker_a2"]
    assert colleague["figures"]["response"]["rate"] == pytest.approx(0.5)
    assert colleague["worker_id"] == cases.pk
    assert data["pool"]["cases"] == 20


def test_a_worker_gets_only_their_own_row(world, cases, client, api_token):
    data = get(client, api_token(world.worker_a), "?start=2026-10-01&end=2026-10-31").json()
    assert data["self_only"] and [s["name"] for s in data["subjects"]] == ["worker_a"]
    assert data["pool"]["cases"] == 20
    assert "worker_a2" not in str(data)


def test_without_dates_the_latest_month_is_assessed(world, cases, client, api_token):
    data = get(client, api_token(world.street_admin), "?by=unit").json()
    assert data["window"]["start"] == "2026-10-01" and data["by"] == "unit"
    assert {s["name"] for s in data["subjects"]} == {world.grid_a.name, world.grid_b.name}


@pytest.mark.parametrize("persona", ["outsider", "researcher", "resident_a", "volunteer"])
def test_people_who_are_not_assessed_get_404(world, client, api_token, persona):
    response = get(client, api_token(getattr(world, persona)))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_other_areas_are_404_and_bad_periods_422(world, cases, client, api_token):
    token = api_token(world.street2_admin)
    assert get(client, token, f"?area_id={world.grid_a.pk}").status_code == 404
    data = get(client, token, "?start=2026-10-01&end=2026-10-31").json()
    assert data["subjects"] == []
    assert get(client, token, "?start=2026-10-01").status_code == 422
    assert get(client, token, "?start=2026-10-05&end=2026-10-01").status_code == 422
    assert get(client, token, "?start=2024-10-05&end=2026-10-01").status_code == 422
    assert get(client, token, "?by=grid").status_code == 422
    # Days at the ends of the calendar would overflow the time zone arithmetic.
    assert get(client, token, "?start=0001-01-01&end=0001-01-02").status_code == 422
    assert get(client, token, "?start=9999-12-30&end=9999-12-31").status_code == 422


def test_it_needs_a_token(client):
    assert client.get(URL).status_code == 401
