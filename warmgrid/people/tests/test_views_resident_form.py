"""Registering and correcting residents: messages beside fields, scope, audit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from warmgrid.audit.models import AuditEntry
from warmgrid.lib.idnumber import make_id_number
from warmgrid.people.models import Resident, SensitiveFieldBasis

HTMX = {"HTTP_HX_REQUEST": "true"}
GOOD_ID = make_id_number("370102", dt.date(1985, 4, 12), 123)  # odd sequence: male


def create_url(household) -> str:
    return reverse("people:resident_create", args=[household.pk])


def edit_url(resident) -> str:
    return reverse("people:resident_edit", args=[resident.pk])


def new_resident(**overrides) -> dict:
    data = {"name": "赵六", "id_number": GOOD_ID, "id_number_basis": "statutory_duty",
            "gender": "", "birth_date": "", "phone": "13900001111", "phone_basis": "consent",
            "basis_note": "", "relation": "spouse", "residence_status": "hukou",
            "ethnicity": "汉族", "occupation": ""}
    return data | overrides


def edit_data(resident, **overrides) -> dict:
    data = {"name": resident.name, "gender": resident.gender,
            "birth_date": resident.birth_date.isoformat(), "relation": resident.relation,
            "residence_status": resident.residence_status, "ethnicity": resident.ethnicity,
            "occupation": resident.occupation, "id_number": "", "phone": "",
            "id_number_basis": "", "phone_basis": "", "basis_note": ""}
    return data | overrides


def error_of(html: str, field: str) -> str:
    """The message shown beside a field (empty if none)."""
    match = re.search(rf'<small class="wg-error" id="id_{field}_error"[^>]*>(.*?)</small>', html,
                      re.S)
    return match.group(1) if match else ""


def test_it_renders_the_create_form(world, login):
    response = login(world.worker_a).get(create_url(world.household_a))
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("name", "id_number", "id_number_basis", "phone", "phone_basis", "birth_date"):
        assert f'name="{name}"' in html
    assert world.household_a.address_label in html


@pytest.mark.parametrize(("persona", "status"), [
    ("worker_a", 200), ("leader_a", 200), ("community_staff", 200), ("worker_b", 404),
    ("street_admin", 403), ("district_admin", 403), ("resident_a", 403), ("street2_admin", 404),
    ("volunteer", 404), ("outsider", 404),
])
def test_it_scopes_the_create_form(world, login, persona, status):
    assert login(getattr(world, persona)).get(create_url(world.household_a)).status_code == status


def test_it_registers_a_resident(world, login):
    response = login(world.worker_a).post(create_url(world.household_a), new_resident())
    resident = Resident.objects.get(name="赵六")
    assert response.status_code == 302
    assert response["Location"] == reverse("people:resident_detail", args=[resident.pk])
    assert resident.birth_date == dt.date(1985, 4, 12)  # from the ID number
    assert resident.gender == "M"
    assert resident.household == world.household_a
    assert resident.phone_masked == "139****1111"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE, object_type="resident")
    assert entry.actor_username == "worker_a"
    assert GOOD_ID not in str(entry.changes)


def test_it_shows_a_bad_checksum_beside_the_id_number(world, login):
    bad = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")
    response = login(world.worker_a).post(create_url(world.household_a),
                                          new_resident(id_number=bad))
    html = response.content.decode()
    assert response.status_code == 200
    assert "check digit" in error_of(html, "id_number")
    assert 'aria-invalid="true"' in html
    assert not Resident.objects.filter(name="赵六").exists()


def test_it_shows_a_birth_date_mismatch_beside_the_birth_date(world, login):
    response = login(world.worker_a).post(create_url(world.household_a),
                                          new_resident(birth_date="1985-04-13"))
    html = response.content.decode()
    assert "does not match" in error_of(html, "birth_date")
    assert error_of(html, "id_number") == ""
    assert not Resident.objects.filter(name="赵六").exists()


def test_it_shows_each_missing_field_beside_it(world, login):
    response = login(world.worker_a).post(create_url(world.household_a), new_resident(
        name="", id_number="", phone="abc", relation="", residence_status=""))
    html = response.content.decode()
    for field in ("name", "birth_date", "gender", "relation", "residence_status", "phone"):
        assert error_of(html, field), field


def test_it_asks_for_the_legal_basis_of_an_id_number(world, login):
    response = login(world.worker_a).post(create_url(world.household_a),
                                          new_resident(id_number_basis=""))
    assert "legal basis" in error_of(response.content.decode(), "id_number_basis")


def test_it_refuses_a_second_registration_of_one_id_number(world, login):
    response = login(world.worker_a).post(
        create_url(world.household_a), new_resident(id_number=world.li_si.id_number_plain))
    html = response.content.decode()
    assert "already registered" in error_of(html, "id_number")
    # The other resident lives in another grid: nothing about them is shown.
    assert "李四" not in html


def test_it_returns_the_form_partial_with_errors_for_htmx(world, login):
    response = login(world.worker_a).post(create_url(world.household_a),
                                          new_resident(birth_date="1985-04-13"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<form method="post"')
    assert error_of(html, "birth_date")


def test_it_redirects_htmx_after_saving(world, login):
    response = login(world.worker_a).post(create_url(world.household_a), new_resident(),
                                          **HTMX)
    resident = Resident.objects.get(name="赵六")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("people:resident_detail", args=[resident.pk])


def test_it_renders_the_edit_form_without_the_numbers(world, login):
    response = login(world.worker_a).get(edit_url(world.zhang_san))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Leave blank to keep the current number" in html
    assert world.zhang_san.id_number_masked in html
    assert world.zhang_san.id_number_plain not in html
    assert "13812345678" not in html
    assert 'value="张三"' in html


@pytest.mark.parametrize(("persona", "resident", "status"), [
    ("worker_a", "zhang_san", 200), ("worker_a", "li_si", 404), ("worker_a", "wang_wu", 404),
    ("street_admin", "zhang_san", 403), ("street2_admin", "zhang_san", 404),
    ("resident_a", "zhang_san", 403),
])
def test_it_scopes_the_edit_form(world, login, persona, resident, status):
    client = login(getattr(world, persona))
    target = getattr(world, resident)
    assert client.get(edit_url(target)).status_code == status
    response = client.post(edit_url(target), edit_data(target, occupation="退休"))
    assert response.status_code == (302 if status == 200 else status)


def test_it_saves_a_good_edit_and_audits_it(world, login):
    before = Resident.objects.get(pk=world.zhang_san.pk)
    response = login(world.worker_a).post(edit_url(world.zhang_san),
                                          edit_data(world.zhang_san, occupation="退休教师"))
    assert response.status_code == 302
    after = Resident.objects.get(pk=world.zhang_san.pk)
    assert after.occupation == "退休教师"
    # Blank identifiers are kept as they were.
    assert after.id_number_index == before.id_number_index
    assert after.phone_index == before.phone_index
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_type="resident")
    assert entry.changes == {"occupation": ["", "退休教师"]}
    assert entry.actor_username == "worker_a"


def test_it_replaces_and_removes_the_phone(world, login):
    client = login(world.worker_a)
    client.post(edit_url(world.zhang_san), edit_data(world.zhang_san, phone="13700002222",
                                                    phone_basis="consent"))
    resident = Resident.objects.get(pk=world.zhang_san.pk)
    assert resident.phone_masked == "137****2222"
    assert SensitiveFieldBasis.objects.get(resident=resident, field="phone").basis == "consent"
    client.post(edit_url(world.zhang_san), edit_data(resident, clear_phone="on"))
    assert Resident.objects.get(pk=world.zhang_san.pk).phone_masked == ""


def test_it_shows_edit_errors_beside_fields(world, login):
    response = login(world.worker_a).post(edit_url(world.zhang_san), edit_data(
        world.zhang_san, name="", id_number=GOOD_ID[:-1]))
    html = response.content.decode()
    assert error_of(html, "name")
    assert error_of(html, "id_number")
    assert Resident.objects.get(pk=world.zhang_san.pk).name == "张三"
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()
