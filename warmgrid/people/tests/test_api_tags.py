"""/api/v1/residents/{id}/tags: vulnerable-group memberships, listed, added and ended."""

import datetime as dt

from warmgrid.audit.models import AuditEntry
from warmgrid.people.models import ResidentTag


def bearer(api_token, user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}


def url(resident):
    return f"/api/v1/residents/{resident.pk}/tags"


def new_tag(**overrides):
    return {"tag": "disabled", "source": "残联名册 2026-10", "valid_from": "2026-10-01",
            "legal_basis": "statutory_duty"} | overrides


def test_it_lists_a_residents_groups(world, client, api_token):
    r = client.get(url(world.zhang_san), **bearer(api_token, world.worker_a))
    assert r.status_code == 200
    [item] = r.json()["items"]
    assert item["tag"]["code"] == "elderly_alone"
    assert item["valid_from"] == "2026-01-01"
    assert item["valid_until"] is None
    assert r.json()["count"] == 1


def test_another_grids_residents_groups_are_not_found(world, client, api_token):
    r = client.get(url(world.zhang_san), **bearer(api_token, world.worker_b))
    assert r.status_code == 404
    assert "elderly_alone" not in r.content.decode()


def test_it_adds_a_resident_to_a_group(world, client, api_token):
    r = client.post(url(world.zhang_san), new_tag(), content_type="application/json",
                    **bearer(api_token, world.worker_a))
    assert r.status_code == 201, r.content
    membership = ResidentTag.objects.get(pk=r.json()["id"])
    assert membership.tag.code == "disabled"
    assert membership.resident_id == world.zhang_san.pk
    assert membership.area_path == world.zhang_san.area_path
    assert membership.valid_from == dt.date(2026, 10, 1)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE,
                                     object_type="resident_tag").exists()


def test_an_overlapping_period_is_a_conflict(world, client, api_token):
    r = client.post(url(world.zhang_san), new_tag(tag="elderly_alone", valid_from="2026-06-01"),
                    content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 409
    assert r.json()["code"] == "overlapping_tag"


def test_an_unknown_group_is_reported_beside_the_field(world, client, api_token):
    r = client.post(url(world.zhang_san), new_tag(tag="no-such-group"),
                    content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["tag"]


def test_a_period_that_ends_before_it_starts_is_reported(world, client, api_token):
    r = client.post(url(world.zhang_san), new_tag(valid_until="2026-09-30"),
                    content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["valid_until"]


def test_it_cannot_tag_another_grids_resident(world, client, api_token):
    r = client.post(url(world.li_si), new_tag(), content_type="application/json",
                    **bearer(api_token, world.worker_a))
    assert r.status_code == 404
    assert not world.li_si.tags.exists()


def test_supervisors_do_not_tag(world, client, api_token):
    r = client.post(url(world.zhang_san), new_tag(), content_type="application/json",
                    **bearer(api_token, world.street_admin))
    assert r.status_code == 403


def test_it_ends_a_period(world, client, api_token):
    membership = world.zhang_san.tags.get()
    r = client.patch(f"{url(world.zhang_san)}/{membership.pk}", {"valid_until": "2026-03-31"},
                     content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 200, r.content
    assert r.json()["valid_until"] == "2026-03-31"
    membership.refresh_from_db()
    assert membership.valid_until == dt.date(2026, 3, 31)


def test_a_membership_of_another_resident_is_not_found(world, client, api_token):
    membership = world.zhang_san.tags.get()
    r = client.patch(f"{url(world.li_si)}/{membership.pk}", {"valid_until": "2026-03-31"},
                     content_type="application/json", **bearer(api_token, world.community_staff))
    assert r.status_code == 404
    membership.refresh_from_db()
    assert membership.valid_until is None
