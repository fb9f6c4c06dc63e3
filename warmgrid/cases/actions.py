"""Every write to cases: report, dispatch, handle, close, rate. Atomic and audited; every
state change is one whitelisted move of warmgrid.lib.casestates, made with a conditional
update so that of two people acting at once exactly one wins."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmgrid.accounts import ratelimits
from warmgrid.accounts.models import Department
from warmgrid.accounts.scopes import (
    enclosing_paths,
    may_assist_case,
    may_dispatch_case,
    may_handle_case,
    may_manage_duty,
    may_report_in,
    own_household_ids,
)
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.cases import deadlines
from warmgrid.cases.classification import suggest_category
from warmgrid.cases.models import (
    Case,
    CaseEvent,
    CaseFollower,
    CaseUnit,
    Category,
    DutyShift,
    IdempotencyRecord,
    Open311Client,
)
from warmgrid.cases.reference import reference
from warmgrid.errors import Conflict, Forbidden, NotFound, ValidationFailed
from warmgrid.lib import casestates
from warmgrid.lib.assignment import Candidate, choose_assignee
from warmgrid.lib.workcalendar import warning_level
from warmgrid.notices.actions import do_notify
from warmgrid.people.models import Household
from warmgrid.places.models import Area, Building

SHANGHAI = ZoneInfo("Asia/Shanghai")
# What each state-machine action is called on screen.
ACTION_LABELS = {
    "triage": _("send to triage"), "dispatch": _("dispatch"), "accept": _("take on"),
    "return": _("return"), "transfer": _("transfer"), "wait": _("wait for the resident"),
    "resume": _("resume"), "resolve": _("record the result"), "close": _("close"),
    "check_pass": _("pass the check and close"), "check_fail": _("send back for handling"),
    "reopen": _("reopen"), "merge": _("merge"),
}
REOPEN_WINDOW = dt.timedelta(days=7)
UNHAPPY = 2  # a rating at or below this reopens a recently closed case


@dataclass
class CaseInput:
    """What a reporter says. Place: a household, a building, a point, or an address."""

    description: str = ""
    category: Category | None = None
    household: Household | None = None
    building: Building | None = None
    area: Area | None = None
    latitude: str | float | Decimal | None = None
    longitude: str | float | Decimal | None = None
    address: str = ""
    anonymous: bool = False
    external_id: str = ""


def _clean_point(data: CaseInput, errors: dict) -> tuple[Decimal | None, Decimal | None]:
    if data.latitude in (None, "") and data.longitude in (None, ""):
        return None, None
    try:
        lat, lon = Decimal(str(data.latitude)), Decimal(str(data.longitude))
    except (InvalidOperation, ValueError):
        errors.setdefault("latitude", []).append(str(_("Give the point as two numbers.")))
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        errors.setdefault("latitude", []).append(str(_("The point is not on the earth.")))
        return None, None
    return lat.quantize(Decimal("0.000001")), lon.quantize(Decimal("0.000001"))


def _nearest_building(lat: Decimal, lon: Decimal) -> Building | None:
    """The building closest to a point, within about 300 m; one indexed box query."""
    box = Decimal("0.003")
    candidates = Building.objects.filter(
        latitude__range=(lat - box, lat + box), longitude__range=(lon - box, lon + box))
    return min(candidates, default=None,
               key=lambda b: (b.latitude - lat) ** 2 + (b.longitude - lon) ** 2)


def _place(actor, data: CaseInput, errors: dict) -> dict:
    """Resolve where the case is: household → building → grid; a point → nearest building;
    otherwise the area given (or the actor's own), for a person to place at triage."""
    lat, lon = _clean_point(data, errors)
    building, household = data.building, data.household
    if household is not None:
        building = household.building
    if building is None and lat is not None:
        building = _nearest_building(lat, lon)
    if building is not None:
        return {"grid_id": building.grid_id, "area_path": building.area_path,
                "building": building, "household": household, "latitude": lat,
                "longitude": lon}
    if data.area is not None:
        area = data.area
        grid_id = area.pk if area.level == Area.Level.GRID else None
        return {"grid_id": grid_id, "area_path": area.path, "latitude": lat, "longitude": lon}
    errors.setdefault("place", []).append(str(_(
        "Say where it is: a household, a building, a point on the map or an area.")))
    return {}


def _event(case: Case, *, actor, action: str, from_state: str = "", to_state: str = "",
           note: str = "", data: dict | None = None, at=None) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, at=at or timezone.now(), actor=actor if getattr(actor, "pk", None) else None,
        action=action, from_state=from_state, to_state=to_state, note=note[:2000],
        data=data or {},
    )


def _audit(actor, case: Case, action: str, changes: dict, ip_address: str = "") -> None:
    do_record_audit(
        action=action, actor=actor if getattr(actor, "pk", None) else None,
        actor_username="" if getattr(actor, "pk", None) else str(actor or ""),
        ip_address=ip_address, object_type="case", object_id=case.pk,
        object_repr=case.description[:60], area_path=case.area_path, changes=changes,
    )


def route_for(category: Category, area_path: str, *, now: dt.datetime
              ) -> tuple[Department | None, str]:
    """The unit a case of this category at this place goes to, and why. Ordered rules
    first (first match wins), then the category's default unit kind in the nearest
    enclosing area, else the area's own team. Rules and units come from the per-process
    reference copy, so routing costs intake no query."""
    hour = now.astimezone(SHANGHAI).hour
    family = {category.pk, category.parent_id} - {None}
    known = reference()
    for rule in known.routing_rules:
        if rule.category_id is not None and rule.category_id not in family:
            continue
        if rule.area_id and not area_path.startswith(rule.area.path):
            continue
        if rule.from_hour is not None and rule.to_hour is not None:
            inside = (rule.from_hour <= hour < rule.to_hour if rule.from_hour <= rule.to_hour
                      else hour >= rule.from_hour or hour < rule.to_hour)
            if not inside:
                continue
        return rule.department, f"rule:{rule.order}"
    kind = category.unit_kind
    if kind not in ("grid", "community"):
        departments = [d for d in known.departments_by_kind.get(kind, ())
                       if area_path.startswith(d.area.path)]
        if departments:
            return max(departments, key=lambda d: len(d.area.path)), "category_default"
    return None, "area_team"


def route(case: Case, *, now: dt.datetime) -> tuple[Department | None, str]:
    return route_for(case.category, case.area_path, now=now)


def _dispatch(case: Case, *, actor, now: dt.datetime, note: str = "") -> None:
    department, why = route(case, now=now)
    case.lead_department = department
    case.routing_note = why
    case.first_response_due, case.resolve_due = deadlines.due_times(case.category, now,
                                                                     urgent=case.priority == 1)
    case.assignee, case.assignment_reason = choose_handler(case, now=now)


# Who may be assigned a case, what each holds and whether they are on duty, in three
# short raw statements. Every dispatched case runs them, and planning dominated: the ORM
# spelling (subqueries over OuterRef) cost about 2 ms of compilation a case, and one
# statement joining all three parts about 1.8 ms of PostgreSQL planning, each several
# times its execution. Three simple plans and two extra loopback round trips cost less.
# Grants: handlers of the lead unit whose grant covers the place (the rule may_handle_case
# applies), or else the grid's workers and leader. Shifts: a department's count for its
# cases, an area team's for the area's own cases, one with neither for everything.
_ELIGIBLE_SQL = """
SELECT u.* FROM {user} u
WHERE u.is_active = %s AND u.id IN (
  SELECT r.user_id FROM {grant} r JOIN {area} a ON a.id = r.area_id
  WHERE {grant_rule} AND a.path IN ({prefixes}))
ORDER BY u.id"""
_LOAD_SQL = """
SELECT k.assignee_id, SUM(cat.difficulty), COUNT(*)
FROM {case} k LEFT JOIN {category} cat ON cat.id = k.category_id
WHERE k.state IN ({states}) AND k.assignee_id IN ({people})
GROUP BY k.assignee_id"""
_ON_DUTY_SQL = """
SELECT DISTINCT d.user_id FROM {shift} d LEFT JOIN {area} da ON da.id = d.area_id
WHERE d.user_id IN ({people}) AND d.starts_at <= %s AND d.ends_at > %s
  AND ((d.department_id IS NULL AND d.area_id IS NULL) OR {duty_rule})"""


def _marks(values) -> str:
    return ", ".join(["%s"] * len(values))


def eligible_handlers(case: Case, *, now: dt.datetime | None = None) -> list:
    """Who may be assigned the case, each annotated with `on_duty`, `open_load` (the
    difficulty weights of the cases they hold open) and `open_count`."""
    from django.contrib.auth import get_user_model

    from warmgrid.accounts.models import Role, RoleAssignment
    from warmgrid.places.models import Area

    now = now or timezone.now()
    prefixes = enclosing_paths(case.area_path)
    if case.lead_department_id:
        grant_rule, grant_params = "r.role = %s AND r.department_id = %s", [
            Role.DEPARTMENT_HANDLER, case.lead_department_id]
        duty_rule, duty_params = "d.department_id = %s", [case.lead_department_id]
    else:
        grant_rule, grant_params = "r.role IN (%s, %s)", [Role.GRID_WORKER, Role.GRID_LEADER]
        duty_rule = f"(d.department_id IS NULL AND da.path IN ({_marks(prefixes)}))"
        duty_params = prefixes
    tables = {"user": get_user_model()._meta.db_table, "case": Case._meta.db_table,
              "category": Category._meta.db_table, "shift": DutyShift._meta.db_table,
              "area": Area._meta.db_table, "grant": RoleAssignment._meta.db_table}
    people = list(get_user_model().objects.raw(
        _ELIGIBLE_SQL.format(grant_rule=grant_rule, prefixes=_marks(prefixes), **tables),
        [True, *grant_params, *prefixes]))
    if not people:
        return []
    ids = [u.pk for u in people]
    states = sorted(casestates.LOAD_STATES)
    with connection.cursor() as cursor:
        cursor.execute(_LOAD_SQL.format(states=_marks(states), people=_marks(ids), **tables),
                       [*states, *ids])
        held = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(_ON_DUTY_SQL.format(people=_marks(ids), duty_rule=duty_rule, **tables),
                       [*ids, now, now, *duty_params])
        on_duty = {row[0] for row in cursor.fetchall()}
    for person in people:
        total, count = held.get(person.pk, (0, 0))
        person.on_duty = person.pk in on_duty
        # Sums come back as the backend gives them (SQLite sums decimals as floats).
        person.open_load = Decimal(str(total or 0)).quantize(Decimal("0.01"))
        person.open_count = int(count)
    return people


def choose_handler(case: Case, *, now: dt.datetime) -> tuple:
    """The person a dispatched case goes to, and why (warmgrid.lib.assignment): on duty,
    lowest open load weighted by difficulty."""
    people = eligible_handlers(case, now=now)
    if not people:
        return None, {}
    candidates = [Candidate(user_id=u.pk, on_duty=u.on_duty, load=u.open_load,
                            open_cases=u.open_count) for u in people]
    choice = choose_assignee(candidates)
    chosen = next(u for u in people if u.pk == choice.user_id)
    return chosen, choice.as_data()


def body_digest(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest()


def replay_or_none(*, actor, key: str, scope: str, payload: dict):
    """The first answer to this key (same body), or None; another body → 422."""
    if not key:
        return None
    record = IdempotencyRecord.objects.filter(user=actor, scope=scope, key=key).first()
    if record is None:
        return None
    if record.body_digest != body_digest(payload):
        raise ValidationFailed(
            _("This Idempotency-Key was already used with a different request."),
            code="idempotency_key_reused")
    return record


def do_report_case(*, actor, data: CaseInput, channel: str, ip_address: str = "",
                   idempotency_key: str = "", payload: dict | None = None,
                   client=None, now: dt.datetime | None = None) -> Case:
    """Take in an event from any channel: place it, classify it, spot urgent risks, and
    dispatch it when the category is sure; otherwise queue it for a person (triage)."""
    # Public posting is limited: residents per account, Open311 per key; staff never.
    if actor is None and client is not None:
        ratelimits.check_rate(ratelimits.REPORT_CASE_OPEN311, f"open311:{client.pk}")
    else:
        ratelimits.check_public_post(ratelimits.REPORT_CASE, actor)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    description = " ".join((data.description or "").split())
    if not description:
        errors["description"] = [str(_("Describe what happened."))]
    elif len(description) > 2000:
        errors["description"] = [str(_("Keep the description under 2000 characters."))]
    place = _place(actor, data, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    # Open311 clients are vouched for by their key; people report where they work or live.
    at_home = data.household is not None and data.household.pk in own_household_ids(actor)
    if client is None and not at_home and not may_report_in(actor, place["area_path"]):
        raise Forbidden(_("You can report events only where you work or live."))

    suggestion = suggest_category(description)
    category = data.category or suggestion.category
    chosen_by_person = data.category is not None
    priority = 1 if suggestion.urgent_reasons else (category.priority if category else 3)
    with transaction.atomic():
        case = Case(
            description=description, category=category,
            suggested_category=suggestion.category,
            suggestion_confidence=suggestion.confidence,
            urgent_reasons=suggestion.urgent_reasons, priority=priority,
            channel=channel, external_id=data.external_id[:64], anonymous=data.anonymous,
            reporter=actor if getattr(actor, "pk", None) else None, open311_client=client,
            address=data.address[:200], created_at=now, **place,
        )
        sure = chosen_by_person or suggestion.sure or bool(suggestion.urgent_reasons)
        if category is not None and sure and case.grid_id is not None:
            case.state = Case.State.DISPATCHED
            _dispatch(case, actor=actor, now=now)
        else:
            case.state = Case.State.TRIAGE
        case.save(force_insert=True)
        _event(case, actor=actor, action="report", to_state=case.state, at=now,
               data={"channel": channel, "suggested": getattr(suggestion.category, "code", None),
                     "confidence": suggestion.confidence,
                     "urgent": [r["code"] for r in suggestion.urgent_reasons],
                     "routing": case.routing_note,
                     "assigned": case.assignment_reason or None})
        if case.state == Case.State.DISPATCHED:
            _tell_dispatched(case)
        if idempotency_key and payload is not None:
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        user=actor, key=idempotency_key[:128], scope="cases.report",
                        body_digest=body_digest(payload), status=201,
                        response={"id": case.pk})
            except IntegrityError:
                # The same key raced us from another request: theirs stands, ours goes.
                raise Conflict(_("This request is already being processed."),
                               code="idempotency_in_progress") from None
        # Last: the audit chain's lock is held from here to the commit, so every report
        # in the district waits on it only as long as it must.
        _audit(actor or (f"open311:{client.name}" if client else None), case,
               AuditEntry.Action.CREATE, {"channel": channel, "state": case.state,
                "category": getattr(category, "code", None)}, ip_address)
    return case


def _move(case: Case, *, actor, action: str, updates: dict | None = None, note: str = "",
          data: dict | None = None, ip_address: str = "", now=None,
          expect: dict | None = None) -> Case:
    """One whitelisted transition, applied only if nobody moved the case first (nor
    changed the fields in `expect`, for moves that keep the state)."""
    now = now or timezone.now()
    try:
        to_state = casestates.next_state(case.state, action)
    except casestates.TransitionRefused:
        raise Conflict(
            _("This case is in the state “%(state)s”: you cannot %(action)s it now.")
            % {"state": Case.State(case.state).label,
               "action": ACTION_LABELS.get(action, action)},
            code="transition_refused") from None
    values = {"state": to_state, "updated_at": now, **(updates or {})}
    with transaction.atomic():
        moved = (Case.objects.filter(pk=case.pk, state=case.state, **(expect or {}))
                 .update(**values))
        if moved == 0:
            raise Conflict(_("Someone else changed this case a moment ago; reload it."),
                           code="stale_case")
        from_state = case.state
        for name, value in values.items():
            setattr(case, name, value)
        _event(case, actor=actor, action=action, from_state=from_state, to_state=to_state,
               note=note, data=data, at=now)
        _audit(actor, case, AuditEntry.Action.UPDATE,
               {"action": action, "state": [from_state, to_state], **(data or {})}, ip_address)
    return case


def do_triage_dispatch(*, actor, case: Case, category: Category, ip_address: str = "",
                       note: str = "", now=None) -> Case:
    """A person decides the category (the classifier learns from the correction) and the
    case is routed."""
    if not may_dispatch_case(actor, case.area_path):
        raise Forbidden(_("Your role does not dispatch cases here."))
    if case.grid_id is None:
        raise ValidationFailed(fields={"place": [str(_(
            "Place the case in a grid before dispatching it."))]})
    now = now or timezone.now()
    case.category = category
    _dispatch(case, actor=actor, now=now)
    corrected = case.suggested_category_id not in (None, category.pk)
    with transaction.atomic():
        moved = _move(
            case, actor=actor, action="dispatch", note=note, now=now, ip_address=ip_address,
            updates={"category": category, "lead_department": case.lead_department,
                     "routing_note": case.routing_note,
                     "first_response_due": case.first_response_due,
                     "resolve_due": case.resolve_due, "assignee": case.assignee,
                     "assignment_reason": case.assignment_reason},
            data={"category": category.code, "corrected": corrected,
                  "suggested": getattr(case.suggested_category, "code", None),
                  "assigned": case.assignment_reason or None})
        _tell_dispatched(moved)
    return moved


def _check_handler(actor, case: Case) -> None:
    if not may_handle_case(actor, area_path=case.area_path,
                           department_id=case.lead_department_id):
        raise Forbidden(_("This case is not yours to handle."))


def do_accept_case(*, actor, case: Case, ip_address: str = "", now=None) -> Case:
    """Take on a dispatched case: normally its assignee does; a colleague of the unit may
    claim it instead (the history says from whom). Of two at once exactly one wins."""
    _check_handler(actor, case)
    now = now or timezone.now()
    claimed_from = (case.assignee_id if case.assignee_id not in (None, getattr(actor, "pk", None))
                    else None)
    return _move(case, actor=actor, action="accept", now=now, ip_address=ip_address,
                 updates={"assignee": actor, "responded_at": case.responded_at or now},
                 data={"claimed_from": claimed_from} if claimed_from else None)


def do_return_case(*, actor, case: Case, reason: str, ip_address: str = "") -> Case:
    """退回: not our remit. Counted as a misroute; the case goes back to triage."""
    _check_handler(actor, case)
    if len(reason.strip()) < 4:
        raise ValidationFailed(fields={"reason": [str(_("Say why it is not yours."))]})
    return _move(case, actor=actor, action="return", note=reason, ip_address=ip_address,
                 updates={"lead_department": None, "assignee": None},
                 data={"misroute": True, "from_unit": case.lead_department_id})


def do_wait_for_resident(*, actor, case: Case, note: str, ip_address: str = "") -> Case:
    _check_handler(actor, case)
    return _move(case, actor=actor, action="wait", note=note, ip_address=ip_address)


def do_resume_case(*, actor, case: Case, note: str = "", ip_address: str = "") -> Case:
    _check_handler(actor, case)
    return _move(case, actor=actor, action="resume", note=note, ip_address=ip_address)


def do_add_note(*, actor, case: Case, note: str) -> CaseEvent:
    """A note on the case's progress: by its handlers, or by an assisting (协办) unit."""
    handles = may_handle_case(actor, area_path=case.area_path,
                              department_id=case.lead_department_id)
    if not handles and not may_assist_case(actor, area_path=case.area_path,
                                           assisting_department_ids=assisting_units(case)):
        raise Forbidden(_("This case is not yours to handle."))
    if not note.strip():
        raise ValidationFailed(fields={"note": [str(_("Write the note."))]})
    with transaction.atomic():
        return _event(case, actor=actor, action="note", from_state=case.state,
                      to_state=case.state, note=note)


def do_resolve_case(*, actor, case: Case, outcome: str, result: str, ip_address: str = "",
                    now=None) -> Case:
    """Handling done: a result and an honest outcome ("closed, not fixed" is allowed)."""
    _check_handler(actor, case)
    errors = {}
    if outcome not in Case.Outcome.values:
        errors["outcome"] = [str(_("Choose the outcome from the list."))]
    if not result.strip():
        errors["result"] = [str(_("Say what was done."))]
    if errors:
        raise ValidationFailed(fields=errors)
    now = now or timezone.now()
    return _move(case, actor=actor, action="resolve", now=now, ip_address=ip_address,
                 updates={"outcome": outcome, "result": result.strip()[:2000],
                          "resolved_at": now}, data={"outcome": outcome})


def do_close_case(*, actor, case: Case, ip_address: str = "", now=None) -> Case:
    """Close a resolved case; where the category asks for 核查, a second person checks."""
    if not may_dispatch_case(actor, case.area_path):
        raise Forbidden(_("Your role does not close cases here."))
    now = now or timezone.now()
    if case.category is not None and case.category.needs_check:
        resolver = case.events.filter(action="resolve").order_by("-at").first()
        if resolver is not None and resolver.actor_id == getattr(actor, "pk", None):
            raise Forbidden(_("This category needs a second person to check the result."))
        action = "check_pass"
    else:
        action = "close"
    with transaction.atomic():
        closed = _move(case, actor=actor, action=action, now=now, ip_address=ip_address,
                       updates={"closed_at": now})
        _tell_reporters(closed, "case_closed",
                        _("Case #%(id)s is closed. Please rate how it was handled."))
    return closed


def do_reject_resolution(*, actor, case: Case, reason: str, ip_address: str = "") -> Case:
    if not may_dispatch_case(actor, case.area_path):
        raise Forbidden(_("Your role does not check cases here."))
    return _move(case, actor=actor, action="check_fail", note=reason, ip_address=ip_address,
                 updates={"resolved_at": None, "outcome": ""})


def do_rate_case(*, actor, case: Case, rating: int, comment: str = "", ip_address: str = "",
                 now=None) -> Case:
    """The reporter rates 1–5; an unhappy rating within 7 days of closing reopens it."""
    if case.reporter_id != getattr(actor, "pk", None):
        raise Forbidden(_("Only the person who reported it can rate it."))
    if case.state != Case.State.CLOSED:
        raise Conflict(_("A case can be rated once it is closed."), code="not_closed")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed(fields={"rating": [str(_("Rate from 1 to 5."))]})
    ratelimits.check_public_post(ratelimits.RATE_CASE, actor)
    now = now or timezone.now()
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(rating=rating, rating_comment=comment[:500])
        case.rating, case.rating_comment = rating, comment[:500]
        _event(case, actor=actor, action="rate", from_state=case.state, to_state=case.state,
               note=comment, data={"rating": rating}, at=now)
        _audit(actor, case, AuditEntry.Action.UPDATE, {"rating": rating}, ip_address)
        if rating <= UNHAPPY and case.closed_at and now - case.closed_at <= REOPEN_WINDOW:
            _move(case, actor=actor, action="reopen", note=comment, now=now,
                  ip_address=ip_address, updates={"closed_at": None, "resolved_at": None},
                  data={"rating": rating})
            do_notify(recipients=[case.assignee, *_handlers_of(case)], kind="case_reopened",
                      case=case, url=f"/cases/{case.pk}/",
                      subject=_("Case #%(id)s was reopened after an unhappy rating."),
                      params={"id": case.pk})
    return case


def do_join_case(*, actor, case: Case, ip_address: str = "", now=None) -> Case:
    """"Me too": follow an existing open case instead of reporting it again."""
    if not case.is_open:
        raise Conflict(_("This case is already closed; report it again if it came back."),
                       code="not_open")
    ratelimits.check_public_post(ratelimits.JOIN_CASE, actor)
    now = now or timezone.now()
    with transaction.atomic():
        _follow, created = CaseFollower.objects.get_or_create(
            case=case, user=actor, defaults={"joined_at": now, "via": "me_too"})
        if created:
            _event(case, actor=actor, action="me_too", from_state=case.state,
                   to_state=case.state, at=now)
            _audit(actor, case, AuditEntry.Action.UPDATE, {"me_too": actor.username},
                   ip_address)
    return case


def do_merge_cases(*, actor, duplicate: Case, into: Case, ip_address: str = "",
                   now=None) -> Case:
    """Merge a duplicate into the case that stays: its reporter and followers follow the
    remaining case, so everyone is told of its progress."""
    if duplicate.pk == into.pk:
        raise ValidationFailed(fields={"into": [str(_("A case cannot merge into itself."))]})
    for case in (duplicate, into):
        if not may_dispatch_case(actor, case.area_path):
            raise Forbidden(_("Your role does not merge cases here."))
    if not into.is_open:
        raise Conflict(_("Merge into an open case."), code="not_open")
    now = now or timezone.now()
    with transaction.atomic():
        _move(duplicate, actor=actor, action="merge", now=now, ip_address=ip_address,
              updates={"merged_into": into}, data={"into": into.pk})
        people = set(duplicate.followers.values_list("user_id", flat=True))
        if duplicate.reporter_id:
            people.add(duplicate.reporter_id)
        people.discard(into.reporter_id)
        for user_id in people:
            CaseFollower.objects.get_or_create(
                case=into, user_id=user_id, defaults={"joined_at": now, "via": "merge"})
        _event(into, actor=actor, action="merged_in", from_state=into.state,
               to_state=into.state, at=now, data={"from": duplicate.pk})
        _audit(actor, into, AuditEntry.Action.UPDATE, {"merged_in": duplicate.pk}, ip_address)
    return into


def do_split_case(*, actor, case: Case, description: str, category: Category | None = None,
                  ip_address: str = "", now=None) -> Case:
    """Split off a second matter reported in the same case as a case of its own, at the
    same place, by the same reporter; it is routed like any new case."""
    if not may_dispatch_case(actor, case.area_path):
        raise Forbidden(_("Your role does not split cases here."))
    now = now or timezone.now()
    with transaction.atomic():
        new = do_report_case(
            actor=actor, channel=case.channel, now=now, ip_address=ip_address,
            client=case.open311_client,
            data=CaseInput(description=description, category=category,
                           household=case.household, building=case.building,
                           area=None if case.building_id else case.grid,
                           latitude=case.latitude, longitude=case.longitude,
                           address=case.address, anonymous=case.anonymous))
        Case.objects.filter(pk=new.pk).update(reporter=case.reporter, split_from=case)
        new.reporter, new.split_from = case.reporter, case
        _event(case, actor=actor, action="split", from_state=case.state, to_state=case.state,
               at=now, data={"into": new.pk})
        _audit(actor, case, AuditEntry.Action.UPDATE, {"split_into": new.pk}, ip_address)
    return new


# --- who is told ---------------------------------------------------------------------------

def _area_team(area_path: str, roles) -> list:
    from warmgrid.accounts.models import RoleAssignment

    # The area and its ancestors are the path's prefixes: one indexed lookup.
    grants = (RoleAssignment.objects
              .filter(role__in=roles, area__path__in=enclosing_paths(area_path),
                      user__is_active=True).select_related("user"))
    return [g.user for g in grants]


def _handlers_of(case: Case) -> list:
    """Who must act: the lead department's members, or the grid's own team."""
    from warmgrid.accounts.models import Role

    if case.lead_department_id:
        return list(case.lead_department.members.filter(is_active=True))
    return _area_team(case.area_path, [Role.GRID_WORKER, Role.GRID_LEADER])


def _tell_dispatched(case: Case) -> None:
    from warmgrid.accounts.models import Role

    category = case.category.name if case.category else ""
    if case.assignee_id:
        # The person chosen is told; the rest of the unit sees it in the unit's queue.
        do_notify(recipients=[case.assignee], kind="case_assigned", case=case,
                  url=f"/cases/{case.pk}/",
                  subject=_("Case #%(id)s is assigned to you: %(category)s"),
                  params={"id": case.pk, "category": category})
    else:
        do_notify(recipients=_handlers_of(case), kind="case_dispatched", case=case,
                  url=f"/cases/{case.pk}/", subject=_("New case #%(id)s: %(category)s"),
                  params={"id": case.pk, "category": category})
    if case.priority == 1:
        leaders = _area_team(case.area_path, [Role.GRID_LEADER, Role.COMMUNITY_STAFF])
        do_notify(recipients=leaders, kind="case_urgent", case=case, url=f"/cases/{case.pk}/",
                  subject=_("Urgent case #%(id)s: %(reasons)s"),
                  params={"id": case.pk,
                          "reasons": "、".join(r["label"] for r in case.urgent_reasons)})


def _tell_reporters(case: Case, kind: str, subject) -> None:
    from django.contrib.auth import get_user_model

    ids = set(case.followers.values_list("user_id", flat=True))
    if case.reporter_id:
        ids.add(case.reporter_id)
    people = get_user_model().objects.filter(pk__in=ids, is_active=True)
    do_notify(recipients=people, kind=kind, case=case, url=f"/cases/{case.pk}/",
              subject=subject, params={"id": case.pk})


# --- deadlines: early warning, escalation, supervision, extensions ---------------------------

# How overdue (share of the resolution budget used) a case is when each level is told.
LADDER = ((1.0, 1), (1.25, 2), (1.5, 3), (2.0, 4))


def _ladder_roles(level: int):
    from warmgrid.accounts.models import Role

    return {1: [Role.GRID_LEADER], 2: [Role.COMMUNITY_STAFF], 3: [Role.STREET_ADMIN],
            4: [Role.DISTRICT_ADMIN]}[level]


def do_watch_deadlines(*, now=None, batch_size: int = 500) -> dict[str, int]:
    """Recompute every open case's warning; tell the handlers when it turns yellow, and
    climb the escalation ladder (grid leader → community → street → district) as it stays
    overdue. Each step is recorded on the case, so running twice tells nobody twice."""
    now = now or timezone.now()
    counts = {"checked": 0, "yellow": 0, "red": 0, "escalated": 0}
    open_cases = (Case.objects.filter(state__in=[Case.State.DISPATCHED, Case.State.IN_PROGRESS,
                                                 Case.State.WAITING],
                                      resolve_due__isnull=False, category__isnull=False)
                  .select_related("category", "lead_department").order_by("pk")
                  .prefetch_related(Prefetch(
                      "events", queryset=CaseEvent.objects.filter(action__in=["wait", "resume"]),
                      to_attr="pause_events")))
    for case in open_cases.iterator(chunk_size=batch_size):
        counts["checked"] += 1
        used = deadlines.budget_used(case, now=now, events=case.pause_events)
        level = str(warning_level(used))
        warning = "" if level == "green" else level
        if warning:
            counts[warning] += 1
        ladder = max((step for share, step in LADDER if used >= share), default=0)
        if warning == case.warning and ladder <= case.escalation_level:
            continue
        with transaction.atomic():
            updated = Case.objects.filter(pk=case.pk, warning=case.warning,
                                          escalation_level=case.escalation_level).update(
                warning=warning, escalation_level=max(ladder, case.escalation_level))
            if not updated:
                continue  # another watcher got there first
            if warning == "yellow" and case.warning == "":
                do_notify(recipients=_handlers_of(case), kind="case_yellow", case=case,
                          url=f"/cases/{case.pk}/",
                          subject=_("Case #%(id)s has used three quarters of its time."),
                          params={"id": case.pk})
            for step in range(case.escalation_level + 1, ladder + 1):
                counts["escalated"] += 1
                _event(case, actor=None, action="escalate", from_state=case.state,
                       to_state=case.state, at=now, data={"level": step})
                do_notify(recipients=_area_team(case.area_path, _ladder_roles(step)),
                          kind="case_escalated", case=case, url=f"/cases/{case.pk}/",
                          subject=_("Overdue case #%(id)s is escalated to you."),
                          params={"id": case.pk})
    return counts


def do_supervise_case(*, actor, case: Case, note: str, ip_address: str = "") -> Case:
    """督办: a supervisor presses for action; the handlers are told and it is on record."""
    if not may_dispatch_case(actor, case.area_path):
        raise Forbidden(_("Your role does not supervise cases here."))
    if not note.strip():
        raise ValidationFailed(fields={"note": [str(_("Say what you expect."))]})
    with transaction.atomic():
        _event(case, actor=actor, action="supervise", from_state=case.state,
               to_state=case.state, note=note)
        _audit(actor, case, AuditEntry.Action.UPDATE, {"supervise": True}, ip_address)
        do_notify(recipients=[case.assignee, *_handlers_of(case)], kind="case_supervised",
                  case=case, url=f"/cases/{case.pk}/",
                  subject=_("Case #%(id)s is under supervision (督办)."),
                  params={"id": case.pk})
    return case


def do_request_extension(*, actor, case: Case, days: int, reason: str,
                         ip_address: str = "") -> Case:
    """延期: a handler asks for more working days; a supervisor decides."""
    _check_handler(actor, case)
    if not case.is_open or case.resolve_due is None:
        raise Conflict(_("Only an open case with a deadline can be extended."),
                       code="not_open")
    errors = {}
    if not isinstance(days, int) or not 1 <= days <= 30:
        errors["days"] = [str(_("Ask for 1 to 30 working days."))]
    if len(reason.strip()) < 4:
        errors["reason"] = [str(_("Say why more time is needed."))]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, extension_requested_days__isnull=True) \
            .update(extension_requested_days=days)
        if not updated:
            raise Conflict(_("An extension request is already waiting for a decision."),
                           code="extension_pending")
        case.extension_requested_days = days
        _event(case, actor=actor, action="extension_requested", from_state=case.state,
               to_state=case.state, note=reason, data={"days": days})
        _audit(actor, case, AuditEntry.Action.UPDATE, {"extension_requested": days},
               ip_address)
    return case


def do_decide_extension(*, actor, case: Case, approve: bool, note: str = "",
                        ip_address: str = "") -> Case:
    if not may_dispatch_case(actor, case.area_path):
        raise Forbidden(_("Your role does not decide extensions here."))
    days = case.extension_requested_days
    if days is None:
        raise Conflict(_("No extension request is waiting."), code="no_extension")
    with transaction.atomic():
        updates = {"extension_requested_days": None}
        if approve:
            clock = deadlines.clock_for(case)
            updates["resolve_due"] = clock.due_at(case.resolve_due, clock.working_days(days))
            updates["warning"] = ""
        updated = Case.objects.filter(pk=case.pk, extension_requested_days=days).update(**updates)
        if not updated:
            raise Conflict(_("Someone else decided this a moment ago; reload it."),
                           code="stale_case")
        for name, value in updates.items():
            setattr(case, name, value)
        _event(case, actor=actor, action="extension_approved" if approve
               else "extension_refused", from_state=case.state, to_state=case.state,
               note=note, data={"days": days})
        _audit(actor, case, AuditEntry.Action.UPDATE,
               {"extension": "approved" if approve else "refused", "days": days}, ip_address)
    return case


# --- dispatch: assisting and copied units, transfer, manual escalation, duty roster ------

def assisting_units(case: Case) -> list[int]:
    """The departments assisting (协办) on the case."""
    return list(CaseUnit.objects.filter(case=case, role=CaseUnit.Role.ASSIST)
                .values_list("department_id", flat=True))


def _serves(department: Department, area_path: str) -> bool:
    """A unit serves a place inside its jurisdiction; elsewhere it could not see the case."""
    return area_path.startswith(department.area.path)


def do_transfer_case(*, actor, case: Case, department: Department | None, reason: str,
                     ip_address: str = "", now=None) -> Case:
    """转办: the unit handling the case (or a dispatcher) passes it to another unit, with
    a reason; `department=None` gives it to the grid's own team. Counted as a misroute,
    like a return. The assignee is cleared and the new unit told: it claims the case from
    its queue. The deadlines keep running from the report: a transfer does not reset the
    clock, so passing a case on never buys time."""
    _check_handler(actor, case)
    errors = {}
    if len(reason.strip()) < 4:
        errors["reason"] = [str(_("Say why another unit should handle it."))]
    new_id = getattr(department, "pk", None)
    if new_id == case.lead_department_id:
        errors["department"] = [str(_("Choose a unit other than the one handling it now."))]
    elif department is not None and not _serves(department, case.area_path):
        errors["department"] = [str(_("This unit does not serve the place of the case."))]
    if errors:
        raise ValidationFailed(fields=errors)
    old_id = case.lead_department_id
    with transaction.atomic():
        moved = _move(case, actor=actor, action="transfer", note=reason.strip(), now=now,
                      ip_address=ip_address, expect={"lead_department_id": old_id},
                      updates={"lead_department": department, "assignee": None,
                               "assignment_reason": {}, "routing_note": "transfer"},
                      data={"misroute": True, "from_unit": old_id, "to_unit": new_id})
        if new_id is not None:
            # The new lead is no longer an assisting or copied unit of its own case.
            CaseUnit.objects.filter(case=moved, department_id=new_id).delete()
        do_notify(recipients=_handlers_of(moved), kind="case_transferred", case=moved,
                  url=f"/cases/{moved.pk}/",
                  subject=_("Case #%(id)s is transferred to your unit."),
                  params={"id": moved.pk})
    return moved


def do_set_case_units(*, actor, case: Case, assist: list[Department] = (),
                      copy: list[Department] = (), ip_address: str = "",
                      now=None) -> list[CaseUnit]:
    """A dispatcher names the units that assist (协办) and those copied (抄送); the lists
    replace the case's current ones. Newly named units are told."""
    if not may_dispatch_case(actor, case.area_path):
        raise Forbidden(_("Your role does not choose a case's units here."))
    if not case.is_open:
        raise Conflict(_("This case is already closed."), code="not_open")
    assist_ids = {d.pk: d for d in assist}
    copy_ids = {d.pk: d for d in copy}
    errors: dict[str, list[str]] = {}
    for field, chosen in (("assist", assist_ids), ("copy", copy_ids)):
        for department in chosen.values():
            if department.pk == case.lead_department_id:
                errors.setdefault(field, []).append(str(_(
                    "%(unit)s already leads this case.") % {"unit": department.name}))
            elif not _serves(department, case.area_path):
                errors.setdefault(field, []).append(str(_(
                    "%(unit)s does not serve the place of the case.")
                    % {"unit": department.name}))
    for department_id in assist_ids.keys() & copy_ids.keys():
        errors.setdefault("copy", []).append(str(_(
            "%(unit)s cannot both assist and be copied.") % {"unit": copy_ids[department_id].name}))
    if errors:
        raise ValidationFailed(fields=errors)
    now = now or timezone.now()
    wanted = {pk: CaseUnit.Role.ASSIST for pk in assist_ids} | {
        pk: CaseUnit.Role.COPY for pk in copy_ids}
    with transaction.atomic():
        current = {u.department_id: u for u in CaseUnit.objects.select_for_update()
                   .filter(case=case)}
        gone = [pk for pk in current if pk not in wanted]
        CaseUnit.objects.filter(case=case, department_id__in=gone).delete()
        told: dict[str, list[int]] = {CaseUnit.Role.ASSIST: [], CaseUnit.Role.COPY: []}
        for pk, role in wanted.items():
            unit = current.get(pk)
            if unit is None:
                CaseUnit.objects.create(case=case, department_id=pk, role=role,
                                        added_by=actor if getattr(actor, "pk", None) else None,
                                        added_at=now)
            elif unit.role != role:
                unit.role = role
                unit.save(update_fields=["role"])
            else:
                continue
            told[role].append(pk)
        data = {"assist": sorted(assist_ids), "copy": sorted(copy_ids), "removed": sorted(gone)}
        _event(case, actor=actor, action="units", from_state=case.state, to_state=case.state,
               at=now, data=data)
        _audit(actor, case, AuditEntry.Action.UPDATE, {"units": data}, ip_address)
        from django.contrib.auth import get_user_model

        people = get_user_model().objects.filter(is_active=True)
        subjects = {CaseUnit.Role.ASSIST: _("Your unit is asked to assist (协办) on case "
                                            "#%(id)s."),
                    CaseUnit.Role.COPY: _("Case #%(id)s is copied (抄送) to your unit.")}
        for role, ids in told.items():
            if ids:
                do_notify(recipients=people.filter(departments__in=ids).distinct(),
                          kind=f"case_{role}", case=case, url=f"/cases/{case.pk}/",
                          subject=subjects[role], params={"id": case.pk})
    return list(CaseUnit.objects.filter(case=case).select_related("department"))


# Only a case being handled is escalated: later, it has nobody left to press.
ESCALATABLE = (casestates.DISPATCHED, casestates.IN_PROGRESS, casestates.WAITING)
TOP_LEVEL = 4


def do_escalate_case(*, actor, case: Case, reason: str, ip_address: str = "",
                     now=None) -> Case:
    """A handler asks the level above to coordinate (grid leader → community → street →
    district): one step up the same ladder the deadline watch climbs, so the watch does
    not tell that level again."""
    _check_handler(actor, case)
    if case.state not in ESCALATABLE:
        raise Conflict(_("Only a case being handled can be escalated."), code="not_open")
    if len(reason.strip()) < 4:
        raise ValidationFailed(fields={"reason": [str(_(
            "Say what you need the level above to do."))]})
    level = case.escalation_level + 1
    if level > TOP_LEVEL:
        raise Conflict(_("This case is already escalated to the district."),
                       code="top_of_ladder")
    now = now or timezone.now()
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, state=case.state,
                                      escalation_level=case.escalation_level).update(
            escalation_level=level, updated_at=now)
        if not updated:
            raise Conflict(_("Someone else changed this case a moment ago; reload it."),
                           code="stale_case")
        case.escalation_level = level
        _event(case, actor=actor, action="escalate", from_state=case.state,
               to_state=case.state, note=reason.strip(), at=now,
               data={"level": level, "manual": True})
        _audit(actor, case, AuditEntry.Action.UPDATE, {"escalate": level, "manual": True},
               ip_address)
        do_notify(recipients=_area_team(case.area_path, _ladder_roles(level)),
                  kind="case_escalated", case=case, url=f"/cases/{case.pk}/",
                  subject=_("Case #%(id)s: its handler asks you to coordinate."),
                  params={"id": case.pk})
    return case


MAX_SHIFT = dt.timedelta(hours=72)
MAX_REPEAT_WEEKS = 12


def duty_team(*, department: Department | None = None, area: Area | None = None) -> list:
    """The people a unit's roster may list: its handlers, or a grid's workers and leader."""
    from warmgrid.accounts.models import Role, RoleAssignment

    if department is not None:
        grants = RoleAssignment.objects.filter(role=Role.DEPARTMENT_HANDLER,
                                               department=department, user__is_active=True)
    else:
        grants = RoleAssignment.objects.filter(role__in=[Role.GRID_WORKER, Role.GRID_LEADER],
                                               area__path__in=enclosing_paths(area.path),
                                               user__is_active=True)
    people = {g.user_id: g.user for g in grants.select_related("user")}
    return sorted(people.values(), key=lambda u: (str(u), u.pk))


def do_add_duty_shifts(*, actor, user, department: Department | None = None,
                       area: Area | None = None, starts_at: dt.datetime | None,
                       ends_at: dt.datetime | None, weeks: int = 1, note: str = "",
                       ip_address: str = "") -> list[DutyShift]:
    """Put a person on a unit's duty roster (值班表), once or on the same weekday and hours
    for several weeks."""
    if (department is None) == (area is None):
        raise ValidationFailed(fields={"unit": [str(_("Choose one unit."))]})
    if area is not None and area.level != Area.Level.GRID:
        raise ValidationFailed(fields={"unit": [str(_("Area teams keep rosters per grid."))]})
    place = department.area.path if department is not None else area.path
    if not may_manage_duty(actor, area_path=place, department_id=getattr(department, "pk",
                                                                         None)):
        raise Forbidden(_("Your role does not keep this unit's roster."))
    errors: dict[str, list[str]] = {}
    if user is None or all(p.pk != user.pk for p in duty_team(department=department,
                                                              area=area)):
        errors["user"] = [str(_("Choose a person of this unit."))]
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        errors["ends_at"] = [str(_("The shift must end after it starts."))]
    elif ends_at - starts_at > MAX_SHIFT:
        errors["ends_at"] = [str(_("A shift lasts at most 72 hours."))]
    if not isinstance(weeks, int) or not 1 <= weeks <= MAX_REPEAT_WEEKS:
        errors["weeks"] = [str(_("Repeat for 1 to 12 weeks."))]
    if errors:
        raise ValidationFailed(fields=errors)
    week = dt.timedelta(days=7)
    spans = [(starts_at + week * i, ends_at + week * i) for i in range(weeks)]
    with transaction.atomic():
        overlapping = DutyShift.objects.filter(
            user=user, department=department, area=area, starts_at__lt=spans[-1][1],
            ends_at__gt=spans[0][0]).values_list("starts_at", "ends_at")
        if any(s < end and e > start for s, e in overlapping for start, end in spans):
            raise ValidationFailed(fields={"starts_at": [str(_(
                "This person is already on this roster then."))]})
        shifts = DutyShift.objects.bulk_create([
            DutyShift(user=user, department=department, area=area, starts_at=start,
                      ends_at=end, note=note.strip()[:100],
                      created_by=actor if getattr(actor, "pk", None) else None)
            for start, end in spans])
        do_record_audit(action=AuditEntry.Action.CREATE, actor=actor, ip_address=ip_address,
                        object_type="duty_shift", object_id=shifts[0].pk or "",
                        object_repr=f"{user} {starts_at:%Y-%m-%d %H:%M}", area_path=place,
                        changes={"user": user.pk, "department": getattr(department, "pk", None),
                                 "area": getattr(area, "pk", None), "weeks": weeks,
                                 "starts_at": starts_at.isoformat(),
                                 "ends_at": ends_at.isoformat()})
    return shifts


def do_remove_duty_shift(*, actor, shift: DutyShift, ip_address: str = "") -> None:
    place = shift.department.area.path if shift.department_id else shift.area.path
    if not may_manage_duty(actor, area_path=place, department_id=shift.department_id):
        raise Forbidden(_("Your role does not keep this unit's roster."))
    with transaction.atomic():
        do_record_audit(action=AuditEntry.Action.DELETE, actor=actor, ip_address=ip_address,
                        object_type="duty_shift", object_id=shift.pk,
                        object_repr=f"{shift.user} {shift.starts_at:%Y-%m-%d %H:%M}",
                        area_path=place, changes={"user": shift.user_id})
        shift.delete()


# --- Open311 clients ---------------------------------------------------------------------

def do_issue_open311_key(*, name: str, replace: bool = False) -> tuple[Open311Client, str]:
    """Create a client, or with replace=True give an existing one a new key (and make it
    active again); the old key stops working at once. Returns the client and the key."""
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise ValidationFailed(fields={"name": [str(_("Give a name of 1 to 100 characters."))]})
    key = secrets.token_urlsafe(24)
    digest = hashlib.sha256(key.encode()).hexdigest()
    with transaction.atomic():
        client = Open311Client.objects.select_for_update().filter(name=name).first()
        if client is not None and not replace:
            raise Conflict(_("An Open311 client named “%(name)s” already exists; add --replace "
                             "to give it a new key.") % {"name": name}, code="client_exists")
        replaced = client is not None
        if client is None:
            client = Open311Client.objects.create(name=name, key_digest=digest)
        else:
            client.key_digest, client.is_active = digest, True
            client.save(update_fields=["key_digest", "is_active"])
        # The key and its digest never go on the trail.
        do_record_audit(action=AuditEntry.Action.TOKEN, object_type="open311_client",
                        object_id=client.pk, object_repr=client.name,
                        changes={"key": "replaced" if replaced else "issued"})
    return client, key


def do_revoke_open311_client(*, name: str) -> Open311Client:
    with transaction.atomic():
        client = Open311Client.objects.select_for_update().filter(name=name).first()
        if client is None:
            raise NotFound(_("No Open311 client is named “%(name)s”.") % {"name": name})
        client.is_active = False
        client.save(update_fields=["is_active"])
        do_record_audit(action=AuditEntry.Action.UPDATE, object_type="open311_client",
                        object_id=client.pk, object_repr=client.name,
                        changes={"is_active": [True, False]})
    return client
