"""Households: list, detail with members, register and correct."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from warmgrid.audit.models import AuditEntry
from warmgrid.people.models import Household
from warmgrid.testing import make_resident

LIST = reverse("people:household_list")
CREATE = reverse("people:household_create")
HTMX = {"HTTP_HX_REQUEST": "true"}


def detail(household) -> str:
    return reverse("people:household_detail", args=[household.pk])


def edit(household) -> str:
    return reverse("people:household_edit", args=[household.pk])


def test_it_lists_the_households_in_scope(world, login):
    html = login(world.worker_a).get(LIST).content.decode()
    assert detail(world.household_a) in html
    assert detail(world.household_b) not in html
    assert detail(world.household_c) not in html
    street_html = login(world.street_admin).get(LIST).content.decode()
    assert detail(world.household_b) in street_html
    assert detail(world.household_c) not in street_html


def test_it_searches_households_with_an_htmx_partial(world, login):
    client = login(world.worker_a)
    response = client.get(LIST, {"q": "3-2-301"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert detail(world.household_a) in html
    assert detail(world.household_b) not in client.get(LIST, {"q": "502"}, **HTMX
                                                       ).content.decode()


def test_it_is_404_for_the_list_without_the_registry(world, login):
    assert login(world.volunteer).get(LIST).status_code == 404


@pytest.mark.parametrize(("persona", "household", "status"), [
    ("worker_a", "household_a", 200), ("worker_a", "household_b", 404),
    ("worker_a", "household_c", 404), ("resident_a", "household_a", 200),
    ("resident_a", "household_b", 404), ("street_admin", "household_b", 200),
    ("street2_admin", "household_a", 404), ("outsider", "household_a", 404),
])
def test_it_scopes_the_detail(world, login, persona, household, status):
    response = login(getattr(world, persona)).get(detail(getattr(world, household)))
    assert response.status_code == status


def test_it_shows_members_and_householder(world, login):
    make_resident(world.household_a, "张小明", birth=dt.date(2010, 5, 1),
                  sequence=211, relation="grandchild")
    html = login(world.worker_a).get(detail(world.household_a)).content.decode()
    assert "张三" in html and "张小明" in html
    assert "Householder: 张三" in html
    assert reverse("people:resident_create", args=[world.household_a.pk]) in html
    resident_html = login(world.resident_a).get(detail(world.household_a)).content.decode()
    assert "张小明" in resident_html
    assert reverse("people:household_edit", args=[world.household_a.pk]) not in resident_html


def test_it_registers_a_household(world, login):
    client = login(world.worker_a)
    form = client.get(CREATE).content.decode()
    assert world.building_a.name in form
    assert world.building_b.name not in form  # another grid's building is not offered
    response = client.post(CREATE, {"building": world.building_a.pk, "unit": "1",
                                    "room": "602"})
    household = Household.objects.get(building=world.building_a, unit="1", room="602")
    assert response.status_code == 302
    assert response["Location"] == detail(household)
    assert AuditEntry.objects.filter(object_type="household",
                                     action=AuditEntry.Action.CREATE).count() == 1


def test_it_shows_a_taken_room_beside_the_room(world, login):
    response = login(world.worker_a).post(CREATE, {"building": world.building_a.pk,
                                                   "unit": "2", "room": "301"}, **HTMX)
    html = response.content.decode()
    assert 'id="id_room_error"' in html
    assert "already registered" in html
    assert Household.objects.filter(building=world.building_a).count() == 1


def test_it_refuses_another_grids_building(world, login):
    response = login(world.worker_a).post(CREATE, {"building": world.building_b.pk,
                                                   "unit": "1", "room": "101"})
    assert response.status_code == 200
    assert 'id="id_building_error"' in response.content.decode()
    assert not Household.objects.filter(building=world.building_b, room="101").exists()


def test_it_refuses_registration_to_supervisors(world, login):
    assert login(world.street_admin).get(CREATE).status_code == 403
    assert login(world.outsider).get(CREATE).status_code == 404


def test_it_edits_a_household_and_its_householder(world, login):
    child = make_resident(world.household_a, "张小明", birth=dt.date(1980, 5, 1),
                          sequence=211, relation="child")
    client = login(world.worker_a)
    assert client.get(edit(world.household_a)).status_code == 200
    response = client.post(edit(world.household_a), {
        "building": world.building_a.pk, "unit": "2", "room": "302", "householder": child.pk})
    assert response.status_code == 302
    household = Household.objects.get(pk=world.household_a.pk)
    assert household.room == "302"
    assert household.householder_id == child.pk
    entry = AuditEntry.objects.get(object_type="household", action=AuditEntry.Action.UPDATE)
    assert entry.changes["room"] == ["301", "302"]


@pytest.mark.parametrize(("persona", "status"), [
    ("worker_b", 404), ("street_admin", 403), ("resident_a", 403), ("street2_admin", 404),
])
def test_it_scopes_the_edit(world, login, persona, status):
    client = login(getattr(world, persona))
    assert client.get(edit(world.household_a)).status_code == status
    response = client.post(edit(world.household_a), {"building": world.building_a.pk,
                                                      "unit": "2", "room": "999"})
    assert response.status_code == status
    assert Household.objects.get(pk=world.household_a.pk).room == "301"
