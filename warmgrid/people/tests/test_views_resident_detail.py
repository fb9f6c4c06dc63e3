"""Resident detail: masked identifiers, groups, legal bases; reveal with a reason; tags."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from warmgrid.audit.models import AuditEntry
from warmgrid.people.models import ResidentTag, SensitiveFieldBasis, Tag

HTMX = {"HTTP_HX_REQUEST": "true"}


def detail(resident) -> str:
    return reverse("people:resident_detail", args=[resident.pk])


def reveal(resident, field: str) -> str:
    return reverse("people:resident_reveal", args=[resident.pk, field])


def test_it_shows_the_resident_masked(world, login):
    SensitiveFieldBasis.objects.create(resident=world.zhang_san, field="id_number",
                                       basis="statutory_duty", note="户口登记条例")
    response = login(world.worker_a).get(detail(world.zhang_san))
    html = response.content.decode()
    assert response.status_code == 200
    assert world.zhang_san.id_number_masked in html
    assert "138****5678" in html
    assert world.zhang_san.id_number_plain not in html
    assert "13812345678" not in html
    assert "户口登记条例" in html  # the legal basis of the ID number
    assert world.household_a.address_label in html
    assert "走访 2026-01" in html  # the group's source
    assert "Since 2026-01-01" in html


@pytest.mark.parametrize(("persona", "resident", "status"), [
    ("worker_a", "zhang_san", 200),
    ("worker_a", "li_si", 404),
    ("worker_a", "wang_wu", 404),
    ("worker_b", "zhang_san", 404),
    ("leader_a", "zhang_san", 200),
    ("community_staff", "li_si", 200),
    ("street_admin", "li_si", 200),
    ("street_admin", "wang_wu", 404),
    ("street2_admin", "zhang_san", 404),
    ("district_admin", "wang_wu", 200),
    ("resident_a", "zhang_san", 200),
    ("resident_a", "li_si", 404),
    ("volunteer", "zhang_san", 404),
    ("researcher", "zhang_san", 404),
    ("outsider", "zhang_san", 404),
])
def test_it_scopes_the_detail(world, login, persona, resident, status):
    client = login(getattr(world, persona))
    assert client.get(detail(getattr(world, resident))).status_code == status


def test_it_offers_reveal_only_where_the_role_may(world, login):
    worker_html = login(world.worker_a).get(detail(world.zhang_san)).content.decode()
    assert reveal(world.zhang_san, "phone") in worker_html
    assert reveal(world.zhang_san, "id_number") not in worker_html
    leader_html = login(world.leader_a).get(detail(world.zhang_san)).content.decode()
    assert reveal(world.zhang_san, "id_number") in leader_html
    resident_html = login(world.resident_a).get(detail(world.zhang_san)).content.decode()
    assert "/reveal/" not in resident_html


def test_it_reveals_the_phone_to_a_grid_worker_once(world, login):
    client = login(world.worker_a)
    response = client.post(reveal(world.zhang_san, "phone"), {"phone-reason": "电话回访 tomorrow"})
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REVEAL)
    assert entry.actor_username == "worker_a"
    assert entry.reason == "电话回访 tomorrow"
    assert entry.changes == {"field": "phone", "value": "138****5678"}
    # Shown once: the next view is masked again.
    assert "13812345678" not in client.get(detail(world.zhang_san)).content.decode()


def test_it_refuses_the_id_number_to_a_grid_worker(world, login):
    response = login(world.worker_a).post(reveal(world.zhang_san, "id_number"),
                                          {"id_number-reason": "need it for the form"})
    assert response.status_code == 403
    assert world.zhang_san.id_number_plain not in response.content.decode()
    assert "Your role does not allow this" in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).exists()


def test_it_reveals_the_id_number_to_a_grid_leader_with_the_reason_audited(world, login):
    response = login(world.leader_a).post(reveal(world.zhang_san, "id_number"),
                                          {"id_number-reason": "办理高龄补贴"})
    assert response.status_code == 200
    assert world.zhang_san.id_number_plain in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REVEAL)
    assert entry.actor_username == "leader_a"
    assert entry.reason == "办理高龄补贴"
    assert entry.object_id == str(world.zhang_san.pk)
    assert entry.changes["field"] == "id_number"
    assert world.zhang_san.id_number_plain not in str(entry.changes)


def test_it_returns_the_reveal_partial_for_htmx(world, login):
    response = login(world.leader_a).post(reveal(world.zhang_san, "id_number"),
                                          {"id_number-reason": "办理高龄补贴"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="reveal-id_number"' in html
    assert world.zhang_san.id_number_plain in html


def test_it_asks_for_a_reason_beside_the_field(world, login):
    response = login(world.worker_a).post(reveal(world.zhang_san, "phone"),
                                          {"phone-reason": "x"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_phone-reason_error"' in html
    assert "at least 4 characters" in html
    assert "13812345678" not in html
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).exists()


@pytest.mark.parametrize(("persona", "resident"), [
    ("worker_a", "li_si"), ("leader_a", "wang_wu"), ("street2_admin", "zhang_san"),
    ("outsider", "zhang_san"),
])
def test_it_is_404_to_reveal_out_of_scope(world, login, persona, resident):
    response = login(getattr(world, persona)).post(
        reveal(getattr(world, resident), "phone"), {"phone-reason": "some reason"})
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).exists()


def test_it_is_404_for_an_unknown_field_and_405_for_get(world, login):
    client = login(world.leader_a)
    assert client.post(reveal(world.zhang_san, "name"), {"name-reason": "why not"}
                       ).status_code == 404
    assert client.get(reveal(world.zhang_san, "phone")).status_code == 405


def test_it_adds_and_ends_a_group_membership(world, login):
    client = login(world.worker_a)
    low_income = Tag.objects.get(code="low_income")
    response = client.post(reverse("people:resident_tag_add", args=[world.zhang_san.pk]), {
        "tag": low_income.pk, "source": "民政局低保名册 2026-10", "valid_from": "2026-10-01",
        "valid_until": "", "legal_basis": "statutory_duty",
    })
    assert response.status_code == 302
    membership = ResidentTag.objects.get(resident=world.zhang_san, tag=low_income)
    assert membership.source == "民政局低保名册 2026-10"
    response = client.post(
        reverse("people:resident_tag_end", args=[world.zhang_san.pk, membership.pk]),
        {"valid_until": "2026-12-31"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.valid_until == dt.date(2026, 12, 31)
    assert AuditEntry.objects.filter(object_type="resident_tag").count() == 2


def test_it_shows_tag_errors_beside_their_fields(world, login):
    response = login(world.worker_a).post(
        reverse("people:resident_tag_add", args=[world.zhang_san.pk]), {
            "tag": Tag.objects.get(code="disabled").pk, "source": "", "valid_from": "2026-10-01",
            "valid_until": "2026-01-01", "legal_basis": "",
        })
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_source_error"' in html
    assert 'id="id_valid_until_error"' in html
    assert 'id="id_legal_basis_error"' in html


def test_it_refuses_tags_to_supervisors_and_hides_them_out_of_scope(world, login):
    url = reverse("people:resident_tag_add", args=[world.zhang_san.pk])
    data = {"tag": Tag.objects.first().pk, "source": "x", "valid_from": "2026-10-01",
            "legal_basis": "consent"}
    assert login(world.street_admin).post(url, data).status_code == 403
    assert login(world.worker_b).post(url, data).status_code == 404
    membership = ResidentTag.objects.get(resident=world.zhang_san)
    end = reverse("people:resident_tag_end", args=[world.li_si.pk, membership.pk])
    assert login(world.worker_b).post(end, {"valid_until": "2026-12-31"}).status_code == 404


def test_a_system_admins_reads_are_audited_on_pages_too(world, login):
    from warmgrid.audit.models import AuditEntry

    client = login(world.system_admin)
    assert client.get(f"/people/residents/{world.li_si.pk}/").status_code == 200
    client.get("/people/residents/?q=李")
    client.get("/people/residents/")
    views = AuditEntry.objects.filter(action="view", actor_username="sysadmin")
    assert views.filter(object_type="resident", object_id=str(world.li_si.pk)).exists()
    assert views.filter(changes__q="李").exists()
    assert views.count() == 3
    # Other roles read within their scope without an entry per page view.
    login(world.worker_a).get(f"/people/residents/{world.zhang_san.pk}/")
    assert not AuditEntry.objects.filter(action="view", actor_username="worker_a").exists()
