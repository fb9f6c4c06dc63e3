"""Every operation but the token endpoint needs a live bearer token."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from warmgrid.accounts.actions import do_revoke_api_tokens

URL = "/api/v1/residents"


def assert_unauthorized(r):
    assert r.status_code == 401
    assert r.json() == {"code": "unauthorized", "message": r.json()["message"], "fields": {}}
    assert r["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("url", [
    "/api/v1/residents", "/api/v1/residents/1", "/api/v1/households", "/api/v1/areas",
    "/api/v1/areas/1/tag-counts", "/api/v1/buildings", "/api/v1/audit/entries",
])
def test_it_refuses_anonymous_requests(world, client, url):
    assert_unauthorized(client.get(url))


def test_it_refuses_anonymous_writes_before_reading_the_body(world, client):
    r = client.post(URL, "{not json", content_type="application/json")
    assert_unauthorized(r)
    r = client.post(f"/api/v1/residents/{world.zhang_san.pk}/reveal",
                    {"field": "phone", "reason": "家访核实"}, content_type="application/json")
    assert_unauthorized(r)


def test_it_refuses_an_unknown_token(world, client):
    assert_unauthorized(client.get(URL, HTTP_AUTHORIZATION="Bearer not-a-token"))


def test_it_refuses_an_empty_token(world, client):
    assert_unauthorized(client.get(URL, HTTP_AUTHORIZATION="Bearer "))


def test_it_refuses_another_scheme(world, client, api_token):
    token = api_token(world.worker_a)
    assert_unauthorized(client.get(URL, HTTP_AUTHORIZATION=f"Token {token}"))
    assert_unauthorized(client.get(URL, HTTP_AUTHORIZATION=token))


def test_it_accepts_a_live_token(world, client, api_token):
    token = api_token(world.worker_a)
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_it_refuses_an_expired_token(world, client, api_token):
    token = api_token(world.worker_a)
    later = timezone.now() + dt.timedelta(hours=12, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert_unauthorized(client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_it_refuses_a_token_left_idle(world, client, api_token):
    token = api_token(world.worker_a)
    later = timezone.now() + dt.timedelta(minutes=31)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert_unauthorized(client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_a_token_in_use_does_not_idle_out(world, client, api_token):
    token = api_token(world.worker_a)
    start = timezone.now()
    for minutes in (20, 40, 60):
        with mock.patch("django.utils.timezone.now",
                        return_value=start + dt.timedelta(minutes=minutes)):
            r = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert r.status_code == 200


def test_it_refuses_a_revoked_token(world, client, api_token):
    token = api_token(world.worker_a)
    do_revoke_api_tokens(user=world.worker_a)
    assert_unauthorized(client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_it_refuses_the_token_of_a_deactivated_user(world, client, api_token):
    token = api_token(world.worker_a)
    world.worker_a.is_active = False
    world.worker_a.save(update_fields=["is_active"])
    assert_unauthorized(client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_a_session_cookie_does_not_open_the_api(world, login):
    client = login(world.worker_a)
    assert_unauthorized(client.get(URL))


def test_an_outsider_with_a_token_sees_nothing(world, client, api_token):
    token = api_token(world.outsider)
    for url in ("/api/v1/residents", "/api/v1/households", "/api/v1/areas",
                "/api/v1/buildings"):
        r = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert r.status_code == 200
        assert r.json() == {"items": [], "count": 0}
    for url in (f"/api/v1/residents/{world.zhang_san.pk}",
                f"/api/v1/households/{world.household_a.pk}",
                f"/api/v1/areas/{world.grid_a.pk}", f"/api/v1/buildings/{world.building_a.pk}"):
        r = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"
