"""Malformed input is a 4xx with {"code", "message", "fields"}: never a 500, never HTML."""

import pytest

from warmgrid.people.models import Household, Resident


@pytest.fixture
def auth(world, api_token):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(world.worker_a)}"}


def assert_error(r, status, code):
    assert r.status_code == status, r.content
    assert r["Content-Type"].startswith("application/json")
    doc = r.json()
    assert set(doc) == {"code", "message", "fields"}
    assert doc["code"] == code
    assert doc["message"]
    return doc["fields"]


@pytest.mark.parametrize("body", [
    "{not json", "", "NaN", '{"name": NaN}', '{"name": "\\ud800"}', "[1, 2", "\xff",
])
def test_it_answers_400_to_a_body_that_is_not_json(world, client, auth, body):
    r = client.post("/api/v1/residents", body, content_type="application/json", **auth)
    if body == "":
        # No body at all: the required fields are missing.
        assert_error(r, 422, "invalid")
    else:
        assert_error(r, 400, "bad_request")
    assert Resident.objects.count() == 3


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "42", "null", "true"])
def test_it_answers_422_to_json_that_is_not_an_object(world, client, auth, body):
    r = client.post("/api/v1/households", body, content_type="application/json", **auth)
    assert_error(r, 422, "invalid")


@pytest.mark.parametrize("path", [
    "/api/v1/residents/abc", "/api/v1/residents/0", "/api/v1/residents/-1",
    "/api/v1/residents/1.5", f"/api/v1/residents/{2**63}", f"/api/v1/residents/{10**40}",
    "/api/v1/households/%00", "/api/v1/areas/1e3", "/api/v1/buildings/%E4%B8%80",
])
def test_it_answers_422_to_an_id_that_is_not_one(world, client, auth, path):
    fields = assert_error(client.get(path, **auth), 422, "invalid")
    assert len(fields) == 1


def test_the_largest_id_is_simply_not_found(world, client, auth):
    assert_error(client.get(f"/api/v1/residents/{2**63 - 1}", **auth), 404, "not_found")


@pytest.mark.parametrize("query", [
    "limit=0", "limit=101", "limit=abc", "offset=-1", f"offset={2**70}",
    f"household={2**64}", "grid=x", "q=%00", "q=" + "字" * 101,
])
def test_it_answers_422_to_bad_query_parameters(world, client, auth, query):
    r = client.get(f"/api/v1/residents?{query}", **auth)
    assert_error(r, 422, "invalid")


def test_the_largest_offset_is_an_empty_page(world, client, auth):
    r = client.get(f"/api/v1/residents?offset={2**31 - 1}&limit=100", **auth)
    assert r.status_code == 200
    assert r.json() == {"items": [], "count": 1}


@pytest.mark.parametrize(("field", "value"), [
    ("birth_date", "2026-13-45"), ("birth_date", "yesterday"), ("birth_date", "99999-01-01"),
    ("birth_date", 1e300), ("household_id", 10**30), ("household_id", "one"),
    ("household_id", None), ("gender", "X"), ("name", 42), ("name", ["张三"]),
    ("name", "张\x00三"), ("occupation", "x" * 65), ("unexpected", "field"),
])
def test_it_answers_422_to_wrong_types_in_the_body(world, client, auth, field, value):
    body = {"household_id": world.household_a.pk, "name": "赵六", "relation": "child",
            "residence_status": "hukou", "birth_date": "2001-02-03", "gender": "F"}
    body[field] = value
    r = client.post("/api/v1/residents", body, content_type="application/json", **auth)
    fields = assert_error(r, 422, "invalid")
    assert list(fields) == [field]
    assert Resident.objects.count() == 3


def test_it_names_nested_fields_and_missing_ones(world, client, auth):
    r = client.post("/api/v1/households", {"unit": "1"}, content_type="application/json",
                    **auth)
    fields = assert_error(r, 422, "invalid")
    assert set(fields) == {"building_id", "room"}
    assert Household.objects.count() == 3


def test_it_answers_400_to_a_body_too_large_to_read(world, client, auth, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = client.post("/api/v1/households", {"unit": "1" * 2000, "room": "1", "building_id": 1},
                    content_type="application/json", **auth)
    assert_error(r, 400, "bad_request")


@pytest.mark.parametrize("content_type", [
    "multipart/form-data", "application/x-www-form-urlencoded", "text/plain",
])
def test_it_answers_415_to_a_body_that_is_not_sent_as_json(world, client, content_type):
    # A form body is never parsed: axes would read it after a failed sign-in.
    r = client.post("/api/v1/auth/token", '{"username": "x", "password": "y"}',
                    content_type=content_type)
    assert_error(r, 415, "unsupported_media_type")


def test_it_answers_400_to_too_many_query_parameters(world, client, auth):
    query = "&".join(f"p{i}=1" for i in range(1001))
    assert_error(client.get(f"/api/v1/residents?{query}", **auth), 400, "bad_request")


def test_an_unknown_path_is_a_json_404(world, client, auth):
    for path in ("/api/v1/nothing-here", "/api/v1/residents/1/nothing", "/api/v1/residents/",
                 "/api/v1/"):
        assert_error(client.get(path, **auth), 404, "not_found")


def test_domain_errors_keep_their_code_and_fields(world, client, auth):
    # The last character is wrong: the actions' GB 11643 rule says so, beside the field.
    r = client.post("/api/v1/residents", {
        "household_id": world.household_a.pk, "name": "赵六", "relation": "child",
        "residence_status": "hukou", "id_number": "370102199001011230",
        "id_number_basis": "consent",
    }, content_type="application/json", **auth)
    fields = assert_error(r, 422, "invalid")
    assert "id_number" in fields


def test_an_unexpected_error_is_a_json_500_and_is_logged(world, client, auth, monkeypatch,
                                                        caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("warmgrid.places.api.areas_visible_to", broken)
    client.raise_request_exception = False
    r = client.get("/api/v1/areas", **auth)
    assert_error(r, 500, "server_error")
    assert "bug" not in r.content.decode()
    assert any(record.exc_info for record in caplog.records)
