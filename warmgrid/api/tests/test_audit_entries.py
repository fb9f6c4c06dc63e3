"""/api/v1/audit/entries: admins read the audit trail of the areas they supervise."""

from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry

URL = "/api/v1/audit/entries"


def bearer(api_token, user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}


def record(area, object_id):
    do_record_audit(action=AuditEntry.Action.UPDATE, actor_username="someone",
                    object_type="resident", object_id=object_id, area_path=area.path,
                    changes={"phone": ["138****5678", "137****2222"]})


def test_a_street_admin_reads_the_entries_of_the_street(world, client, api_token):
    record(world.grid_a, 1)
    record(world.grid_c, 2)
    auth = bearer(api_token, world.street_admin)  # issuing it is an entry too (street 1)
    r = client.get(URL, {"action": "update"}, **auth)
    assert r.status_code == 200
    assert [e["object_id"] for e in r.json()["items"]] == ["1"]
    assert r.json()["items"][0]["changes"] == {"phone": ["138****5678", "137****2222"]}
    assert r.json()["count"] == 1


def test_newest_first_and_paged(world, client, api_token):
    for n in range(3):
        record(world.grid_a, n)
    r = client.get(URL, {"action": "update", "limit": 2},
                   **bearer(api_token, world.district_admin))
    assert [e["object_id"] for e in r.json()["items"]] == ["2", "1"]
    assert r.json()["count"] == 3


def test_roles_that_do_not_supervise_are_refused(world, client, api_token):
    record(world.grid_a, 1)
    for user in (world.worker_a, world.community_staff, world.outsider):
        r = client.get(URL, **bearer(api_token, user))
        assert r.status_code == 403
        assert "items" not in r.json()


def test_an_unknown_action_is_refused(world, client, api_token):
    r = client.get(URL, {"action": "steal"}, **bearer(api_token, world.district_admin))
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["action"]
