"""POST /api/v1/residents/{id}/reveal: a whole ID number or phone, for roles that may,
with a reason on the audit trail."""

import pytest

from warmgrid.audit.models import AuditEntry


def bearer(api_token, user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}


def reveal(client, api_token, user, resident, field, reason="入户核实身份信息"):
    return client.post(f"/api/v1/residents/{resident.pk}/reveal",
                       {"field": field, "reason": reason}, content_type="application/json",
                       **bearer(api_token, user))


def test_a_grid_leader_sees_the_id_number_and_it_is_audited(world, client, api_token):
    r = reveal(client, api_token, world.leader_a, world.zhang_san, "id_number")
    assert r.status_code == 200
    # The birth date is part of the ID number: it is answered with it, and only here.
    assert r.json() == {"field": "id_number", "value": world.zhang_san.id_number_plain,
                        "birth_date": "1950-03-08"}
    assert r["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REVEAL)
    assert entry.actor_id == world.leader_a.pk
    assert entry.object_id == str(world.zhang_san.pk)
    assert entry.reason == "入户核实身份信息"
    assert entry.changes == {"field": "id_number", "value": world.zhang_san.id_number_masked}


def test_a_grid_worker_sees_a_phone(world, client, api_token):
    r = reveal(client, api_token, world.worker_a, world.zhang_san, "phone")
    assert r.status_code == 200
    assert r.json() == {"field": "phone", "value": "13812345678", "birth_date": None}


def test_a_grid_worker_may_not_see_an_id_number(world, client, api_token):
    r = reveal(client, api_token, world.worker_a, world.zhang_san, "id_number")
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert world.zhang_san.id_number_plain not in r.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).exists()


@pytest.mark.parametrize("persona", ["worker_a", "leader_a", "street2_admin", "outsider"])
def test_another_grids_resident_is_not_found(world, client, api_token, persona):
    r = reveal(client, api_token, getattr(world, persona), world.li_si, "phone")
    assert r.status_code == 404
    assert "13987654321" not in r.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).exists()


def test_a_resident_may_not_see_their_own_households_numbers(world, client, api_token):
    r = reveal(client, api_token, world.resident_a, world.zhang_san, "phone")
    assert r.status_code == 403


def test_it_needs_a_reason(world, client, api_token):
    r = reveal(client, api_token, world.leader_a, world.zhang_san, "id_number", reason=" 看 ")
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["reason"]
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).exists()


def test_it_reveals_only_id_numbers_and_phones(world, client, api_token):
    r = reveal(client, api_token, world.leader_a, world.zhang_san, "name")
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["field"]


def test_an_empty_field_is_not_found(world, client, api_token):
    r = reveal(client, api_token, world.district_admin, world.wang_wu, "phone")
    assert r.status_code == 404


def test_anonymous_callers_are_refused(world, client):
    r = client.post(f"/api/v1/residents/{world.zhang_san.pk}/reveal",
                    {"field": "phone", "reason": "入户核实"}, content_type="application/json")
    assert r.status_code == 401
