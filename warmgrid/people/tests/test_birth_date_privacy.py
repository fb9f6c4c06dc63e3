"""The birth date is digits 7-14 of the ID number, so it is guarded like the number.

Region + birth date + last four is the whole ID number. So nobody who has not revealed
the ID number (audited, with a reason) sees a birth date: pages, lists, the API and the
audit trail show the birth year and the age, and masked ID numbers keep the last four
characters only. With no ID number on file the date is still shown whole only in the
edit form, to those who may edit. See docs/security.md.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from warmgrid.audit.models import AuditEntry
from warmgrid.cases.models import Case
from warmgrid.lib.idnumber import make_id_number
from warmgrid.people.actions import ResidentInput, do_create_resident
from warmgrid.people.models import Resident

HTMX = {"HTTP_HX_REQUEST": "true"}
NEW_ID = make_id_number("370102", dt.date(1961, 5, 4), 37)  # 赵六, registered in the tests
CORRECTED_ID = make_id_number("370102", dt.date(1962, 7, 9), 37)
CHILD_BIRTH = dt.date(2015, 5, 5)  # a child registered without an ID number
migration = import_module("warmgrid.people.migrations.0005_id_number_masked_last_four")


def date_forms(day: dt.date) -> set[str]:
    """Every way a page or an entry might spell out a birth date."""
    return {
        day.isoformat(), f"{day:%Y%m%d}", f"{day:%Y/%m/%d}", f"{day:%Y.%m.%d}",
        f"{day.year}-{day.month}-{day.day}", f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日", f"{day:%Y年%m月%d日}",
        f"{day:%B} {day.day}, {day.year}", f"{day:%b}. {day.day}, {day.year}",
    }


def secrets_of(resident: Resident, id_number: str | None) -> set[str]:
    """What must not be shown of a resident before a reveal: the birth date in any
    spelling and, with an ID number, its first fourteen characters."""
    found = date_forms(resident.birth_date)
    if id_number:
        found.add(id_number[:14])
    return found


def leaks(text: str, residents) -> list[str]:
    return sorted(s for resident, id_number in residents
                  for s in secrets_of(resident, id_number) if s in text)


@pytest.fixture
def registry(world):
    """Grid A with 张三 (ID number on file), 赵六 (registered with one) and a child
    without one; a case and a group membership so every kind of page has content."""
    zhao = do_create_resident(
        actor=world.worker_a, household=world.household_a,
        data=ResidentInput(name="赵六", id_number=NEW_ID, id_number_basis="statutory_duty",
                           relation="spouse", residence_status="hukou"))
    zhao.id_number_plain = NEW_ID
    child = do_create_resident(
        actor=world.worker_a, household=world.household_a,
        data=ResidentInput(name="张小宝", gender="M", birth_date=CHILD_BIRTH,
                           relation="grandchild", residence_status="hukou"))
    case = Case.objects.create(
        description="张三家门口路灯不亮", grid=world.grid_a, area_path=world.grid_a.path,
        building=world.building_a, household=world.household_a, state=Case.State.DISPATCHED,
        channel=Case.Channel.GRID_WORKER, reporter=world.worker_a, created_at=timezone.now())
    residents = [(world.zhang_san, world.zhang_san.id_number_plain), (zhao, NEW_ID),
                 (child, None), (world.li_si, world.li_si.id_number_plain),
                 (world.wang_wu, world.wang_wu.id_number_plain)]
    return {"zhao": zhao, "child": child, "case": case, "residents": residents}


# --- Masking ---------------------------------------------------------------------------


def test_stored_masks_keep_the_last_four_only(world, registry):
    for resident in Resident.objects.exclude(id_number_masked=""):
        assert re.fullmatch(r"\*{14}[\dX]{4}", resident.id_number_masked), resident.name
    assert registry["zhao"].id_number_masked == "*" * 14 + NEW_ID[-4:]


@pytest.mark.parametrize(("old", "new"), [
    ("370102********1234", "**************1234"),
    ("370102********123X", "**************123X"),
    ("370102*****1234", "***********1234"),  # an old 15-digit number
    ("**************1234", "**************1234"),  # already rewritten: unchanged
    ("**********", "**********"),  # short values were all stars
    ("", ""),
])
def test_the_migration_keeps_the_last_four_of_a_stored_mask(old, new):
    assert migration.last_four_only(old) == new


def test_the_migration_rewrites_every_stored_mask(world):
    old_style = {world.zhang_san.pk: world.zhang_san.id_number_plain[:6] + "*" * 8
                 + world.zhang_san.id_number_plain[-4:],
                 world.li_si.pk: world.li_si.id_number_plain[:6] + "*" * 8
                 + world.li_si.id_number_plain[-4:]}
    for pk, masked in old_style.items():
        Resident.objects.filter(pk=pk).update(id_number_masked=masked)
    migration.mask_last_four(django_apps, None)
    migration.mask_last_four(django_apps, None)  # twice: nothing more changes
    for resident in (world.zhang_san, world.li_si, world.wang_wu):
        resident.refresh_from_db()
        assert resident.id_number_masked == "*" * 14 + resident.id_number_plain[-4:]


# --- Nothing shown before a reveal --------------------------------------------------------


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


# Pages that change the session or are not ours to walk; the API has its own walk below.
NOT_WALKED = ("accounts/logout/", "i18n/setlang/", "admin/", "api/", "static/", "media/",
              "open311/")


def own_grid_pages(world, registry):
    """Every page route, with its ids filled from grid A, and whether it takes any.
    Routes with an id of a kind not known here are left out: the scope walk
    (tests/test_scope_walk.py) makes sure someone names them."""
    membership = world.zhang_san.tags.first()
    ids = {"resident_id": world.zhang_san.pk, "household_id": world.household_a.pk,
           "building_id": world.building_a.pk, "area_id": world.grid_a.pk,
           "case_id": registry["case"].pk, "membership_id": membership.pk}
    for route in _walk(get_resolver().url_patterns):
        if route.startswith(NOT_WALKED):
            continue
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if not set(names) <= set(ids):
            continue
        url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), route)
        yield url, bool(names)


def searches(world):
    plain = world.zhang_san.id_number_plain
    return ["", "?q=zs", "?q=张", f"?q={plain[-4:]}", f"?q={plain}", "?q=3-2-301",
            f"?q={NEW_ID}"]


@pytest.mark.parametrize("persona", ["worker_a", "leader_a", "community_staff",
                                     "street_admin", "system_admin", "resident_a"])
def test_no_page_shows_a_birth_date_or_the_id_numbers_first_fourteen(world, registry, login,
                                                                      persona):
    client = login(getattr(world, persona))
    # A page that fails is another test's business; this one reads the pages that answer.
    client.raise_request_exception = False
    walked = 0
    for url, takes_ids in own_grid_pages(world, registry):
        for query in [""] if takes_ids else searches(world):
            response = client.get(url + query, **({} if walked % 2 else HTMX))
            if response.status_code != 200:
                continue
            # A search box shows the user's own words back; that is not a leak.
            text = response.content.decode(errors="replace").replace(query[3:] or "\0", "")
            assert leaks(text, registry["residents"]) == [], (persona, url + query)
            walked += 1
    assert walked > 10


def test_the_registry_pages_show_year_and_age_and_last_four(world, registry, login):
    client = login(world.worker_a)
    today = timezone.localdate()
    zhang_age = world.zhang_san.age_on(today)
    child_age = registry["child"].age_on(today)
    detail = client.get(f"/people/residents/{world.zhang_san.pk}/").content.decode()
    assert f"born 1950, age {zhang_age}" in detail
    assert "*" * 14 + world.zhang_san.id_number_plain[-4:] in detail
    listing = client.get("/people/residents/").content.decode()
    assert f"born 1950, age {zhang_age}" in listing
    assert f"born 2015, age {child_age}" in listing
    household = client.get(f"/people/households/{world.household_a.pk}/").content.decode()
    assert f"born 1961, age {registry['zhao'].age_on(today)}" in household
    assert f"born 2015, age {child_age}" in household
    assert "*" * 14 + NEW_ID[-4:] in household


def test_the_edit_form_takes_the_birth_date_from_the_id_number(world, registry, login):
    client = login(world.worker_a)
    html = client.get(f"/people/residents/{world.zhang_san.pk}/edit/").content.decode()
    assert 'name="birth_date"' not in html
    assert "From the ID number" in html
    assert leaks(html, registry["residents"]) == []
    # A birth date posted anyway is not taken (nor checked, so it answers no guess).
    response = client.post(f"/people/residents/{world.zhang_san.pk}/edit/", {
        "name": "张三", "gender": "M", "birth_date": "1951-01-01", "relation": "householder",
        "residence_status": "hukou", "ethnicity": "汉族", "occupation": "退休"})
    assert response.status_code == 302
    world.zhang_san.refresh_from_db()
    assert world.zhang_san.birth_date == dt.date(1950, 3, 8)


def test_without_an_id_number_only_editors_see_the_birth_date_in_the_edit_form(
        world, registry, login):
    child = registry["child"]
    url = f"/people/residents/{child.pk}/edit/"
    html = login(world.worker_a).get(url).content.decode()
    assert f'name="birth_date" value="{CHILD_BIRTH.isoformat()}"' in html
    # Read-only roles in scope get no edit form, so no date.
    for persona in ("street_admin", "resident_a"):
        response = login(getattr(world, persona)).get(url)
        assert response.status_code == 403
        assert leaks(response.content.decode(), registry["residents"]) == []
    detail = login(world.street_admin).get(f"/people/residents/{child.pk}/").content.decode()
    assert "born 2015, age" in detail
    assert leaks(detail, registry["residents"]) == []


@pytest.mark.parametrize("persona", ["worker_a", "leader_a", "street_admin", "district_admin"])
def test_no_api_answer_shows_a_birth_date_or_the_id_numbers_first_fourteen(
        world, registry, client, api_token, persona):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token(getattr(world, persona))}"}
    ids = {"resident_id": world.zhang_san.pk, "household_id": world.household_a.pk,
           "building_id": world.building_a.pk, "area_id": world.grid_a.pk,
           "case_id": registry["case"].pk}
    document = client.get("/api/v1/openapi.json").json()
    walked = 0
    for path, operations in document["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        if "get" not in operations or not set(names) <= set(ids):
            continue
        url = re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)
        for query in [*searches(world), "?limit=100"]:
            response = client.get(url + query, **headers)
            assert leaks(response.content.decode(), registry["residents"]) == [], url + query
            walked += 1
    assert walked > 20


def test_the_api_answers_birth_year_and_age_instead_of_the_birth_date(
        world, registry, client, api_token):
    document = client.get("/api/v1/openapi.json").json()
    fields = document["components"]["schemas"]["ResidentOut"]["properties"]
    assert "birth_date" not in fields
    assert {"birth_year", "age"} <= set(fields)
    r = client.get(f"/api/v1/residents/{world.zhang_san.pk}",
                   HTTP_AUTHORIZATION=f"Bearer {api_token(world.worker_a)}")
    doc = r.json()
    assert doc["birth_year"] == 1950
    assert doc["age"] == world.zhang_san.age_on(timezone.localdate())
    assert doc["id_number_masked"] == "*" * 14 + world.zhang_san.id_number_plain[-4:]


def test_a_birth_date_sent_alone_answers_no_guess(world, client, api_token):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token(world.worker_a)}"}
    answers = []
    for guess in ("1950-03-08", "1950-03-09"):  # the right date, then a wrong one
        r = client.patch(f"/api/v1/residents/{world.zhang_san.pk}", {"birth_date": guess},
                         content_type="application/json", **headers)
        answers.append((r.status_code, r.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422
    assert list(answers[0][1]["fields"]) == ["birth_date"]


# --- The audit trail ---------------------------------------------------------------------


def test_no_audit_entry_carries_a_birth_date(world, registry, client, api_token, login):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token(world.worker_a)}"}
    # A correction of the ID number that moves the birth date, through the API.
    r = client.patch(f"/api/v1/residents/{registry['zhao'].pk}", {"id_number": CORRECTED_ID},
                     content_type="application/json", **headers)
    assert r.status_code == 200, r.content
    # A registration through the page.
    page_id = make_id_number("370102", dt.date(1977, 8, 19), 55)
    response = login(world.worker_a).post(
        f"/people/households/{world.household_a.pk}/residents/new/", {
            "name": "孙七", "id_number": page_id, "id_number_basis": "statutory_duty",
            "relation": "other", "residence_status": "hukou", "ethnicity": "汉族"})
    assert response.status_code == 302
    # A reveal, and a system admin's search by whole ID number.
    login(world.leader_a).post(f"/people/residents/{world.zhang_san.pk}/reveal/id_number/",
                               {"id_number-reason": "办理高龄补贴"})
    login(world.system_admin).get(f"/people/residents/?q={world.zhang_san.id_number_plain}")

    corrected = Resident.objects.get(pk=registry["zhao"].pk)
    sun = Resident.objects.get(name="孙七")
    residents = [*registry["residents"], (corrected, CORRECTED_ID), (sun, page_id)]
    entries = list(AuditEntry.objects.all())
    assert len(entries) >= 6
    for entry in entries:
        text = f"{entry.changes} {entry.object_repr} {entry.reason}"
        assert leaks(text, residents) == [], (entry.action, entry.object_type, entry.changes)
    created = AuditEntry.objects.get(action="create", object_type="resident",
                                     object_id=str(sun.pk))
    assert created.changes["birth_year"] == 1977
    assert created.changes["id_number"] == "*" * 14 + page_id[-4:]
    updated = AuditEntry.objects.get(action="update", object_type="resident",
                                     object_id=str(corrected.pk))
    assert updated.changes["birth_year"] == ["1961", "1962"]
    assert "birth_date" not in updated.changes
    # And the pages and API that show the trail show none either.
    admin = login(world.street_admin)
    assert leaks(admin.get("/audit/").content.decode(), residents) == []
    r = client.get("/api/v1/audit/entries?limit=100",
                   HTTP_AUTHORIZATION=f"Bearer {api_token(world.street_admin)}")
    assert r.status_code == 200
    assert leaks(r.content.decode(), residents) == []


# --- After an audited reveal -------------------------------------------------------------


def test_revealing_the_id_number_shows_the_birth_date_and_is_audited(world, registry, login):
    client = login(world.leader_a)
    url = f"/people/residents/{world.zhang_san.pk}/reveal/id_number/"
    for headers in ({}, HTMX):
        response = client.post(url, {"id_number-reason": "办理高龄补贴"}, **headers)
        html = response.content.decode()
        assert response.status_code == 200
        assert world.zhang_san.id_number_plain in html
        assert 'data-revealed="birth_date">1950-03-08<' in html
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL,
                                        object_id=str(world.zhang_san.pk))
    assert entries.count() == 2
    assert {e.reason for e in entries} == {"办理高龄补贴"}
    assert entries.first().changes == {"field": "id_number",
                                       "value": world.zhang_san.id_number_masked}
    # Revealing the phone shows no birth date; the next page view is back to year and age.
    phone = client.post(f"/people/residents/{world.zhang_san.pk}/reveal/phone/",
                        {"phone-reason": "电话回访"}).content.decode()
    assert leaks(phone, registry["residents"]) == []
    again = client.get(f"/people/residents/{world.zhang_san.pk}/").content.decode()
    assert leaks(again, registry["residents"]) == []


def test_the_api_reveal_answers_the_birth_date_with_the_id_number(world, client, api_token):
    r = client.post(f"/api/v1/residents/{world.zhang_san.pk}/reveal",
                    {"field": "id_number", "reason": "入户核实身份"},
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {api_token(world.leader_a)}")
    assert r.status_code == 200
    assert r.json()["birth_date"] == "1950-03-08"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL,
                                     actor_username="leader_a").exists()


def test_a_refused_reveal_shows_no_birth_date(world, registry, login):
    response = login(world.worker_a).post(
        f"/people/residents/{world.zhang_san.pk}/reveal/id_number/",
        {"id_number-reason": "need it for the form"})
    assert response.status_code == 403
    assert leaks(response.content.decode(), registry["residents"]) == []
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).exists()


# --- Age, with the clock held --------------------------------------------------------------


@pytest.mark.parametrize(("utc", "age"), [
    (dt.datetime(2026, 3, 7, 15, 59, 59, tzinfo=dt.UTC), 75),  # 23:59:59 on 7 March in 济南
    (dt.datetime(2026, 3, 7, 16, 0, 0, tzinfo=dt.UTC), 76),  # midnight: the 76th birthday
])
def test_the_age_turns_at_midnight_in_shanghai(world, login, api_token, client, monkeypatch,
                                                utc, age):
    monkeypatch.setattr(timezone, "now", lambda: utc)
    page = login(world.worker_a).get(f"/people/residents/{world.zhang_san.pk}/")
    assert f"born 1950, age {age}" in page.content.decode()
    listing = login(world.worker_a).get("/people/residents/").content.decode()
    assert f"born 1950, age {age}" in listing
    r = client.get(f"/api/v1/residents/{world.zhang_san.pk}",
                   HTTP_AUTHORIZATION=f"Bearer {api_token(world.worker_a)}")
    assert r.json()["age"] == age
