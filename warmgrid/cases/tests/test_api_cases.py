"""Cases over the JSON API: intake with an Idempotency-Key, scope, transitions."""

import pytest

from warmgrid.cases.models import Case


def bearer(api_token, user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}


BODY = {"description": "3号楼2单元楼道堆放杂物，堵住了消防通道", "category": "fire_exit"}


@pytest.fixture
def worker_a(world, api_token):
    return bearer(api_token, world.worker_a)


def post(client, path, body, auth, **headers):
    return client.post(path, body, content_type="application/json", **auth, **headers)


def test_it_reports_a_case(world, client, worker_a):
    r = post(client, "/api/v1/cases", BODY | {"household_id": world.household_a.pk}, worker_a)
    assert r.status_code == 201, r.content
    doc = r.json()
    assert doc["state"] == "dispatched" and doc["category"] == "fire_exit"
    assert doc["channel"] == "grid_worker"
    assert "accept" in doc["allowed_actions"]
    assert Case.objects.get(pk=doc["id"]).reporter == world.worker_a


def test_a_resent_form_makes_one_case(world, client, worker_a):
    body = BODY | {"household_id": world.household_a.pk}
    first = post(client, "/api/v1/cases", body, worker_a, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, "/api/v1/cases", body, worker_a, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.count() == 1
    other = post(client, "/api/v1/cases", body | {"description": "另一件事"}, worker_a,
                 HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


def test_the_same_key_from_another_user_is_another_request(world, client, worker_a,
                                                            api_token):
    body = BODY | {"household_id": world.household_a.pk}
    post(client, "/api/v1/cases", body, worker_a, HTTP_IDEMPOTENCY_KEY="k-2")
    r = post(client, "/api/v1/cases", body, bearer(api_token, world.leader_a),
             HTTP_IDEMPOTENCY_KEY="k-2")
    assert r.status_code == 201 and Case.objects.count() == 2


def test_another_grids_household_is_not_found(world, client, worker_a):
    r = post(client, "/api/v1/cases", BODY | {"household_id": world.household_b.pk}, worker_a)
    assert r.status_code == 404


def test_unknown_category_and_missing_place_are_field_errors(world, client, worker_a):
    r = post(client, "/api/v1/cases", BODY | {"category": "nope",
                                               "household_id": world.household_a.pk}, worker_a)
    assert r.status_code == 422 and "category" in r.json()["fields"]
    r = post(client, "/api/v1/cases", BODY, worker_a)
    assert r.status_code == 422 and "place" in r.json()["fields"]


def test_the_whole_life_over_http(world, client, api_token):
    worker = bearer(api_token, world.worker_a)
    staff = bearer(api_token, world.community_staff)
    street = bearer(api_token, world.street_admin)
    case_id = post(client, "/api/v1/cases", BODY | {"category": "garbage",
                                                    "household_id": world.household_a.pk},
                   worker).json()["id"]
    assert post(client, f"/api/v1/cases/{case_id}/accept", {}, staff).status_code == 200
    r = post(client, f"/api/v1/cases/{case_id}/accept", {}, worker)
    assert r.status_code == 409
    assert post(client, f"/api/v1/cases/{case_id}/resolve",
                {"outcome": "fixed", "result": "已清理"}, staff).status_code == 200
    assert post(client, f"/api/v1/cases/{case_id}/close", {}, street).status_code == 200
    r = post(client, f"/api/v1/cases/{case_id}/rating", {"rating": 5, "comment": "很快"},
             worker)
    assert r.status_code == 200 and r.json()["rating"] == 5
    history = client.get(f"/api/v1/cases/{case_id}/history", **worker).json()
    assert [h["action"] for h in history] == ["report", "accept", "resolve", "close", "rate"]


def test_lists_and_counts_stay_in_scope(world, client, api_token, worker_a):
    post(client, "/api/v1/cases", BODY | {"household_id": world.household_a.pk}, worker_a)
    worker_b = bearer(api_token, world.worker_b)
    post(client, "/api/v1/cases", BODY | {"household_id": world.household_b.pk}, worker_b)
    assert client.get("/api/v1/cases", **worker_a).json()["count"] == 1
    assert client.get("/api/v1/cases", **bearer(api_token, world.street_admin)).json()[
        "count"] == 2
    assert client.get("/api/v1/cases", **bearer(api_token, world.street2_admin)).json()[
        "count"] == 0
