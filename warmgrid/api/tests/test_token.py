"""POST /api/v1/auth/token: password (and TOTP for admins) in, bearer token out."""

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from warmgrid.accounts.actions import user_for_api_token
from warmgrid.accounts.models import ApiToken
from warmgrid.audit.models import AuditEntry
from warmgrid.testing import PASSWORD

URL = "/api/v1/auth/token"


def post(client, body):
    return client.post(URL, body, content_type="application/json")


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def test_it_issues_a_token_for_the_right_password(world, client):
    r = post(client, {"username": "worker_a", "password": PASSWORD})
    assert r.status_code == 200
    doc = r.json()
    assert doc["token_type"] == "bearer"
    assert doc["expires_in"] == 12 * 3600
    assert r["Cache-Control"] == "no-store"
    assert user_for_api_token(doc["access_token"]) == world.worker_a
    # Only the digest is kept, and the issue is on the audit trail.
    assert not ApiToken.objects.filter(digest=doc["access_token"]).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN,
                                     actor_id=world.worker_a.pk).count() == 1


def test_the_token_opens_the_api(world, client):
    token = post(client, {"username": "worker_a", "password": PASSWORD}).json()["access_token"]
    r = client.get("/api/v1/residents", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200
    assert [item["id"] for item in r.json()["items"]] == [world.zhang_san.pk]


def test_it_rejects_a_wrong_password(world, client):
    r = post(client, {"username": "worker_a", "password": "not-the-password"})
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_credentials"
    assert set(r.json()) == {"code", "message", "fields"}
    assert not ApiToken.objects.exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).count() == 1


def test_it_rejects_an_unknown_user_the_same_way(world, client):
    r = post(client, {"username": "nobody", "password": PASSWORD})
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_credentials"


def test_it_rejects_an_inactive_user(world, client):
    world.worker_a.is_active = False
    world.worker_a.save(update_fields=["is_active"])
    r = post(client, {"username": "worker_a", "password": PASSWORD})
    assert r.status_code == 401
    assert not ApiToken.objects.exists()


def test_it_locks_out_after_five_failures_like_the_login_page(world, client):
    statuses = [post(client, {"username": "worker_a", "password": f"wrong-{i}"}).status_code
                for i in range(5)]
    assert statuses[:4] == [401] * 4
    r = post(client, {"username": "worker_a", "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["code"] == "locked_out"
    assert not ApiToken.objects.exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOCKED_OUT).exists()


def test_it_locks_the_address_across_accounts(world, client):
    for name in ("a1", "a2", "a3", "a4", "a5"):
        post(client, {"username": name, "password": "wrong"})
    r = post(client, {"username": "worker_b", "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["code"] == "locked_out"


def test_admins_need_a_second_factor(world, client):
    r = post(client, {"username": "street_s1", "password": PASSWORD})
    assert r.status_code == 401
    assert r.json()["code"] == "otp_required"
    assert "otp" in r.json()["fields"]
    assert not ApiToken.objects.exists()


def test_it_rejects_a_wrong_second_factor(world, client):
    device = TOTPDevice.objects.create(user=world.street_admin, name="phone", confirmed=True)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    r = post(client, {"username": "street_s1", "password": PASSWORD, "otp": wrong})
    assert r.status_code == 401
    assert r.json()["code"] == "otp_invalid"
    assert not ApiToken.objects.exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.OTP_FAILED,
                                     actor_id=world.street_admin.pk).exists()


def test_it_issues_a_token_with_the_right_second_factor(world, client):
    device = TOTPDevice.objects.create(user=world.street_admin, name="phone", confirmed=True)
    r = post(client, {"username": "street_s1", "password": PASSWORD,
                      "otp": current_code(device)})
    assert r.status_code == 200
    assert user_for_api_token(r.json()["access_token"]) == world.street_admin


def test_it_needs_username_and_password(world, client):
    r = post(client, {"username": "worker_a"})
    assert r.status_code == 422
    assert r.json()["code"] == "invalid"
    assert list(r.json()["fields"]) == ["password"]


def test_it_refuses_a_body_that_is_not_json(world, client):
    r = client.post(URL, "username=worker_a", content_type="application/json")
    assert r.status_code == 400
    assert r.json()["code"] == "bad_request"


def test_it_refuses_a_nul_in_the_username(world, client):
    r = post(client, {"username": "worker\x00a", "password": PASSWORD})
    assert r.status_code == 422
    assert "username" in r.json()["fields"]
