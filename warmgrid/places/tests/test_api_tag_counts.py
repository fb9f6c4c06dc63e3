"""/api/v1/areas/{id}/tag-counts: residents in vulnerable groups under an area, today."""

import datetime as dt

import pytest
from django.utils import timezone

from warmgrid.people.actions import do_refresh_grid_tallies
from warmgrid.people.models import ResidentTag, Tag


def bearer(api_token, user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}


def url(area):
    return f"/api/v1/areas/{area.pk}/tag-counts"


@pytest.fixture
def li_si_on_low_income(world):
    ResidentTag.objects.create(resident=world.li_si, tag=Tag.objects.get(code="low_income"),
                               area_path=world.li_si.area_path, source="民政局低保名册",
                               valid_from=dt.date(2020, 1, 1), legal_basis="statutory_duty")
    do_refresh_grid_tallies()  # written behind the actions' back, so recount


def test_it_counts_by_group_in_total_and_per_child(world, client, api_token,
                                                   li_si_on_low_income):
    r = client.get(url(world.community1), **bearer(api_token, world.community_staff))
    assert r.status_code == 200, r.content
    doc = r.json()
    assert doc["area"]["id"] == world.community1.pk
    assert doc["residents"] == 2
    assert doc["totals"]["elderly_alone"] == 1
    assert doc["totals"]["low_income"] == 1
    assert doc["totals"]["disabled"] == 0
    assert {t["code"] for t in doc["tags"]} == set(doc["totals"])
    by_child = {c["area"]["id"]: c["counts"] for c in doc["children"]}
    assert by_child[world.grid_a.pk]["elderly_alone"] == 1
    assert by_child[world.grid_a.pk]["low_income"] == 0
    assert by_child[world.grid_b.pk]["low_income"] == 1


def test_a_grid_worker_counts_their_grid_only(world, client, api_token, li_si_on_low_income):
    auth = bearer(api_token, world.worker_a)
    doc = client.get(url(world.grid_a), **auth).json()
    assert doc["residents"] == 1
    assert doc["totals"]["low_income"] == 0
    assert doc["children"] == []
    assert client.get(url(world.grid_b), **auth).status_code == 404
    assert client.get(url(world.community1), **auth).status_code == 404


def test_ended_periods_are_not_counted(world, client, api_token):
    world.zhang_san.tags.update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    do_refresh_grid_tallies()  # what the nightly task does
    doc = client.get(url(world.grid_a), **bearer(api_token, world.worker_a)).json()
    assert doc["totals"]["elderly_alone"] == 0


def test_another_streets_admin_gets_not_found(world, client, api_token):
    r = client.get(url(world.street1), **bearer(api_token, world.street2_admin))
    assert r.status_code == 404


@pytest.mark.parametrize("persona", ["resident_a", "volunteer", "researcher", "handler"])
def test_roles_that_do_not_read_the_registry_are_refused(world, client, api_token, persona):
    user = getattr(world, persona)
    area = world.grid_a if persona in ("resident_a", "volunteer") else world.district
    r = client.get(url(area), **bearer(api_token, user))
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert "totals" not in r.json()
