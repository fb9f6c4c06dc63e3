"""The audit log page: each admin reads their own area's log, with filters and pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.people.actions import ResidentInput, do_reveal_field, do_update_resident

LOG = reverse("audit:log")
RESIDENTS = {"object_type": "resident"}  # signing in writes entries too: leave them out


@pytest.fixture
def entries(world):
    """One change in each street, and a reveal in street 1."""
    do_update_resident(actor=world.worker_a, resident=world.zhang_san,
                       data=ResidentInput(occupation="退休"), ip_address="10.0.0.1")
    do_reveal_field(actor=world.leader_a, resident=world.zhang_san, field_name="id_number",
                    reason="办理高龄补贴")
    do_record_audit(action=AuditEntry.Action.UPDATE, actor=world.district_admin,
                    object_type="resident", object_id=world.wang_wu.pk,
                    object_repr="王五", area_path=world.wang_wu.area_path,
                    changes={"occupation": ["", "司机"]})
    return world


def test_it_shows_a_street_admin_their_streets_entries(entries, login):
    response = login(entries.street_admin).get(LOG, RESIDENTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "张三" in html
    assert "办理高龄补贴" in html  # the reason of the reveal
    assert "10.0.0.1" in html
    assert "王五" not in html
    assert "2 entries." in html


def test_it_hides_street1_entries_from_street2_admin(entries, login):
    html = login(entries.street2_admin).get(LOG, RESIDENTS).content.decode()
    assert "王五" in html
    assert "张三" not in html
    assert "办理高龄补贴" not in html
    assert "1 entry." in html


def test_it_shows_the_whole_district_to_district_and_system_admins(entries, login):
    for persona in (entries.district_admin, entries.system_admin):
        html = login(persona).get(LOG).content.decode()
        assert "张三" in html and "王五" in html


@pytest.mark.parametrize("persona", ["worker_a", "leader_a", "community_staff", "resident_a",
                                     "volunteer", "researcher", "handler", "outsider"])
def test_it_is_404_for_everyone_else(entries, login, persona):
    assert login(getattr(entries, persona)).get(LOG).status_code == 404


def test_it_filters_by_action_user_type_and_date(entries, login):
    client = login(entries.district_admin)
    reveal = client.get(LOG, {"action": "reveal"}).content.decode()
    assert "1 entry." in reveal and "办理高龄补贴" in reveal
    by_user = client.get(LOG, {"actor": "worker_a"}).content.decode()
    assert "1 entry." in by_user and "退休" in by_user
    by_type = client.get(LOG, {"object_type": "household"}).content.decode()
    assert "0 entries." in by_type
    today = timezone.localdate()
    in_range = client.get(LOG, {"date_from": today.isoformat(), "date_to": today.isoformat(),
                                **RESIDENTS})
    assert "3 entries." in in_range.content.decode()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert "0 entries." in client.get(LOG, {"date_from": tomorrow}).content.decode()


def test_it_shows_a_backwards_date_range_beside_the_field(entries, login):
    html = login(entries.district_admin).get(LOG, {"date_from": "2026-02-01",
                                                   "date_to": "2026-01-01"}).content.decode()
    assert 'id="id_date_to_error"' in html


def test_it_paginates(entries, login, django_assert_max_num_queries):
    for i in range(60):
        do_record_audit(action=AuditEntry.Action.VIEW, actor=entries.street_admin,
                        object_type="resident", object_id=entries.li_si.pk,
                        object_repr=f"李四 {i}", area_path=entries.li_si.area_path)
    client = login(entries.street_admin)
    client.get(LOG)
    with django_assert_max_num_queries(10):  # 9, and the unread-notices badge
        first = client.get(LOG, RESIDENTS).content.decode()
    assert "62 entries." in first
    assert "Page 1 of 2" in first
    second = client.get(LOG, {"page": 2, **RESIDENTS}).content.decode()
    assert "Page 2 of 2" in second
    assert "?page=1&amp;object_type=resident" in second  # the filters stay on every page
