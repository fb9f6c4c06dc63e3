"""The inbox over the API: GET /api/v1/notices, POST /api/v1/notices/read."""

from __future__ import annotations

from warmgrid.notices.models import Notice
from warmgrid.notices.tests.test_inbox import make


def auth(api_token, user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}


def test_it_lists_only_my_notices_newest_first(world, client, api_token):
    older, newer = make(world.worker_a, 2)
    make(world.worker_b, subject="Someone else's case #%s")
    Notice.objects.filter(pk=older.pk).update(read_at=older.created_at)
    data = client.get("/api/v1/notices", **auth(api_token, world.worker_a)).json()
    assert [n["id"] for n in data["items"]] == [newer.pk, older.pk]
    assert data["count"] == 2
    assert data["items"][0]["read_at"] is None and data["items"][0]["url"] == "/cases/1/"
    unread = client.get("/api/v1/notices?unread=true", **auth(api_token, world.worker_a))
    assert [n["id"] for n in unread.json()["items"]] == [newer.pk]
    assert unread.json()["count"] == 1


def test_it_pages(world, client, api_token):
    make(world.worker_a, 5)
    data = client.get("/api/v1/notices?limit=2&offset=4", **auth(api_token, world.worker_a))
    assert data.json()["count"] == 5 and len(data.json()["items"]) == 1


def test_marking_someone_elses_notices_does_nothing(world, client, api_token):
    mine = make(world.worker_a)
    theirs = make(world.worker_b)
    response = client.post("/api/v1/notices/read", {"ids": [mine.pk, theirs.pk, 999999]},
                           content_type="application/json", **auth(api_token, world.worker_a))
    assert response.status_code == 200 and response.json() == {"marked": 1}
    assert Notice.objects.get(pk=theirs.pk).read_at is None
    again = client.post("/api/v1/notices/read", {"ids": [theirs.pk]},
                        content_type="application/json", **auth(api_token, world.outsider))
    assert again.json() == {"marked": 0}
    assert Notice.objects.get(pk=theirs.pk).read_at is None


def test_mark_all(world, client, api_token):
    make(world.worker_a, 3)
    theirs = make(world.worker_b)
    response = client.post("/api/v1/notices/read", {"all": True},
                           content_type="application/json", **auth(api_token, world.worker_a))
    assert response.json() == {"marked": 3}
    assert Notice.objects.get(pk=theirs.pk).read_at is None


def test_bad_input_is_a_422(world, client, api_token):
    headers = auth(api_token, world.worker_a)
    for body in ({"ids": [0]}, {"ids": "1"}, {"idz": [1]}, {"ids": list(range(1, 502))},
                 {"all": 0}):
        response = client.post("/api/v1/notices/read", body, content_type="application/json",
                               **headers)
        assert response.status_code == 422, body


def test_it_needs_a_token(client):
    assert client.get("/api/v1/notices").status_code == 401
    assert client.post("/api/v1/notices/read", {"ids": [1]},
                       content_type="application/json").status_code == 401
