"""The OpenAPI document at /api/v1/openapi.json: valid, and honest about every answer."""

import pytest
import schemathesis

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


@pytest.fixture
def document(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.json()


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_it_is_a_valid_openapi_document(document):
    assert document["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(document).validate()  # the 3.1 meta-schema; raises if not


def test_every_operation_has_a_unique_id_and_a_tag(document):
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids)) >= 19
    assert all(operation.get("tags") for _, _, operation in operations(document))


def test_every_operation_but_the_token_needs_a_bearer_token(document):
    assert document["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http", "scheme": "bearer"}
    for path, _, operation in operations(document):
        if path == "/api/v1/auth/token":
            assert "security" not in operation
        else:
            assert operation["security"] == [{"BearerToken": []}]
            assert operation["responses"]["401"]["content"] == ERROR


def test_every_error_a_route_can_answer_is_documented(document):
    for path, method, operation in operations(document):
        responses = operation["responses"]
        expected = {"400", "422"}
        if "{" in path:
            expected |= {"404"}
        if "requestBody" in operation:
            expected |= {"400", "415"}
        if method in ("post", "patch") and path != "/api/v1/auth/token":
            expected |= {"403", "404", "409"}
        assert expected <= set(responses), (method, path)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert response["content"] == ERROR, (method, path, status)
        assert not any(status.startswith("5") for status in responses)


def test_lists_answer_items_and_count(document):
    for path, method, operation in operations(document):
        if method == "get" and "limit" in {p["name"] for p in operation.get("parameters", [])}:
            ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            page = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
            assert set(page["properties"]) == {"items", "count"}, path


def test_resident_output_has_masked_identifiers_only(document):
    properties = document["components"]["schemas"]["ResidentOut"]["properties"]
    fields = set(properties)
    assert {"id_number_masked", "phone_masked"} <= fields
    assert not fields & {"phone", "id_number_cipher", "phone_cipher"}
    # `id_number` is there for clients that read that name, and says it is masked.
    assert properties["id_number"]["description"].startswith("Masked")


def test_the_interactive_docs_never_load_from_a_cdn(client, settings):
    # Our CSP blocks ninja's CDN fallback: docs are served only from ninja's static files.
    r = client.get("/api/v1/docs")
    if "ninja" in settings.INSTALLED_APPS:
        assert r.status_code == 200
        assert "cdn" not in r.content.decode()
    else:
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"
