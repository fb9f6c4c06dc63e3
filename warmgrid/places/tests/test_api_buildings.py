"""/api/v1/buildings: the buildings of the areas a user holds a role in."""

URL = "/api/v1/buildings"


def bearer(api_token, user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}


def ids(r):
    assert r.status_code == 200, r.content
    return [item["id"] for item in r.json()["items"]]


def test_a_grid_worker_sees_the_buildings_of_their_grid(world, client, api_token):
    r = client.get(URL, **bearer(api_token, world.worker_a))
    assert ids(r) == [world.building_a.pk]
    assert r.json()["items"][0]["name"] == "3号楼"
    assert r.json()["count"] == 1


def test_it_filters_by_grid(world, client, api_token):
    auth = bearer(api_token, world.street_admin)
    assert ids(client.get(URL, **auth)) == [world.building_a.pk, world.building_b.pk]
    assert ids(client.get(URL, {"grid": world.grid_b.pk}, **auth)) == [world.building_b.pk]
    assert ids(client.get(URL, {"grid": world.grid_c.pk}, **auth)) == []


def test_it_reads_one_building(world, client, api_token):
    r = client.get(f"{URL}/{world.building_a.pk}", **bearer(api_token, world.worker_a))
    assert r.status_code == 200
    assert r.json()["grid_id"] == world.grid_a.pk


def test_another_grids_building_is_not_found(world, client, api_token):
    auth = bearer(api_token, world.worker_a)
    for building in (world.building_b, world.building_c):
        r = client.get(f"{URL}/{building.pk}", **auth)
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"


def test_an_outsider_sees_no_building(world, client, api_token):
    r = client.get(URL, **bearer(api_token, world.outsider))
    assert r.json() == {"items": [], "count": 0}
