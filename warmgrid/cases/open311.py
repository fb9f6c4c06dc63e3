"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Other systems (a 12345 platform, a property company's app) list our services, file cases
with an API key and follow public cases. Views parse, call the one write action
(do_report_case) and answer in the spec's JSON or XML. docs/open311.md is the reference.

Every answer is the spec's shape; every failure is the spec's error list
[{"code", "description"}] (403 bad key, 404 unknown resource, 429 too many posts,
400 anything else), never a 500 for malformed input.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import xml.etree.ElementTree as ET
from functools import wraps
from zoneinfo import ZoneInfo

from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from warmgrid.accounts.http import client_ip
from warmgrid.cases.actions import CaseInput, do_report_case
from warmgrid.cases.models import Case, Category
from warmgrid.cases.queries import (
    categories_in_use,
    category_by_code,
    client_for_key,
    public_cases,
)
from warmgrid.errors import DomainError
from warmgrid.people.logging import redact
from warmgrid.people.models import Household
from warmgrid.places.models import Area, Building

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Bump when the service list or a service definition changes shape (discovery's changeset).
CHANGESET = "2026-01-01T00:00:00+08:00"
CONTENT_TYPES = {"json": "application/json; charset=utf-8",
                 "xml": "text/xml; charset=utf-8"}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# XML elements holding a list, and the name of each item (the spec's plural ⇊ singular).
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error",
             "attributes": "attribute", "values": "value", "endpoints": "endpoint",
             "formats": "format"}
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_REQUESTS = 1000  # the spec's response volume: 90 days or 1000 requests
MAX_SPAN = dt.timedelta(days=90)
MAX_ID = 2**63 - 1  # the largest id a bigint holds
CLOSED_STATES = (Case.State.CLOSED, Case.State.MERGED)
# What the spec lets a client send about the person; we keep none of it.
CONTACT_FIELDS = ("email", "phone", "first_name", "last_name", "device_id", "account_id")
_CODE = re.compile(r"[-a-zA-Z0-9_]{1,64}")
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](?:\[\])?")
# Characters XML 1.0 cannot carry at all; dropped from text we send.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Open311Error(Exception):
    """One or more messages for the spec's error list, with the HTTP status to answer."""

    def __init__(self, status: int, *descriptions, headers: dict | None = None):
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = [str(d) for d in descriptions]
        self.headers = headers or {}


# --- Rendering ------------------------------------------------------------------------

def _xml_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _xml_append(parent: ET.Element, tag: str, value) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for name, item in value.items():
            _xml_append(element, name, item)
    elif isinstance(value, list):
        for item in value:
            _xml_append(element, XML_ITEMS[tag], item)
    else:
        element.text = _xml_text(value)


def render_xml(root_tag: str, payload) -> bytes:
    """A list becomes <root><item>…</item></root>; a dict becomes <root><field/>…</root>."""
    root = ET.Element(root_tag)
    if isinstance(payload, list):
        for item in payload:
            _xml_append(root, XML_ITEMS[root_tag], item)
    else:
        for name, item in payload.items():
            _xml_append(root, name, item)
    ET.indent(root)  # for people reading it with curl; leaf text is left as it is
    return XML_DECLARATION + ET.tostring(root, encoding="unicode").encode("utf-8")


def _respond(fmt: str, root_tag: str, payload, *, status: int = 200,
             headers: dict | None = None) -> HttpResponse:
    if fmt == "xml":
        body = render_xml(root_tag, payload)
    else:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _error_response(fmt: str, error: Open311Error) -> HttpResponse:
    errors = [{"code": error.status, "description": d} for d in error.descriptions]
    return _respond(fmt, "errors", errors, status=error.status, headers=error.headers)


def _w3(moment: dt.datetime | None) -> str | None:
    """The spec's w3 date-time, with Beijing time's offset: 2026-03-01T09:30:00+08:00."""
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


# --- Parsing --------------------------------------------------------------------------

def _params(request) -> QueryDict:
    """Query string and form body together (the body wins); NUL refused at the door."""
    try:
        params = request.GET.copy()
        if request.method == "POST":
            for name, values in request.POST.lists():
                params.setlist(name, values)
    except (SuspiciousOperation, MultiPartParserError, UnreadablePostError):
        # Django's own limits (too many fields, too large a body), or a broken body.
        raise Open311Error(400, _("The request body could not be read.")) from None
    for name, values in params.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            raise Open311Error(400, _("The request contains a character that is not allowed."))
    return params


def _language(params: QueryDict) -> str:
    """Chinese unless the client asks for English with locale=en (a WarmGrid extension)."""
    return "en" if params.get("locale", "").strip().lower().startswith("en") else "zh-hans"


def _csv(params: QueryDict, name: str, *, limit: int = MAX_REQUESTS) -> list[str]:
    """A comma-separated argument, which the spec lets a client also repeat."""
    items = [item.strip() for value in params.getlist(name) for item in value.split(",")
             if item.strip()]
    if len(items) > limit:
        raise Open311Error(400, _("Ask for at most %(n)d values at once.") % {"n": limit})
    return items


def _request_id(value: str, field: str = "service_request_id") -> int:
    value = value.strip()
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise Open311Error(400, _("%(field)s must be a whole number, such as 1024.")
                           % {"field": field})
    return int(value)


def _moment(params: QueryDict, field: str) -> dt.datetime | None:
    value = params.get(field, "").strip()
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(400, _("%(field)s must be a w3 date-time, such as "
                                  "2026-01-01T00:00:00+08:00.") % {"field": field}) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=SHANGHAI)  # the spec wants a zone; assume ours
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:00:00+08:00 is before the first UTC instant
        raise Open311Error(400, _("The dates are out of range.")) from None


def _date_range(params: QueryDict) -> tuple[dt.datetime, dt.datetime]:
    """start_date/end_date, at most 90 days apart; the last 90 days when neither is given."""
    start, end = _moment(params, "start_date"), _moment(params, "end_date")
    try:
        if start is None and end is None:
            end = timezone.now()
            start = end - MAX_SPAN
        elif end is None:
            end = start + MAX_SPAN
        elif start is None:
            start = end - MAX_SPAN
    except OverflowError:
        raise Open311Error(400, _("The dates are out of range.")) from None
    if end < start:
        raise Open311Error(400, _("end_date must not be before start_date."))
    if end - start > MAX_SPAN:
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
    return start, end


def _point(params: QueryDict) -> tuple[str | None, str | None]:
    lat, lon = params.get("lat", "").strip(), params.get("long", "").strip()
    if not lat and not lon:
        return None, None
    if not lat or not lon:
        raise Open311Error(400, _("Send lat and long together."))
    try:
        lat_value, lon_value = float(lat), float(lon)
    except ValueError:
        raise Open311Error(400, _("lat and long must be decimal degrees (WGS 84).")) from None
    if not (math.isfinite(lat_value) and math.isfinite(lon_value)
            and -90 <= lat_value <= 90 and -180 <= lon_value <= 180):
        raise Open311Error(400, _("lat and long must be a point on the earth (WGS 84)."))
    return f"{lat_value:.6f}", f"{lon_value:.6f}"


def _by_code(model, value: str, field: str):
    found = model.objects.filter(code=value).first() if len(value) <= 64 else None
    if found is None:
        raise Open311Error(400, _("%(field)s “%(value)s” was not found.")
                           % {"field": field, "value": value[:64]})
    return found


def _place(params: QueryDict, district: Area | None) -> dict:
    """CaseInput's place fields. The most precise wins (household, building, point, grid);
    a place we cannot resolve is filed under the district, for triage to place it."""
    household_id = params.get("warmgrid_household", "").strip()
    building_code = (params.get("warmgrid_building", "").strip()
                     or params.get("address_id", "").strip())
    area_code = params.get("warmgrid_grid_code", "").strip()
    address = params.get("address_string", "").strip()
    lat, lon = _point(params)
    if not (household_id or building_code or area_code or address or lat is not None):
        raise Open311Error(400, _("Say where it is: lat and long, address_string, address_id, "
                                  "or a warmgrid_ place field."))
    place = {"latitude": lat, "longitude": lon, "address": address[:200], "area": district}
    if household_id:
        pk = _request_id(household_id, "warmgrid_household")
        place["household"] = Household.objects.select_related("building").filter(pk=pk).first()
        if place["household"] is None:
            raise Open311Error(400, _("%(field)s “%(value)s” was not found.")
                               % {"field": "warmgrid_household", "value": pk})
    if building_code:
        place["building"] = _by_code(Building, building_code, "warmgrid_building")
    if area_code:
        place["area"] = _by_code(Area, area_code, "warmgrid_grid_code")
    return place


def attributes_of(category: Category) -> list[dict]:
    """The category's Open311 attributes in the spec's shape, in their order. The list is
    edited by people (JSON in the admin), so entries without a code are skipped."""
    attributes = []
    raw = category.open311_attributes if isinstance(category.open311_attributes, list) else []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not str(item.get("code") or "").strip():
            continue
        values = [v for v in item.get("values") or [] if isinstance(v, dict) and "key" in v]
        try:
            order = int(item.get("order", position))
        except (TypeError, ValueError):
            order = position
        attributes.append({
            "variable": bool(item.get("variable", True)),
            "code": str(item["code"]).strip(),
            "datatype": str(item.get("datatype") or "string"),
            "required": bool(item.get("required", False)),
            "datatype_description": item.get("datatype_description") or None,
            "order": order,
            "description": str(item.get("description") or ""),
            "values": [{"key": str(v["key"]), "name": str(v.get("name", v["key"]))}
                       for v in values],
        })
    return sorted(attributes, key=lambda a: a["order"])


def _attribute_answers(params: QueryDict, category: Category) -> list[str]:
    """attribute[code]=value (and attribute[code][]=… for lists), checked against the
    service definition; answers to attributes it does not define are ignored."""
    sent: dict[str, list[str]] = {}
    for name, values in params.lists():
        match = _ATTRIBUTE.fullmatch(name)
        if match:
            sent.setdefault(match.group(1), []).extend(v.strip() for v in values if v.strip())
    problems, answers = [], []
    for attribute in attributes_of(category):
        code, values = attribute["code"], sent.get(attribute["code"], [])
        if not attribute["variable"]:
            continue
        if not values:
            if attribute["required"]:
                problems.append(_("attribute[%(code)s] is required for this service.")
                                % {"code": code})
            continue
        if not _valid_answer(attribute, values):
            problems.append(_("attribute[%(code)s] is not a valid %(datatype)s.")
                            % {"code": code, "datatype": attribute["datatype"]})
            continue
        answers.append(f"[{code}: {', '.join(values)}]")
    if problems:
        raise Open311Error(400, *problems)
    return answers


def _valid_answer(attribute: dict, values: list[str]) -> bool:
    datatype, keys = attribute["datatype"], {v["key"] for v in attribute["values"]}
    if datatype == "multivaluelist":
        return all(v in keys for v in values)
    if len(values) > 1:
        return False
    value = values[0]
    if datatype == "singlevaluelist":
        return value in keys
    if datatype == "number":
        try:
            return math.isfinite(float(value))
        except ValueError:
            return False
    if datatype == "datetime":
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            return False
    return True


# --- Reads with a rule ------------------------------------------------------------------

def _district(params: QueryDict) -> Area | None:
    """The one jurisdiction served: the root area (the district), whose code is the
    jurisdiction_id. Another jurisdiction_id is a 404, as the spec says."""
    district = Area.objects.filter(parent__isnull=True).order_by("path").first()
    wanted = params.get("jurisdiction_id", "").strip()
    if wanted and (district is None or wanted != district.code):
        raise Open311Error(404, _("jurisdiction_id “%(id)s” was not found; this endpoint "
                                  "serves %(code)s.")
                           % {"id": wanted[:64], "code": getattr(district, "code", "")})
    return district


# --- Serialisation ----------------------------------------------------------------------

def _english() -> bool:
    return translation.get_language() == "en"


def _name(category: Category | None) -> str | None:
    if category is None:
        return None
    return category.name_en if _english() else category.name


def service_of(category: Category) -> dict:
    parent = category.parent
    keywords = dict.fromkeys(filter(None, (
        category.name, category.name_en, category.code,
        getattr(parent, "name", None), getattr(parent, "name_en", None))))
    return {
        "service_code": category.code,
        "service_name": _name(category),
        "description": _("First response within %(hours)d working hours; resolved within "
                         "%(days)d working days.")
        % {"hours": category.response_hours, "days": category.resolve_days},
        "metadata": bool(attributes_of(category)),
        "type": "realtime",
        "keywords": ", ".join(keywords),
        # A top-level category is its own group.
        "group": _name(parent or category),
    }


def _status_notes(case: Case) -> str:
    if case.state == Case.State.CLOSED and case.outcome:
        return str(Case.Outcome(case.outcome).label)
    return str(Case.State(case.state).label)


def request_of(case: Case) -> dict:
    """One case as the spec's request; nothing about who reported it, ever."""
    closed = case.state in CLOSED_STATES
    building = case.building
    lat, lon = case.latitude, case.longitude
    if lat is None and building is not None:
        lat, lon = building.latitude, building.longitude
    return {
        "service_request_id": str(case.pk),
        "status": "closed" if closed else "open",
        "status_notes": _status_notes(case),
        "service_name": _name(case.category),
        "service_code": case.category.code if case.category else None,
        # Whatever the reporter typed: ID and mobile numbers are masked for the public.
        "description": redact(case.description),
        "agency_responsible": case.lead_department.name if case.lead_department else None,
        "service_notice": None,
        "requested_datetime": _w3(case.created_at),
        "updated_datetime": _w3(case.closed_at if closed and case.closed_at
                                else case.updated_at),
        "expected_datetime": _w3(case.resolve_due),
        "address": case.address or (building.address if building else "") or None,
        "address_id": building.code if building else None,
        "zipcode": None,
        "lat": float(lat) if lat is not None else None,
        "long": float(lon) if lon is not None else None,
        "media_url": None,
    }


def _notice(case: Case, *, contact_sent: bool) -> str:
    if case.resolve_due:
        notice = _("Received and sent on for handling; expected to be resolved by "
                   "%(due)s (Beijing time).") % {
            "due": case.resolve_due.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")}
    else:
        notice = _("Received; staff will check it and send it to the right unit.")
    if contact_sent:
        notice += " " + _("Contact details sent with the request were not kept; follow "
                          "the request by its number.")
    return notice


# --- Views ------------------------------------------------------------------------------

def open311_view(*methods: str):
    """Parse the common arguments (locale, jurisdiction_id), run the view in the client's
    language, and turn every failure into the spec's error list in the asked format."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, fmt: str, **kwargs):
            try:
                params = _params(request)
            except Open311Error as error:
                return _error_response(fmt, error)
            with translation.override(_language(params)):
                try:
                    if request.method not in methods:
                        raise Open311Error(405, _("This method is not allowed here."),
                                           headers={"Allow": ", ".join(methods)})
                    district = _district(params)
                    root_tag, payload = view(request, params, district, **kwargs)
                except Open311Error as error:
                    return _error_response(fmt, error)
                except DomainError as error:
                    status = error.status if error.status in (403, 404, 429) else 400
                    described = [f"{'lat' if name == 'latitude' else name}: {text}"
                                 for name, texts in error.fields.items()
                                 for text in texts] or [str(error.message)]
                    retry_after = getattr(error, "retry_after", None)  # RateLimited
                    headers = {"Retry-After": str(retry_after)} if retry_after else None
                    return _error_response(fmt, Open311Error(status, *described,
                                                             headers=headers))
                return _respond(fmt, root_tag, payload)

        return wrapper

    return decorate


@open311_view("GET", "HEAD")
def discovery(request, params, district):
    return "discovery", {
        "changeset": CHANGESET,
        "contact": _("Ask the district's WarmGrid administrator."),
        "key_service": _("The district's WarmGrid administrator issues keys "
                         "(warmgrid open311 issue-key NAME)."),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": request.build_absolute_uri("./").rstrip("/"),
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }


@open311_view("GET", "HEAD")
def services(request, params, district):
    return "services", [service_of(category) for category in categories_in_use()]


@open311_view("GET", "HEAD")
def service_definition(request, params, district, service_code: str):
    category = category_by_code(service_code) if _CODE.fullmatch(service_code) else None
    if category is None:
        raise Open311Error(404, _("service_code “%(code)s” was not found.")
                           % {"code": service_code[:64]})
    return "service_definition", {"service_code": category.code,
                                  "attributes": attributes_of(category)}


# Exempt from CSRF: other systems POST here with an api_key, never with a browser session;
# the view never reads request.user, so a third-party page gains nothing by posting here.
@csrf_exempt
@open311_view("GET", "HEAD", "POST")
def service_requests(request, params, district):
    if request.method == "POST":
        return _create_request(request, params, district)
    cases = public_cases()
    wanted_ids = _csv(params, "service_request_id")
    if wanted_ids:
        # The spec: service_request_id overrides every other argument.
        cases = cases.filter(pk__in=[_request_id(value) for value in wanted_ids])
    else:
        codes = _csv(params, "service_code")
        if codes:
            cases = cases.filter(category__code__in=codes)
        statuses = set(_csv(params, "status"))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status must be open, closed, or both."))
        if statuses == {"open"}:
            cases = cases.exclude(state__in=CLOSED_STATES)
        elif statuses == {"closed"}:
            cases = cases.filter(state__in=CLOSED_STATES)
        start, end = _date_range(params)
        cases = cases.filter(created_at__gte=start, created_at__lte=end)
    return "service_requests", [request_of(case) for case in cases[:MAX_REQUESTS]]


def _create_request(request, params, district):
    client = client_for_key(params.get("api_key", "").strip())
    if client is None:
        raise Open311Error(403, _("Invalid or missing api_key: ask the district for a key."))
    code = params.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("service_code is required."))
    category = category_by_code(code) if _CODE.fullmatch(code) else None
    if category is None:
        raise Open311Error(404, _("service_code “%(code)s” was not found.") % {"code": code[:64]})
    place = _place(params, district)
    description = " ".join([params.get("description", "").strip(),
                            *_attribute_answers(params, category)]).strip()
    case = do_report_case(
        actor=None, data=CaseInput(description=description, category=category, **place),
        channel=Case.Channel.OPEN311, client=client, ip_address=client_ip(request))
    contact_sent = any(params.get(name, "").strip() for name in CONTACT_FIELDS)
    return "service_requests", [{"service_request_id": str(case.pk),
                                 "service_notice": _notice(case, contact_sent=contact_sent),
                                 "account_id": None}]


@open311_view("GET", "HEAD")
def service_request(request, params, district, request_id: str):
    case = public_cases().filter(pk=_request_id(request_id)).first()
    if case is None:
        raise Open311Error(404, _("service_request_id “%(id)s” was not found.")
                           % {"id": request_id[:64]})
    return "service_requests", [request_of(case)]


@open311_view("GET", "HEAD")
def request_from_token(request, params, district, token: str):
    """Every service is realtime, so no token is ever handed out: a client that asks
    anyway with a request id it was given gets that id back."""
    pk = _request_id(token, "token")
    if not Case.objects.filter(pk=pk, channel=Case.Channel.OPEN311).exists():
        raise Open311Error(404, _("token “%(token)s” was not found.") % {"token": token[:64]})
    return "service_requests", [{"service_request_id": str(pk), "token": token.strip()}]
