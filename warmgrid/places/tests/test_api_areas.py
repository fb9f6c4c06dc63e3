"""/api/v1/areas: the areas a user holds a role in and everything under them."""

import pytest

URL = "/api/v1/areas"


def bearer(api_token, user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}


def ids(r):
    assert r.status_code == 200, r.content
    return [item["id"] for item in r.json()["items"]]


def test_a_grid_worker_sees_their_grid(world, client, api_token):
    r = client.get(URL, **bearer(api_token, world.worker_a))
    assert ids(r) == [world.grid_a.pk]
    item = r.json()["items"][0]
    assert (item["level"], item["code"], item["parent_id"]) == (
        "grid", "370102001001001", world.community1.pk)
    assert r.json()["count"] == 1


def test_a_street_admin_sees_the_street_and_below(world, client, api_token):
    r = client.get(URL, **bearer(api_token, world.street_admin))
    assert ids(r) == [world.street1.pk, world.community1.pk, world.grid_a.pk, world.grid_b.pk]


def test_it_filters_by_level_and_parent(world, client, api_token):
    auth = bearer(api_token, world.district_admin)
    assert ids(client.get(URL, {"level": "street"}, **auth)) == [world.street1.pk,
                                                                  world.street2.pk]
    assert ids(client.get(URL, {"parent": world.community1.pk}, **auth)) == [world.grid_a.pk,
                                                                             world.grid_b.pk]
    assert ids(client.get(URL, {"level": "grid", "parent": world.community2.pk},
                          **auth)) == [world.grid_c.pk]


def test_filtering_by_an_area_out_of_scope_finds_nothing(world, client, api_token):
    r = client.get(URL, {"parent": world.community2.pk}, **bearer(api_token, world.street_admin))
    assert r.json() == {"items": [], "count": 0}


def test_an_unknown_level_is_refused(world, client, api_token):
    r = client.get(URL, {"level": "province"}, **bearer(api_token, world.district_admin))
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["level"]


def test_it_pages(world, client, api_token):
    r = client.get(URL, {"limit": 3, "offset": 2}, **bearer(api_token, world.district_admin))
    assert ids(r) == [world.community1.pk, world.grid_a.pk, world.grid_b.pk]
    assert r.json()["count"] == 8


def test_an_outsider_sees_no_area(world, client, api_token):
    auth = bearer(api_token, world.outsider)
    assert client.get(URL, **auth).json() == {"items": [], "count": 0}
    assert client.get(f"{URL}/{world.district.pk}", **auth).status_code == 404


def test_it_reads_one_area(world, client, api_token):
    r = client.get(f"{URL}/{world.grid_a.pk}", **bearer(api_token, world.worker_a))
    assert r.status_code == 200
    assert r.json()["name"] == "和平社区第一网格"


@pytest.mark.parametrize("area", ["grid_b", "community1", "street1", "district", "grid_c"])
def test_areas_outside_a_grid_workers_grid_are_not_found(world, client, api_token, area):
    r = client.get(f"{URL}/{getattr(world, area).pk}", **bearer(api_token, world.worker_a))
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
