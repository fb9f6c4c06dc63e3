"""Open311 GeoReport v2 at /open311/v2/: discovery, services, filing a case with an API key,
the public request list in JSON and XML, the spec's errors, and `warmgrid open311`."""

import datetime as dt
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from warmgrid.audit.models import AuditEntry
from warmgrid.cases.models import Case, CaseEvent, Category, Open311Client

BASE = "/open311/v2/"
JSON = "application/json; charset=utf-8"
XML = "text/xml; charset=utf-8"
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name",
                  "service_code", "description", "agency_responsible", "service_notice",
                  "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "address_id", "zipcode", "lat", "long", "media_url"}


@pytest.fixture(autouse=True)
def fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


def issue_key(name="物业通", *extra) -> str:
    out = io.StringIO()
    call_command("open311", "issue-key", name, *extra, stdout=out)
    return out.getvalue()


def last_word(output: str) -> str:
    return output.strip().splitlines()[-1].split()[-1]


@pytest.fixture
def api_key(world):
    return last_word(issue_key())


def post(client, fmt="json", **fields):
    return client.post(f"{BASE}requests.{fmt}", urlencode(fields, doseq=True),
                       content_type="application/x-www-form-urlencoded")


def get(client, path, **params):
    return client.get(f"{BASE}{path}", params)


def as_json(response, status=200):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == JSON
    return response.json()


def as_xml(response, status=200) -> ET.Element:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == XML
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314  (our own answer, not outside input)


def assert_spec_error(response, status, fmt="json"):
    if fmt == "json":
        errors = as_json(response, status)
        assert isinstance(errors, list) and errors
        assert all(set(e) == {"code", "description"} and e["code"] == status for e in errors)
        return errors
    root = as_xml(response, status)
    assert root.tag == "errors"
    assert [e.tag for e in root] == ["error"] * len(root) and len(root) >= 1
    assert all(e.findtext("code") == str(status) and e.findtext("description") for e in root)
    return root


def category(code) -> Category:
    return Category.objects.get(code=code)


def make_case(world, *, code="garbage", state=Case.State.DISPATCHED, days_ago=1.0,
              building=None, **fields) -> Case:
    """A case row as reporting leaves it (setup only: filing is tested through POST)."""
    building = building or world.building_a
    fields.setdefault("description", "3号楼门口垃圾没人清运")
    fields.setdefault("channel", Case.Channel.RESIDENT)
    return Case.objects.create(
        category=category(code), state=state, grid=building.grid,
        area_path=building.area_path, building=building,
        created_at=timezone.now() - dt.timedelta(days=days_ago), **fields)


def ids(doc) -> list[str]:
    return [item["service_request_id"] for item in doc]


# --- Discovery and services -------------------------------------------------------------

def test_it_serves_the_discovery_document(world, client):
    doc = as_json(get(client, "discovery.json"))
    assert set(doc) == {"changeset", "contact", "key_service", "endpoints"}
    [endpoint] = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = as_xml(get(client, "discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml", "application/json"]


def test_it_lists_one_service_per_active_category(world, client):
    Category.objects.filter(code="education").update(is_active=False)
    services = as_json(get(client, "services.json"))
    active = Category.objects.filter(is_active=True)
    assert [s["service_code"] for s in services] == [c.code for c in active]
    assert all(set(s) == SERVICE_FIELDS and s["type"] == "realtime" for s in services)
    by_code = {s["service_code"]: s for s in services}
    assert "education" not in by_code
    garbage = by_code["garbage"]
    assert garbage["service_name"] == "垃圾清运" and garbage["group"] == "环境卫生"
    assert garbage["metadata"] is False
    assert "Rubbish collection" in garbage["keywords"] and "garbage" in garbage["keywords"]
    assert by_code["sanitation"]["group"] == "环境卫生"  # a top-level category is its group
    assert by_code["fire_exit"]["metadata"] is True  # it has Open311 attributes


def test_services_are_in_english_with_locale_en(world, client):
    by_code = {s["service_code"]: s
               for s in as_json(get(client, "services.json", locale="en"))}
    assert by_code["garbage"]["service_name"] == "Rubbish collection"
    assert by_code["garbage"]["group"] == "Sanitation"
    assert by_code["garbage"]["description"] == (
        "First response within 4 working hours; resolved within 2 working days.")


def test_services_in_xml_have_the_spec_elements(world, client):
    root = as_xml(get(client, "services.xml"))
    assert root.tag == "services"
    assert {child.tag for child in root} == {"service"}
    garbage = next(s for s in root if s.findtext("service_code") == "garbage")
    assert {child.tag for child in garbage} == SERVICE_FIELDS
    assert garbage.findtext("service_name") == "垃圾清运"
    assert garbage.findtext("metadata") == "false" and garbage.findtext("type") == "realtime"


def test_a_service_definition_has_the_spec_attribute_shape(world, client):
    doc = as_json(get(client, "services/fire_exit.json"))
    assert doc["service_code"] == "fire_exit"
    [floor] = doc["attributes"]
    assert set(floor) == {"variable", "code", "datatype", "required", "datatype_description",
                          "order", "description", "values"}
    assert (floor["code"], floor["datatype"], floor["variable"], floor["required"],
            floor["order"]) == ("floor", "number", True, False, 1)
    root = as_xml(get(client, "services/fire_exit.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "fire_exit"
    assert root.findtext("attributes/attribute/code") == "floor"
    assert root.findtext("attributes/attribute/required") == "false"
    assert as_json(get(client, "services/garbage.json"))["attributes"] == []


def test_list_values_are_served_as_key_and_name(world, client):
    lift = category("lift")
    lift.open311_attributes = [{"code": "kind", "datatype": "singlevaluelist",
                                "required": True, "description": "故障类型",
                                "values": [{"key": "stuck", "name": "困人"},
                                           {"key": "stopped", "name": "停运"}]}]
    lift.save(update_fields=["open311_attributes"])
    doc = as_json(get(client, "services/lift.json"))
    assert doc["attributes"][0]["values"] == [{"key": "stuck", "name": "困人"},
                                              {"key": "stopped", "name": "停运"}]
    root = as_xml(get(client, "services/lift.xml"))
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")] == [
        "stuck", "stopped"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_a_spec_404(world, client, fmt):
    assert_spec_error(get(client, f"services/no_such_thing.{fmt}"), 404, fmt)
    assert_spec_error(get(client, f"services/a%20b%3Cc%3E.{fmt}"), 404, fmt)


# --- Filing a request ------------------------------------------------------------------

def test_a_key_files_a_case_through_the_report_action(world, client, api_key):
    r = post(client, api_key=api_key, service_code="fire_exit",
             warmgrid_building=world.building_a.code,
             description="3号楼2单元楼道堆满杂物，堵住了消防通道")
    [answer] = as_json(r)
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    assert answer["account_id"] is None and answer["service_notice"]
    case = Case.objects.get(pk=int(answer["service_request_id"]))
    assert case.channel == Case.Channel.OPEN311
    assert case.open311_client == Open311Client.objects.get(name="物业通")
    assert case.category == category("fire_exit") and case.reporter is None
    assert case.building == world.building_a and case.grid == world.grid_a
    assert case.state == Case.State.DISPATCHED and case.resolve_due is not None
    assert AuditEntry.objects.filter(object_type="case", object_id=str(case.pk),
                                     action=AuditEntry.Action.CREATE).exists()


def test_it_answers_a_filing_in_xml(world, client, api_key):
    root = as_xml(post(client, "xml", api_key=api_key, service_code="garbage",
                       warmgrid_building=world.building_b.code, description="垃圾桶满了"))
    assert root.tag == "service_requests"
    [request] = root
    assert request.tag == "request"
    assert [child.tag for child in request] == ["service_request_id", "service_notice",
                                                "account_id"]
    assert Case.objects.get(pk=int(request.findtext("service_request_id"))).grid == world.grid_b


def test_a_point_is_placed_at_the_nearest_building(world, client, api_key):
    world.building_c.latitude, world.building_c.longitude = Decimal("36.651"), Decimal("117.12")
    world.building_c.save(update_fields=["latitude", "longitude"])
    [answer] = as_json(post(client, api_key=api_key, service_code="garbage",
                            lat="36.6511", long="117.1201", description="路边垃圾堆积"))
    case = Case.objects.get(pk=int(answer["service_request_id"]))
    assert case.building == world.building_c and case.grid == world.grid_c
    assert (case.latitude, case.longitude) == (Decimal("36.651100"), Decimal("117.120100"))


def test_a_place_it_cannot_resolve_is_filed_under_the_district_for_triage(world, client,
                                                                         api_key):
    [answer] = as_json(post(client, api_key=api_key, service_code="garbage",
                            address_string="历下区解放路 88 号门口", description="垃圾没人清运"))
    case = Case.objects.get(pk=int(answer["service_request_id"]))
    assert case.area_path == world.district.path and case.grid is None
    assert case.state == Case.State.TRIAGE
    assert case.address == "历下区解放路 88 号门口"


def test_the_extension_fields_place_a_case(world, client, api_key):
    [by_household] = as_json(post(client, api_key=api_key, service_code="lift",
                                  warmgrid_household=str(world.household_b.pk),
                                  description="电梯停在 5 楼不动了"))
    case = Case.objects.get(pk=int(by_household["service_request_id"]))
    assert case.household == world.household_b and case.grid == world.grid_b
    [by_grid] = as_json(post(client, api_key=api_key, service_code="garbage",
                             warmgrid_grid_code=world.grid_c.code, description="垃圾桶满了"))
    assert Case.objects.get(pk=int(by_grid["service_request_id"])).grid == world.grid_c
    [by_address_id] = as_json(post(client, api_key=api_key, service_code="garbage",
                                   address_id=world.building_a.code, description="垃圾桶满了"))
    assert Case.objects.get(pk=int(by_address_id["service_request_id"])).building == \
        world.building_a


def test_contact_details_are_not_kept(world, client, api_key):
    [answer] = as_json(post(client, locale="en", api_key=api_key, service_code="garbage",
                            warmgrid_building=world.building_a.code, description="垃圾桶满了",
                            email="li.ming@example.com", phone="13700001111",
                            first_name="明", last_name="黎", device_id="dev-42",
                            account_id="acct-9"))
    assert "not kept" in answer["service_notice"]
    case = Case.objects.get(pk=int(answer["service_request_id"]))
    stored = json.dumps([case.description, case.address, case.external_id,
                         list(CaseEvent.objects.filter(case=case).values("note", "data")),
                         list(AuditEntry.objects.values("changes", "object_repr",
                                                        "actor_username"))],
                        ensure_ascii=False, default=str)
    for value in ("li.ming@example.com", "13700001111", "黎", "dev-42", "acct-9"):
        assert value not in stored


def test_attributes_are_checked_against_the_service_definition(world, client, api_key):
    lift = category("lift")
    lift.open311_attributes = [
        {"code": "kind", "datatype": "singlevaluelist", "required": True, "order": 1,
         "description": "故障类型", "values": [{"key": "stuck", "name": "困人"}]},
        {"code": "floor", "datatype": "number", "required": False, "order": 2,
         "description": "楼层", "values": []},
    ]
    lift.save(update_fields=["open311_attributes"])
    fields = {"api_key": api_key, "service_code": "lift", "description": "电梯坏了",
              "warmgrid_building": world.building_a.code}
    assert_spec_error(post(client, **fields), 400)
    assert_spec_error(post(client, **fields, **{"attribute[kind]": "exploded"}), 400)
    assert_spec_error(post(client, **fields, **{"attribute[kind]": "stuck",
                                                "attribute[floor]": "five"}), 400)
    assert not Case.objects.exists()
    [answer] = as_json(post(client, **fields, **{"attribute[kind]": "stuck",
                                                 "attribute[floor]": "5",
                                                 "attribute[unknown]": "ignored"}))
    description = Case.objects.get(pk=int(answer["service_request_id"])).description
    assert description.startswith("电梯坏了")
    assert "[kind: stuck]" in description and "[floor: 5]" in description
    assert "ignored" not in description


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_wrong_or_missing_key_is_a_spec_403(world, client, api_key, fmt):
    fields = {"service_code": "garbage", "description": "垃圾桶满了",
              "warmgrid_building": world.building_a.code}
    assert_spec_error(post(client, fmt, **fields), 403, fmt)
    assert_spec_error(post(client, fmt, api_key="not-" + api_key, **fields), 403, fmt)
    # The stored digest is not a key either.
    digest = Open311Client.objects.get().key_digest
    assert_spec_error(post(client, fmt, api_key=digest, **fields), 403, fmt)
    call_command("open311", "revoke", "物业通", stdout=io.StringIO())
    assert_spec_error(post(client, fmt, api_key=api_key, **fields), 403, fmt)
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_or_missing_service_code_is_a_spec_error(world, client, api_key, fmt):
    fields = {"api_key": api_key, "description": "垃圾桶满了",
              "warmgrid_building": world.building_a.code}
    assert_spec_error(post(client, fmt, service_code="no_such_service", **fields), 404, fmt)
    assert_spec_error(post(client, fmt, **fields), 400, fmt)
    assert not Case.objects.exists()


@pytest.mark.parametrize("fields", [
    {"lat": "north", "long": "117.12"},
    {"lat": "36.65"},
    {"lat": "nan", "long": "117.12"},
    {"lat": "1e999", "long": "117.12"},
    {"lat": "91", "long": "117.12"},
    {"warmgrid_household": "99999999999999999999999"},
    {"warmgrid_household": "-1"},
    {"warmgrid_household": "424242"},
    {"warmgrid_building": "no-such-building"},
    {"warmgrid_grid_code": "x" * 500},
    {},  # no place at all
    {"warmgrid_building": "B01", "description": "nul\x00here"},
    {"warmgrid_building": "B01", "description": ""},
    {"warmgrid_building": "B01", "description": "长" * 2001},
])
def test_malformed_filings_are_a_spec_400(world, client, api_key, fields):
    fields = {"description": "垃圾桶满了", **fields}
    if fields.get("warmgrid_building") == "B01":
        fields["warmgrid_building"] = world.building_a.code
    assert_spec_error(post(client, api_key=api_key, service_code="garbage", **fields), 400)
    assert not Case.objects.exists()


def test_a_body_that_cannot_be_read_is_a_spec_400(world, client, api_key):
    r = client.post(f"{BASE}requests.json", b"api_key=x", content_type="multipart/form-data")
    assert_spec_error(r, 400)


def test_posts_are_rate_limited_per_client(world, client, api_key, settings):
    settings.WARMGRID_RATE_LIMITS_ENABLED = True
    settings.WARMGRID_RATE_LIMITS = {"report_case_open311": "2/minute"}
    cache.clear()  # counters of other tests' clients
    other_key = last_word(issue_key("12345 热线"))
    fields = {"service_code": "garbage", "description": "垃圾桶满了",
              "warmgrid_building": world.building_a.code}
    assert [post(client, api_key=api_key, **fields).status_code for _ in range(2)] == [200] * 2
    r = post(client, api_key=api_key, **fields)
    assert_spec_error(r, 429)
    assert 0 < int(r["Retry-After"]) <= 60
    assert_spec_error(post(client, "xml", api_key=api_key, **fields), 429, "xml")
    assert post(client, api_key=other_key, **fields).status_code == 200
    assert Case.objects.count() == 3


# --- Reading requests ------------------------------------------------------------------

def test_it_lists_public_cases_newest_first_in_the_spec_shape(world, client):
    older = make_case(world, days_ago=3, address="和平路 3 号楼东侧")
    newer = make_case(world, code="road_lamp", days_ago=1, description="路灯不亮")
    doc = as_json(get(client, "requests.json"))
    assert ids(doc) == [str(newer.pk), str(older.pk)]
    assert all(set(item) == REQUEST_FIELDS for item in doc)
    item = doc[1]
    assert item["status"] == "open" and item["service_code"] == "garbage"
    assert item["service_name"] == "垃圾清运" and item["address"] == "和平路 3 号楼东侧"
    assert item["address_id"] == world.building_a.code
    assert item["requested_datetime"] == older.created_at.astimezone(
        dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")
    assert item["requested_datetime"].endswith("+08:00")


def test_it_lists_requests_in_xml(world, client):
    case = make_case(world, resolve_due=timezone.now() + dt.timedelta(days=2))
    root = as_xml(get(client, "requests.xml"))
    assert root.tag == "service_requests"
    [request] = root
    assert request.tag == "request"
    assert {child.tag for child in request} == REQUEST_FIELDS
    assert request.findtext("service_request_id") == str(case.pk)
    assert request.findtext("status") == "open"
    assert request.findtext("expected_datetime").endswith("+08:00")


def test_private_categories_and_anonymous_cases_are_never_shown(world, client):
    shown = make_case(world)
    private = make_case(world, code="family_conflict", description="夫妻吵架")
    anonymous = make_case(world, anonymous=True, description="有人乱扔垃圾")
    assert ids(as_json(get(client, "requests.json"))) == [str(shown.pk)]
    wanted = f"{shown.pk},{private.pk},{anonymous.pk}"
    assert ids(as_json(get(client, "requests.json", service_request_id=wanted))) == [
        str(shown.pk)]
    assert ids(as_json(get(client, "requests.json", service_code="family_conflict"))) == []
    for hidden in (private, anonymous):
        assert_spec_error(get(client, f"requests/{hidden.pk}.json"), 404)
        assert_spec_error(get(client, f"requests/{hidden.pk}.xml"), 404, "xml")
    body = get(client, "requests.xml").content.decode()
    assert "夫妻吵架" not in body and "有人乱扔垃圾" not in body


def test_a_category_only_the_classifier_guessed_is_not_shown(world, client):
    guessed = make_case(world, state=Case.State.TRIAGE)
    chosen_by_client = make_case(world, state=Case.State.TRIAGE,
                                 channel=Case.Channel.OPEN311)
    assert ids(as_json(get(client, "requests.json"))) == [str(chosen_by_client.pk)]
    assert_spec_error(get(client, f"requests/{guessed.pk}.json"), 404)


def test_it_filters_by_status_service_and_dates(world, client):
    open_case = make_case(world, days_ago=2)
    closed = make_case(world, code="road_lamp", state=Case.State.CLOSED, days_ago=5,
                       closed_at=timezone.now() - dt.timedelta(days=4),
                       outcome=Case.Outcome.FIXED)
    merged = make_case(world, state=Case.State.MERGED, days_ago=10)
    old = make_case(world, days_ago=120)

    def listed(**params):
        return ids(as_json(get(client, "requests.json", **params)))

    assert listed() == [str(open_case.pk), str(closed.pk), str(merged.pk)]
    assert listed(status="open") == [str(open_case.pk)]
    assert listed(status="closed") == [str(closed.pk), str(merged.pk)]
    assert listed(status="open,closed") == listed()
    assert listed(status=["open", "closed"]) == listed()  # repeated, as the spec allows
    assert listed(service_code="road_lamp") == [str(closed.pk)]
    assert listed(service_code="road_lamp,garbage", status="open") == [str(open_case.pk)]
    assert listed(service_code=["road_lamp", "sanitation"]) == [str(closed.pk)]
    start = (timezone.now() - dt.timedelta(days=6)).isoformat()
    end = (timezone.now() - dt.timedelta(days=3)).isoformat()
    assert listed(start_date=start, end_date=end) == [str(closed.pk)]
    assert listed(start_date="2020-01-01T00:00:00Z") == []
    old_start = (timezone.now() - dt.timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listed(start_date=old_start) == [str(old.pk)]
    # service_request_id overrides every other argument, the 90-day window included.
    assert listed(service_request_id=f"{old.pk},{open_case.pk}", status="closed") == [
        str(open_case.pk), str(old.pk)]
    doc = as_json(get(client, "requests.json", service_request_id=str(closed.pk), locale="en"))
    assert doc[0]["status"] == "closed" and doc[0]["status_notes"] == "Fixed"
    assert doc[0]["updated_datetime"] == closed.closed_at.astimezone(
        dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")


def test_the_list_stops_at_a_thousand(world, client):
    now = timezone.now()
    Case.objects.bulk_create([
        Case(category=category("garbage"), state=Case.State.DISPATCHED, description="垃圾",
             channel=Case.Channel.RESIDENT, grid=world.grid_a, area_path=world.grid_a.path,
             created_at=now - dt.timedelta(minutes=i)) for i in range(1003)])
    assert len(as_json(get(client, "requests.json"))) == 1000


def test_the_list_takes_two_queries_whatever_its_length(world, client,
                                                        django_assert_num_queries):
    for days in range(5):
        make_case(world, days_ago=days + 0.5,
                  lead_department=world.handler.departments.get())
    with django_assert_num_queries(2):  # the jurisdiction, then the cases
        assert len(as_json(get(client, "requests.json"))) == 5


def test_no_reporter_data_is_ever_shown(world, client):
    case = make_case(world, reporter=world.resident_a, on_behalf_of=world.zhang_san,
                     household=world.household_a,
                     description="张三说 3号楼 门口垃圾没人清运，电话13812345678，"
                                 "身份证370102195003081017")
    for fmt in ("json", "xml"):
        for path in (f"requests.{fmt}", f"requests/{case.pk}.{fmt}"):
            body = get(client, path).content.decode()
            assert str(case.pk) in body
            for secret in ("resident_a", "13812345678", "370102195003081017", "301",
                           world.zhang_san.id_number_plain, "reporter", "household"):
                assert secret not in body, (path, secret)
            assert "138****5678" in body


def test_a_request_shows_its_own_point_else_its_buildings(world, client):
    world.building_a.latitude, world.building_a.longitude = Decimal("36.66"), Decimal("117.05")
    world.building_a.save(update_fields=["latitude", "longitude"])
    own = make_case(world, latitude=Decimal("36.650001"), longitude=Decimal("117.040002"))
    inherited = make_case(world)
    [doc] = as_json(get(client, f"requests/{own.pk}.json"))
    assert (doc["lat"], doc["long"]) == (36.650001, 117.040002)
    [doc] = as_json(get(client, f"requests/{inherited.pk}.json"))
    assert (doc["lat"], doc["long"]) == (36.66, 117.05)
    root = as_xml(get(client, f"requests/{inherited.pk}.xml"))
    assert root.findtext("request/lat") == "36.66"


def test_one_request_in_both_formats(world, client):
    case = make_case(world, lead_department=world.handler.departments.get())
    [doc] = as_json(get(client, f"requests/{case.pk}.json"))
    assert set(doc) == REQUEST_FIELDS
    assert doc["service_request_id"] == str(case.pk)
    assert doc["agency_responsible"] == "历下公安分局"
    root = as_xml(get(client, f"requests/{case.pk}.xml"))
    assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
    assert root.findtext("request/agency_responsible") == "历下公安分局"
    assert_spec_error(get(client, "requests/424242.json"), 404)
    assert_spec_error(get(client, "requests/424242.xml"), 404, "xml")


def test_text_xml_cannot_carry_is_dropped(world, client):
    case = make_case(world, description="垃圾\x01桶\x0b满了")
    root = as_xml(get(client, f"requests/{case.pk}.xml"))
    assert root.findtext("request/description") == "垃圾桶满了"


@pytest.mark.parametrize("path, params", [
    ("requests.json", {"service_request_id": "99999999999999999999999999"}),
    ("requests.json", {"service_request_id": "12,abc"}),
    ("requests.json", {"service_request_id": "0"}),
    ("requests.json", {"service_request_id": ",".join(["1"] * 1001)}),
    ("requests.json", {"start_date": "yesterday"}),
    ("requests.json", {"end_date": "2026-13-45T00:00:00Z"}),
    ("requests.json", {"start_date": "0001-01-01T00:00:00+08:00"}),
    ("requests.json", {"end_date": "0001-01-01T00:00:00Z"}),
    ("requests.json", {"start_date": "9999-12-31T23:59:59Z"}),
    ("requests.json", {"start_date": "2026-03-01T00:00:00Z",
                       "end_date": "2026-01-01T00:00:00Z"}),
    ("requests.json", {"start_date": "2025-01-01T00:00:00Z",
                       "end_date": "2026-01-01T00:00:00Z"}),
    ("requests.json", {"status": "pending"}),
    ("requests.json", {"service_code": "garbage\x00"}),
    ("requests/99999999999999999999999.json", {}),
    ("requests/abc.json", {}),
    ("requests/١٢.json", {}),
    ("tokens/abc.json", {}),
])
def test_malformed_queries_are_a_spec_400(world, client, path, params):
    assert_spec_error(get(client, path, **params), 400)


# --- Jurisdiction, tokens, methods ------------------------------------------------------

def test_the_jurisdiction_is_the_district(world, client, api_key):
    case = make_case(world)
    assert ids(as_json(get(client, "requests.json", jurisdiction_id="370102"))) == [
        str(case.pk)]
    assert as_json(get(client, "services.json", jurisdiction_id=""))  # empty = not given
    for path in ("discovery.json", "services.json", "services/garbage.json", "requests.json",
                 f"requests/{case.pk}.json", f"tokens/{case.pk}.json"):
        assert_spec_error(get(client, path, jurisdiction_id="sfgov.org"), 404)
    assert_spec_error(get(client, "services.xml", jurisdiction_id="370103"), 404, "xml")
    assert_spec_error(post(client, api_key=api_key, jurisdiction_id="sfgov.org",
                           service_code="garbage", description="垃圾桶满了",
                           warmgrid_building=world.building_a.code), 404)
    [answer] = as_json(post(client, api_key=api_key, jurisdiction_id="370102",
                            service_code="garbage", description="垃圾桶满了",
                            warmgrid_building=world.building_a.code))
    assert Case.objects.filter(pk=int(answer["service_request_id"])).exists()


def test_a_token_is_answered_with_its_request_id(world, client, api_key):
    [answer] = as_json(post(client, api_key=api_key, service_code="noise",
                            warmgrid_building=world.building_a.code,
                            description="楼上每天半夜装修，噪音很大"))
    request_id = answer["service_request_id"]
    assert as_json(get(client, f"tokens/{request_id}.json")) == [
        {"service_request_id": request_id, "token": request_id}]
    root = as_xml(get(client, f"tokens/{request_id}.xml"))
    assert root.findtext("request/service_request_id") == request_id
    # Noise is a private category: the token answers, the request itself stays private.
    assert_spec_error(get(client, f"requests/{request_id}.json"), 404)
    other = make_case(world)  # not filed through Open311: no token was ever handed out
    assert_spec_error(get(client, f"tokens/{other.pk}.json"), 404)


def test_a_wrong_method_is_a_spec_405(world, client):
    r = client.delete(f"{BASE}requests.json")
    assert_spec_error(r, 405)
    assert "POST" in r["Allow"]


def test_a_browser_session_is_not_needed_nor_used(world, client, login, api_key):
    signed_in = login(world.worker_a)
    signed_in.handler.enforce_csrf_checks = True
    r = signed_in.post(f"{BASE}requests.json",
                       urlencode({"service_code": "garbage", "description": "垃圾桶满了",
                                  "warmgrid_building": world.building_a.code}),
                       content_type="application/x-www-form-urlencoded")
    assert_spec_error(r, 403)  # no api_key: the session does not count
    assert not Case.objects.exists()


# --- The command ------------------------------------------------------------------------

def test_issue_key_prints_the_key_last_and_stores_only_its_digest(world):
    output = issue_key("12345 热线")
    key = last_word(output)
    assert len(key) >= 32 and output.strip().splitlines()[-1] == key
    client = Open311Client.objects.get(name="12345 热线")
    assert client.key_digest == hashlib.sha256(key.encode()).hexdigest()
    assert client.is_active
    entry = AuditEntry.objects.get(object_type="open311_client")
    assert entry.action == AuditEntry.Action.TOKEN and entry.object_id == str(client.pk)
    assert key not in json.dumps(entry.changes) and client.key_digest not in json.dumps(
        entry.changes)


def test_issue_key_refuses_an_existing_name_unless_replacing(world, client):
    old_key = last_word(issue_key("物业通"))
    with pytest.raises(CommandError, match="--replace"):
        issue_key("物业通")
    new_key = last_word(issue_key("物业通", "--replace"))
    assert new_key != old_key and Open311Client.objects.count() == 1
    fields = {"service_code": "garbage", "description": "垃圾桶满了",
              "warmgrid_building": world.building_a.code}
    assert_spec_error(post(client, api_key=old_key, **fields), 403)
    assert post(client, api_key=new_key, **fields).status_code == 200
    assert list(AuditEntry.objects.filter(object_type="open311_client")
                .order_by("seq").values_list("changes", flat=True)) == [
        {"key": "issued"}, {"key": "replaced"}]
