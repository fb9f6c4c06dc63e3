"""Signing in: audit of every attempt, lockout, password rules, second factor, idle expiry."""

import base64
import io

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from warmgrid.audit.models import AuditEntry
from warmgrid.testing import PASSWORD

LOGIN = "/accounts/login/"


def post_login(client, username, password, address="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password},
                       REMOTE_ADDR=address)


def test_it_logs_in_and_audits_it(world):
    client = Client()
    response = post_login(client, "worker_a", PASSWORD)
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action="login").latest("seq")
    assert (entry.actor_username, entry.ip_address) == ("worker_a", "10.0.0.1")
    assert entry.area_path == world.grid_a.path


def test_a_failed_login_is_audited_without_the_password(world):
    post_login(Client(), "worker_a", "wrong-Passw0rd")
    entry = AuditEntry.objects.filter(action="login_failed").latest("seq")
    assert entry.actor_username == "worker_a"
    assert "wrong-Passw0rd" not in repr(entry.changes) + entry.reason + entry.object_repr


def test_five_failures_lock_the_account_even_from_other_addresses(world):
    for i in range(5):
        post_login(Client(), "worker_a", "wrong-Passw0rd", address=f"10.0.1.{i}")
    response = post_login(Client(), "worker_a", PASSWORD, address="10.0.2.1")
    assert response.status_code == 429
    assert "15" in response.content.decode()
    assert AuditEntry.objects.filter(action="locked_out", actor_username="worker_a").exists()


def test_five_failures_lock_the_address_for_every_account(world):
    for i in range(5):
        post_login(Client(), f"nobody{i}", "wrong-Passw0rd", address="10.0.3.3")
    assert post_login(Client(), "worker_b", PASSWORD, address="10.0.3.3").status_code == 429
    assert post_login(Client(), "worker_b", PASSWORD, address="10.0.3.4").status_code == 302


def test_four_failures_do_not_lock(world):
    for _ in range(4):
        post_login(Client(), "worker_a", "wrong-Passw0rd")
    assert post_login(Client(), "worker_a", PASSWORD).status_code == 302


@pytest.mark.parametrize("password", ["Short1!", "alllowercaseletters", "lowercase123456"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_strong_enough_password_passes():
    validate_password("Nuanwang-grid-7")


def test_passwords_are_hashed_with_argon2(world, settings):
    from warmgrid import settings as configured

    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS
    world.worker_a.set_password("Another-Passw0rd")
    assert world.worker_a.password.startswith("argon2$")


def test_sessions_expire_after_thirty_idle_minutes():
    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    assert django_settings.SESSION_SAVE_EVERY_REQUEST is True


def test_admins_must_pass_a_second_factor(world):
    call_command("otp", "enroll", "street_s1", stdout=io.StringIO())
    device = TOTPDevice.objects.get(user=world.street_admin)
    client = Client()
    assert post_login(client, "street_s1", PASSWORD).status_code == 302
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp"))
    assert client.get("/people/residents/").status_code == 302
    code = f"{totp(device.bin_key):06d}"
    assert client.post(reverse("accounts:otp"), {"code": code}).status_code == 302
    assert client.get("/").status_code == 200


def test_enrolment_prints_a_working_secret_and_refuses_to_replace_silently(world):
    out = io.StringIO()
    call_command("otp", "enroll", "district", stdout=out)
    secret = out.getvalue().split(": ", 1)[1].split()[0]
    device = TOTPDevice.objects.get(user=world.district_admin, confirmed=True)
    assert base64.b32decode(secret) == device.bin_key
    with pytest.raises(CommandError):
        call_command("otp", "enroll", "district", stdout=io.StringIO())
    call_command("otp", "enroll", "district", "--reset", stdout=io.StringIO())
    assert TOTPDevice.objects.get(user=world.district_admin).bin_key != device.bin_key


def test_a_wrong_second_factor_code_is_refused_and_audited(world):
    TOTPDevice.objects.create(user=world.district_admin, name="phone", confirmed=True)
    client = Client()
    post_login(client, "district", PASSWORD)
    client.get(reverse("accounts:otp"))
    response = client.post(reverse("accounts:otp"), {"code": "000000"})
    assert response.status_code == 200
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="otp_failed", actor_username="district").exists()


def test_grid_workers_need_no_second_factor(world):
    client = Client()
    post_login(client, "worker_a", PASSWORD)
    assert client.get("/").status_code == 200


def test_logout_is_a_post_and_is_audited(world):
    client = Client()
    post_login(client, "worker_a", PASSWORD)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert AuditEntry.objects.filter(action="logout", actor_username="worker_a").exists()
    assert client.get("/").status_code == 302
