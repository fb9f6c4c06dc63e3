"""/api/v1/residents: list, search, read, register and correct, always within scope."""

import datetime as dt

import pytest

from warmgrid.audit.models import AuditEntry
from warmgrid.lib.idnumber import make_id_number
from warmgrid.people.models import Resident
from warmgrid.testing import make_household, make_resident

URL = "/api/v1/residents"
NEW_ID = make_id_number("370102", dt.date(1961, 5, 4), 37)  # a man born 1961-05-04


def bearer(api_token, user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}


def new_resident(world, **overrides):
    return {"household_id": world.household_a.pk, "name": "赵六", "id_number": NEW_ID,
            "phone": "13600001111", "relation": "spouse", "residence_status": "hukou",
            "id_number_basis": "statutory_duty", "phone_basis": "consent"} | overrides


def ids(r):
    assert r.status_code == 200, r.content
    return [item["id"] for item in r.json()["items"]]


# --- Reading ---

def test_it_lists_the_residents_of_the_workers_grid(world, client, api_token):
    r = client.get(URL, **bearer(api_token, world.worker_a))
    assert ids(r) == [world.zhang_san.pk]
    assert r.json()["count"] == 1
    item = r.json()["items"][0]
    assert item["name"] == "张三"
    assert item["id_number_masked"] == world.zhang_san.id_number_masked
    assert item["id_number"] == world.zhang_san.id_number_masked  # masked, never whole
    assert world.zhang_san.id_number_plain not in str(item)
    assert item["phone_masked"] == "138****5678"
    assert "phone" not in item


def test_it_never_shows_a_whole_id_number_or_phone(world, client, api_token):
    auth = bearer(api_token, world.district_admin)
    for url in (URL, f"{URL}/{world.zhang_san.pk}", f"{URL}?q=张三"):
        body = client.get(url, **auth).content.decode()
        assert world.zhang_san.id_number_plain not in body
        assert "13812345678" not in body


def test_a_street_admin_lists_the_whole_street(world, client, api_token):
    r = client.get(URL, **bearer(api_token, world.street_admin))
    assert sorted(ids(r)) == sorted([world.zhang_san.pk, world.li_si.pk])
    assert r.json()["count"] == 2


def test_a_resident_sees_only_their_own_household(world, client, api_token):
    other = make_resident(world.household_a, "张小三", birth=dt.date(2010, 1, 1), sequence=113,
                          relation=Resident.Relation.CHILD)
    auth = bearer(api_token, world.resident_a)
    assert sorted(ids(client.get(URL, **auth))) == sorted([world.zhang_san.pk, other.pk])
    assert client.get(f"{URL}/{world.li_si.pk}", **auth).status_code == 404
    assert ids(client.get(f"{URL}?q=李四", **auth)) == []


@pytest.mark.parametrize("persona", ["outsider", "volunteer", "researcher", "handler"])
def test_roles_that_do_not_read_the_registry_see_no_one(world, client, api_token, persona):
    auth = bearer(api_token, getattr(world, persona))
    r = client.get(URL, **auth)
    assert r.json() == {"items": [], "count": 0}
    assert client.get(f"{URL}/{world.zhang_san.pk}", **auth).status_code == 404


def test_it_pages_with_limit_and_offset(world, client, api_token):
    household = make_household(world.building_a, "1", "101")
    made = [make_resident(household, f"住户{i}", birth=dt.date(1980, 1, 1 + i),
                          sequence=111 + 2 * i) for i in range(5)]
    auth = bearer(api_token, world.worker_a)
    everyone = ids(client.get(f"{URL}?limit=100", **auth))
    assert len(everyone) == 6
    r = client.get(f"{URL}?limit=2&offset=2", **auth)
    assert ids(r) == everyone[2:4]
    assert r.json()["count"] == 6
    assert {m.pk for m in made} <= set(everyone)


def test_it_filters_by_household_and_grid(world, client, api_token):
    auth = bearer(api_token, world.street_admin)
    assert ids(client.get(f"{URL}?household={world.household_b.pk}", **auth)) == [world.li_si.pk]
    assert ids(client.get(f"{URL}?grid={world.grid_a.pk}", **auth)) == [world.zhang_san.pk]


def test_filtering_by_another_grid_finds_nothing(world, client, api_token):
    auth = bearer(api_token, world.worker_a)
    r = client.get(f"{URL}?household={world.household_b.pk}", **auth)
    assert r.json() == {"items": [], "count": 0}
    r = client.get(f"{URL}?grid={world.grid_b.pk}", **auth)
    assert r.json() == {"items": [], "count": 0}


@pytest.mark.parametrize("query", ["张三", "张", "zhangsan", "zs", "ZS"])
def test_it_searches_by_name_pinyin_and_initials(world, client, api_token, query):
    r = client.get(URL, {"q": query}, **bearer(api_token, world.worker_a))
    assert ids(r) == [world.zhang_san.pk]
    assert r.json()["count"] == 1


def test_it_searches_by_last_four_whole_id_number_and_mobile(world, client, api_token):
    auth = bearer(api_token, world.worker_a)
    plain = world.zhang_san.id_number_plain
    for query in (plain[-4:], plain, "13812345678", "3号楼2单元301"):
        assert ids(client.get(URL, {"q": query}, **auth)) == [world.zhang_san.pk], query


def test_search_never_finds_another_grids_resident(world, client, api_token):
    auth = bearer(api_token, world.worker_a)
    plain = world.li_si.id_number_plain
    for query in ("李四", "李", "lisi", "ls", plain[-4:], plain, "13987654321", "5号楼1单元502"):
        r = client.get(URL, {"q": query}, **auth)
        assert r.json() == {"items": [], "count": 0}, query


def test_it_reads_one_resident(world, client, api_token):
    r = client.get(f"{URL}/{world.zhang_san.pk}", **bearer(api_token, world.worker_a))
    assert r.status_code == 200
    assert r.json()["id"] == world.zhang_san.pk
    assert "birth_date" not in r.json()
    assert r.json()["birth_year"] == 1950
    assert "1950-03-08" not in r.content.decode()


@pytest.mark.parametrize("persona", ["worker_a", "leader_a", "street2_admin", "resident_a"])
def test_another_grids_resident_is_not_found(world, client, api_token, persona):
    r = client.get(f"{URL}/{world.li_si.pk}", **bearer(api_token, getattr(world, persona)))
    assert r.status_code == 404
    assert r.json() == {"code": "not_found", "message": r.json()["message"], "fields": {}}


def test_a_missing_resident_is_not_found_the_same_way(world, client, api_token):
    auth = bearer(api_token, world.worker_a)
    missing = client.get(f"{URL}/999999", **auth)
    hidden = client.get(f"{URL}/{world.li_si.pk}", **auth)
    assert missing.status_code == hidden.status_code == 404
    assert missing.content == hidden.content


def test_the_list_takes_a_fixed_number_of_queries(world, client, api_token,
                                                 django_assert_num_queries):
    household = make_household(world.building_a, "1", "101")
    for i in range(10):
        make_resident(household, f"住户{i}", birth=dt.date(1980, 1, 1 + i), sequence=111 + 2 * i)
    auth = bearer(api_token, world.worker_a)
    # token, grants, page, count
    with django_assert_num_queries(4):
        r = client.get(URL, **auth)
    assert r.json()["count"] == 11


def test_a_system_admins_reads_are_audited(world, client, api_token):
    auth = bearer(api_token, world.system_admin)
    client.get(f"{URL}/{world.zhang_san.pk}", **auth)
    client.get(URL, {"q": "李四"}, **auth)
    views = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW).order_by("seq")
    assert [(v.object_type, v.object_id) for v in views] == [
        ("resident", str(world.zhang_san.pk)), ("resident", "")]
    assert views[1].changes == {"ids": [world.li_si.pk], "q": "李四"}


def test_a_system_admins_search_by_number_is_audited_masked(world, client, api_token):
    auth = bearer(api_token, world.system_admin)
    plain = world.zhang_san.id_number_plain
    assert ids(client.get(URL, {"q": plain}, **auth)) == [world.zhang_san.pk]
    assert ids(client.get(URL, {"q": "13812345678"}, **auth)) == [world.zhang_san.pk]
    asked = [e.changes["q"] for e in AuditEntry.objects.filter(action=AuditEntry.Action.VIEW)
             .order_by("seq")]
    assert asked == [world.zhang_san.id_number_masked, "138****5678"]


def test_other_reads_are_not_audited(world, client, api_token):
    client.get(f"{URL}/{world.zhang_san.pk}", **bearer(api_token, world.worker_a))
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.VIEW).exists()


# --- Registering ---

def test_it_registers_a_resident(world, client, api_token):
    r = client.post(URL, new_resident(world), content_type="application/json",
                    **bearer(api_token, world.worker_a))
    assert r.status_code == 201, r.content
    doc = r.json()
    resident = Resident.objects.get(pk=doc["id"])
    assert resident.household_id == world.household_a.pk
    assert resident.grid_id == world.grid_a.pk
    # Derived from the ID number; shown masked only.
    assert (doc["birth_year"], doc["gender"]) == (1961, "M")
    assert "birth_date" not in doc
    assert doc["id_number_masked"] == "*" * 14 + NEW_ID[-4:]
    assert doc["phone_masked"] == "136****1111"
    assert NEW_ID not in r.content.decode()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_type="resident",
                                     object_id=str(resident.pk)).exists()


def test_it_reports_a_wrong_id_number_beside_the_field(world, client, api_token):
    body = new_resident(world, id_number=NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1"))
    r = client.post(URL, body, content_type="application/json",
                    **bearer(api_token, world.worker_a))
    assert r.status_code == 422
    assert r.json()["code"] == "invalid"
    assert "id_number" in r.json()["fields"]
    assert Resident.objects.count() == 3


def test_it_reports_a_birth_date_that_disagrees_with_the_id_number(world, client, api_token):
    body = new_resident(world, birth_date="1961-05-05")
    r = client.post(URL, body, content_type="application/json",
                    **bearer(api_token, world.worker_a))
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["birth_date"]


def test_it_reports_a_wrong_phone(world, client, api_token):
    r = client.post(URL, new_resident(world, phone="12345"), content_type="application/json",
                    **bearer(api_token, world.worker_a))
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["phone"]


def test_it_refuses_an_id_number_registered_already(world, client, api_token):
    body = new_resident(world, id_number=world.li_si.id_number_plain, name="李四")
    r = client.post(URL, body, content_type="application/json",
                    **bearer(api_token, world.worker_a))
    assert r.status_code == 409
    assert r.json()["code"] == "duplicate_id_number"
    assert "id_number" in r.json()["fields"]
    assert Resident.objects.count() == 3


def test_it_cannot_register_into_another_grids_household(world, client, api_token):
    body = new_resident(world, household_id=world.household_b.pk)
    r = client.post(URL, body, content_type="application/json",
                    **bearer(api_token, world.worker_a))
    assert r.status_code == 404
    assert Resident.objects.count() == 3


def test_supervisors_read_but_do_not_register(world, client, api_token):
    r = client.post(URL, new_resident(world), content_type="application/json",
                    **bearer(api_token, world.street_admin))
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert Resident.objects.count() == 3


# --- Correcting ---

def test_it_corrects_a_resident(world, client, api_token):
    r = client.patch(f"{URL}/{world.zhang_san.pk}", {"occupation": "退休", "phone": "13700002222",
                                                      "phone_basis": "consent"},
                     content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 200, r.content
    assert r.json()["phone_masked"] == "137****2222"
    world.zhang_san.refresh_from_db()
    assert world.zhang_san.occupation == "退休"
    assert world.zhang_san.phone_masked == "137****2222"
    assert world.zhang_san.name == "张三"  # not sent, not changed
    assert world.zhang_san.field_bases.get(field="phone").basis == "consent"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_type="resident")
    assert entry.changes["phone"] == ["138****5678", "137****2222"]


def test_an_empty_phone_removes_it(world, client, api_token):
    r = client.patch(f"{URL}/{world.zhang_san.pk}", {"phone": ""},
                     content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 200
    world.zhang_san.refresh_from_db()
    assert world.zhang_san.phone_masked == "" and world.zhang_san.phone_cipher == ""


def test_it_cannot_correct_another_grids_resident(world, client, api_token):
    r = client.patch(f"{URL}/{world.li_si.pk}", {"name": "王八"},
                     content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 404
    world.li_si.refresh_from_db()
    assert world.li_si.name == "李四"
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()


def test_a_resident_cannot_correct_their_household(world, client, api_token):
    r = client.patch(f"{URL}/{world.zhang_san.pk}", {"name": "张三丰"},
                     content_type="application/json", **bearer(api_token, world.resident_a))
    assert r.status_code == 403
    world.zhang_san.refresh_from_db()
    assert world.zhang_san.name == "张三"


def test_a_correction_is_validated_by_the_actions(world, client, api_token):
    body = {"birth_date": "1951-01-01", "id_number": world.zhang_san.id_number_plain,
            "id_number_basis": "statutory_duty"}
    r = client.patch(f"{URL}/{world.zhang_san.pk}", body, content_type="application/json",
                     **bearer(api_token, world.worker_a))
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["birth_date"]


def test_a_new_phone_needs_its_legal_basis(world, client, api_token):
    r = client.patch(f"{URL}/{world.zhang_san.pk}", {"phone": "13700002222"},
                     content_type="application/json", **bearer(api_token, world.worker_a))
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["phone_basis"]
    world.zhang_san.refresh_from_db()
    assert world.zhang_san.phone_masked == "138****5678"
