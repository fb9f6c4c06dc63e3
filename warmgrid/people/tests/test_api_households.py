"""/api/v1/households: list, search, read, register and correct, always within scope."""

import pytest

from warmgrid.audit.models import AuditEntry
from warmgrid.people.models import Household
from warmgrid.testing import make_building

URL = "/api/v1/households"


def bearer(api_token, user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}


def ids(r):
    assert r.status_code == 200, r.content
    return [item["id"] for item in r.json()["items"]]


def test_it_lists_the_households_of_the_workers_grid(world, client, api_token):
    r = client.get(URL, **bearer(api_token, world.worker_a))
    assert ids(r) == [world.household_a.pk]
    item = r.json()["items"][0]
    assert (item["building_name"], item["unit"], item["room"]) == ("3号楼", "2", "301")
    assert item["householder_id"] == world.zhang_san.pk
    assert r.json()["count"] == 1


def test_community_staff_list_the_community(world, client, api_token):
    r = client.get(URL, **bearer(api_token, world.community_staff))
    assert sorted(ids(r)) == sorted([world.household_a.pk, world.household_b.pk])


def test_a_resident_sees_only_their_own_household(world, client, api_token):
    auth = bearer(api_token, world.resident_a)
    assert ids(client.get(URL, **auth)) == [world.household_a.pk]
    assert client.get(f"{URL}/{world.household_b.pk}", **auth).status_code == 404


def test_an_outsider_sees_no_household(world, client, api_token):
    auth = bearer(api_token, world.outsider)
    assert client.get(URL, **auth).json() == {"items": [], "count": 0}
    assert client.get(f"{URL}/{world.household_a.pk}", **auth).status_code == 404


def test_it_searches_by_building_and_room(world, client, api_token):
    auth = bearer(api_token, world.worker_a)
    for query in ("3号楼2单元301", "3-301", "301", "张三"):
        assert ids(client.get(URL, {"q": query}, **auth)) == [world.household_a.pk], query


def test_search_never_finds_another_grids_household(world, client, api_token):
    auth = bearer(api_token, world.worker_a)
    for query in ("5号楼1单元502", "5-502", "502", "李四"):
        assert client.get(URL, {"q": query}, **auth).json() == {"items": [], "count": 0}


def test_it_filters_by_grid_and_building(world, client, api_token):
    auth = bearer(api_token, world.street_admin)
    assert ids(client.get(URL, {"grid": world.grid_b.pk}, **auth)) == [world.household_b.pk]
    assert ids(client.get(URL, {"building": world.building_a.pk}, **auth)) == [
        world.household_a.pk]
    assert ids(client.get(URL, {"building": world.building_c.pk}, **auth)) == []


def test_it_reads_one_household(world, client, api_token):
    r = client.get(f"{URL}/{world.household_a.pk}", **bearer(api_token, world.worker_a))
    assert r.status_code == 200
    assert r.json()["id"] == world.household_a.pk


@pytest.mark.parametrize("persona", ["worker_a", "street2_admin", "volunteer"])
def test_another_grids_household_is_not_found(world, client, api_token, persona):
    r = client.get(f"{URL}/{world.household_b.pk}", **bearer(api_token, getattr(world, persona)))
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_the_list_takes_a_fixed_number_of_queries(world, client, api_token,
                                                 django_assert_num_queries):
    auth = bearer(api_token, world.district_admin)
    with django_assert_num_queries(4):  # token, grants, page, count
        r = client.get(URL, **auth)
    assert r.json()["count"] == 3


def test_it_registers_a_household(world, client, api_token):
    r = client.post(URL, {"building_id": world.building_a.pk, "unit": " 1 ", "room": "102"},
                    content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 201, r.content
    household = Household.objects.get(pk=r.json()["id"])
    assert (household.unit, household.room) == ("1", "102")
    assert household.grid_id == world.grid_a.pk
    assert household.area_path == world.grid_a.path
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_type="household",
                                     object_id=str(household.pk)).exists()


def test_it_refuses_a_room_registered_already(world, client, api_token):
    r = client.post(URL, {"building_id": world.building_a.pk, "unit": "2", "room": "301"},
                    content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 409
    assert r.json()["code"] == "duplicate_household"
    assert "room" in r.json()["fields"]


def test_it_reports_an_empty_room(world, client, api_token):
    r = client.post(URL, {"building_id": world.building_a.pk, "unit": "2", "room": "  "},
                    content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["room"]


def test_it_cannot_register_in_another_grids_building(world, client, api_token):
    r = client.post(URL, {"building_id": world.building_b.pk, "unit": "1", "room": "101"},
                    content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 404
    assert Household.objects.count() == 3


def test_a_volunteer_cannot_register_a_household(world, client, api_token):
    r = client.post(URL, {"building_id": world.building_a.pk, "unit": "1", "room": "101"},
                    content_type="application/json", **bearer(api_token, world.volunteer))
    assert r.status_code == 403
    assert Household.objects.count() == 3


def test_it_corrects_a_household(world, client, api_token):
    r = client.patch(f"{URL}/{world.household_a.pk}", {"room": "302"},
                     content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 200, r.content
    assert r.json()["room"] == "302"
    world.household_a.refresh_from_db()
    assert (world.household_a.unit, world.household_a.room) == ("2", "302")


def test_moving_a_household_to_another_grid_moves_its_people(world, client, api_token):
    r = client.patch(f"{URL}/{world.household_a.pk}", {"building_id": world.building_b.pk},
                     content_type="application/json", **bearer(api_token, world.community_staff))
    assert r.status_code == 200, r.content
    world.zhang_san.refresh_from_db()
    assert world.zhang_san.grid_id == world.grid_b.pk


def test_it_cannot_move_a_household_into_another_grid_it_cannot_see(world, client, api_token):
    r = client.patch(f"{URL}/{world.household_a.pk}", {"building_id": world.building_b.pk},
                     content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 404
    world.household_a.refresh_from_db()
    assert world.household_a.building_id == world.building_a.pk


def test_it_cannot_correct_another_grids_household(world, client, api_token):
    r = client.patch(f"{URL}/{world.household_b.pk}", {"room": "999"},
                     content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 404
    world.household_b.refresh_from_db()
    assert world.household_b.room == "502"


def test_the_householder_must_live_there(world, client, api_token):
    r = client.patch(f"{URL}/{world.household_b.pk}", {"householder_id": world.zhang_san.pk},
                     content_type="application/json", **bearer(api_token, world.community_staff))
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["householder"]


def test_moving_into_a_taken_room_is_a_conflict(world, client, api_token):
    building = make_building(world.grid_a, "370102001001001-B02", "4号楼")
    client.post(URL, {"building_id": building.pk, "unit": "2", "room": "301"},
                content_type="application/json", **bearer(api_token, world.worker_a))
    r = client.patch(f"{URL}/{world.household_a.pk}", {"building_id": building.pk},
                     content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 409
