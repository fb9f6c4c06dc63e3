"""Event (事件) pages, phone first: report, my reports, tasks, triage, one case.

Thin: parse, access, act, render. Every case named in a URL is fetched with
access_case_for_user (outside the user's scope it is 404); every write goes through
cases/actions.py, whose errors are shown beside their fields. A transition someone else
made first (Conflict) is shown as a message over the case's fresh state, never a 500.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from warmgrid.accounts.http import client_ip
from warmgrid.accounts.models import Role
from warmgrid.accounts.scopes import (
    CASE_AREA_HANDLERS,
    CASE_DISPATCHERS,
    case_dispatch_paths,
    grants_of,
    may_assist_case,
    may_dispatch_case,
    may_handle_case,
    own_household_ids,
    registry_read_paths,
    roles_of,
)
from warmgrid.attachments import queries as attachment_queries
from warmgrid.attachments.actions import check_photos, do_attach_photos
from warmgrid.attachments.models import Attachment
from warmgrid.cases import actions, deadlines, queries
from warmgrid.cases.forms import (
    DispatchForm,
    EmptyForm,
    NoteForm,
    NoteWithPhotosForm,
    RatingForm,
    ReasonForm,
    ReportForm,
    ResolveForm,
    TransferForm,
    UnitsForm,
    category_label,
)
from warmgrid.cases.models import Case, CaseEvent
from warmgrid.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from warmgrid.lib import casestates
from warmgrid.pages import act, go, render_page, show_errors, wants_partial
from warmgrid.people import queries as people_queries
from warmgrid.places import queries as places_queries

PAGE_SIZE = 20
HOUSEHOLD_CHOICES = 12  # a scope this small lists its households without a search
HOUSEHOLD_SEARCH_LIMIT = 20
TASK_STATES = (Case.State.DISPATCHED, Case.State.IN_PROGRESS, Case.State.WAITING,
               Case.State.RESOLVED)
RETURN_TO = ("triage", "mine", "tasks")


# ---- helpers ------------------------------------------------------------------------------


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _handles_cases(user) -> bool:
    roles = roles_of(user)
    return bool(roles & (CASE_AREA_HANDLERS | CASE_DISPATCHERS | {Role.DEPARTMENT_HANDLER,
                                                                    Role.SYSTEM_ADMIN}))


def _act(form, call):
    """Run an action against a form; a place error lands beside the place picker."""
    place = next((f for f in ("household", "building") if f in form.fields), "place")
    return act(form, call, aliases={"place": place})


def _pauses() -> Prefetch:
    """The waits and resumes a deadline warning needs, for a whole list in one query."""
    return Prefetch("events", to_attr="pause_events",
                    queryset=CaseEvent.objects.filter(action__in=("wait", "resume"))
                    .order_by("at", "id"))


def _with_warnings(cases, now) -> list[Case]:
    cases = list(cases)
    for case in cases:
        case.warning = deadlines.warning(case, now=now, events=case.pause_events)
    return cases


def place_label(case: Case) -> str:
    """Where it is, in a line: household or building, the exact spot, the grid."""
    parts = []
    if case.household_id:
        parts.append(str(case.household))
    elif case.building_id:
        parts.append(case.building.name)
    if case.address:
        parts.append(case.address)
    if case.grid_id:
        parts.append(case.grid.name)
    return " · ".join(parts) or _("Not placed in a grid yet")


def _rule_note(order: str) -> str:
    """The note of the routing rule with this number (from the per-process copy)."""
    from warmgrid.cases.reference import reference

    return next((r.note for r in reference().routing_rules if str(r.order) == order), "")


def routing_text(case: Case, *, note: str | None = None, unit: str | None = None) -> str:
    """Why the case went where it went, in words (the action writes a short code):
    "Routed to 历下公安分局 by rule 7 (夜间治安)." `note` and `unit` describe a route not
    taken yet (the triage page's preview)."""
    note = case.routing_note if note is None else note
    if unit is None:
        unit = (case.lead_department.name if case.lead_department_id
                else _("the grid's own team"))
    if note.startswith("rule:"):
        order = note[5:]
        rule_note = _rule_note(order)
        if rule_note:
            return _("Routed to %(unit)s by rule %(rule)s (%(note)s).") % {
                "unit": unit, "rule": order, "note": rule_note}
        return _("Routed to %(unit)s by rule %(rule)s.") % {"unit": unit, "rule": order}
    if note == "category_default":
        return _("Routed to %(unit)s, the category's default unit.") % {"unit": unit}
    if note == "area_team":
        return _("Routed to %(unit)s: no rule and no department covers this category "
                 "here.") % {"unit": unit}
    if note == "transfer":
        return _("Transferred to %(unit)s by the unit that had it.") % {"unit": unit}
    return ""


def assignment_text(case: Case) -> str:
    """Why the assignee was chosen, while the chosen person still holds the case:
    "Chosen: on duty, open load 3.5 (lowest of 4)." """
    why = case.assignment_reason or {}
    if not case.assignee_id or why.get("user") != case.assignee_id:
        return ""
    params = {"load": why.get("load", "0"), "considered": why.get("considered", 1),
              "eligible": why.get("eligible", 1)}
    if why.get("nobody_on_duty"):
        return _("Chosen automatically: nobody was on duty, so everyone in the unit "
                 "(%(eligible)s) was weighed; open load %(load)s (lowest of "
                 "%(considered)s).") % params
    return _("Chosen automatically: on duty, open load %(load)s (lowest of "
             "%(considered)s).") % params


def urgent_labels(case: Case) -> list[str]:
    key = "label_en" if _english() else "label"
    return [r.get(key) or r.get("label") or r.get("code", "") for r in case.urgent_reasons]


# ---- the history in plain words ---------------------------------------------------------

STEP_TEXT = {
    "report": gettext_lazy("Reported"),
    "triage": gettext_lazy("Waiting for a person to choose the category"),
    "dispatch": gettext_lazy("Category decided and sent to the handling unit"),
    "accept": gettext_lazy("Taken on by a handler"),
    "return": gettext_lazy("Returned by the unit: not theirs to handle"),
    "transfer": gettext_lazy("Transferred to another unit"),
    "wait": gettext_lazy("Waiting for the resident; the clock is paused"),
    "resume": gettext_lazy("Handling resumed"),
    "note": gettext_lazy("Note"),
    "resolve": gettext_lazy("Handled; the result is recorded"),
    "close": gettext_lazy("Closed"),
    "check_pass": gettext_lazy("Checked and closed"),
    "check_fail": gettext_lazy("The check found it not done; back to handling"),
    "reopen": gettext_lazy("Reopened after an unhappy rating"),
    "rate": gettext_lazy("Rated by the reporter"),
    "merge": gettext_lazy("Merged into another case"),
    "escalate": gettext_lazy("Escalated to the level above"),
    "units": gettext_lazy("Assisting and copied units changed"),
}
# Notes a reporter sees; the others (returns, internal notes) are between the units.
PUBLIC_NOTES = frozenset({"wait", "resume", "rate", "reopen"})


@dataclass(frozen=True)
class Step:
    at: object
    action: str
    text: str
    state: str
    note: str
    actor: str
    rating: int | None
    photos: tuple = ()  # the step's photos this reader may see


def timeline(events, *, internal: bool) -> list[Step]:
    steps = []
    for event in events:
        if event.action == "note" and not internal:
            continue
        state = Case.State(event.to_state).label if event.to_state in Case.State.values else ""
        if event.from_state == event.to_state:
            state = ""  # notes and ratings do not move the case
        show_note = internal or event.action in PUBLIC_NOTES
        steps.append(Step(
            at=event.at, action=event.action,
            text=str(STEP_TEXT.get(event.action, event.action)), state=str(state),
            note=event.note if show_note else "",
            actor=str(event.actor) if internal and event.actor_id else "",
            rating=event.data.get("rating") if event.action == "rate" else None,
            photos=tuple(getattr(event, "photos", ())),
        ))
    return steps


# ---- the actions of a case -------------------------------------------------------------


@dataclass(frozen=True)
class CaseAction:
    name: str
    form: type
    title: str
    button: str
    done: str


ACTIONS = {a.name: a for a in (
    CaseAction("dispatch", DispatchForm, gettext_lazy("Dispatch"),
               gettext_lazy("Send to the handling unit"),
               gettext_lazy("The case is sent to its handling unit.")),
    CaseAction("accept", EmptyForm, gettext_lazy("Take it on"), gettext_lazy("Take it on"),
               gettext_lazy("You have taken on this case.")),
    CaseAction("wait", NoteForm, gettext_lazy("Wait for the resident"),
               gettext_lazy("Pause the clock"),
               gettext_lazy("The clock is paused while you wait for the resident.")),
    CaseAction("resume", NoteForm, gettext_lazy("Resume handling"),
               gettext_lazy("Resume handling"), gettext_lazy("Handling has resumed.")),
    CaseAction("resolve", ResolveForm, gettext_lazy("Record the result"),
               gettext_lazy("Record the result"),
               gettext_lazy("The result is recorded.")),
    CaseAction("close", EmptyForm, gettext_lazy("Close"), gettext_lazy("Close the case"),
               gettext_lazy("The case is closed.")),
    CaseAction("reject", ReasonForm, gettext_lazy("Send back: not done"),
               gettext_lazy("Send back for handling"),
               gettext_lazy("The case is sent back for handling.")),
    CaseAction("return", ReasonForm, gettext_lazy("Not ours: return it"),
               gettext_lazy("Return to triage"),
               gettext_lazy("The case is returned to triage.")),
    CaseAction("note", NoteWithPhotosForm, gettext_lazy("Add a note"),
               gettext_lazy("Add the note"), gettext_lazy("The note is added.")),
    CaseAction("rate", RatingForm, gettext_lazy("Rate the handling"),
               gettext_lazy("Send my rating"), gettext_lazy("Thank you for your rating.")),
    CaseAction("transfer", TransferForm, gettext_lazy("Transfer to another unit (转办)"),
               gettext_lazy("Transfer"),
               gettext_lazy("The case is transferred; the new unit is told.")),
    CaseAction("units", UnitsForm, gettext_lazy("Assisting and copied units"),
               gettext_lazy("Save the units"),
               gettext_lazy("The units are saved; new ones are told.")),
    CaseAction("escalate", ReasonForm, gettext_lazy("Ask the level above to coordinate"),
               gettext_lazy("Escalate"),
               gettext_lazy("The case is escalated; the level above is told.")),
)}


def _run(name: str, *, user, case: Case, data: dict, ip: str):
    """The one action a posted form names, with the form's cleaned data."""
    if name == "dispatch":
        category = data.get("category_obj")
        if category is None:
            raise ValidationFailed(fields={"category": [_("Choose a category.")]})
        return actions.do_triage_dispatch(actor=user, case=case, category=category,
                                          note=data.get("note") or "", ip_address=ip)
    if name == "accept":
        return actions.do_accept_case(actor=user, case=case, ip_address=ip)
    if name == "return":
        return actions.do_return_case(actor=user, case=case, reason=data.get("reason") or "",
                                      ip_address=ip)
    if name == "wait":
        return actions.do_wait_for_resident(actor=user, case=case, note=data.get("note") or "",
                                            ip_address=ip)
    if name == "resume":
        return actions.do_resume_case(actor=user, case=case, note=data.get("note") or "",
                                      ip_address=ip)
    if name == "note":
        return actions.do_add_note(actor=user, case=case, note=data.get("note") or "")
    if name == "resolve":
        return actions.do_resolve_case(actor=user, case=case, outcome=data.get("outcome") or "",
                                       result=data.get("result") or "", ip_address=ip)
    if name == "close":
        return actions.do_close_case(actor=user, case=case, ip_address=ip)
    if name == "reject":
        return actions.do_reject_resolution(actor=user, case=case,
                                            reason=data.get("reason") or "", ip_address=ip)
    if name == "rate":
        return actions.do_rate_case(actor=user, case=case, rating=data.get("rating"),
                                    comment=data.get("comment") or "", ip_address=ip)
    if name == "transfer":
        return actions.do_transfer_case(actor=user, case=case,
                                        department=data.get("department_obj"),
                                        reason=data.get("reason") or "", ip_address=ip)
    if name == "units":
        return actions.do_set_case_units(actor=user, case=case, assist=data.get("assist_objs"),
                                         copy=data.get("copy_objs"), ip_address=ip)
    if name == "escalate":
        return actions.do_escalate_case(actor=user, case=case, reason=data.get("reason") or "",
                                        ip_address=ip)
    raise AssertionError(name)


def _run_with_photos(name: str, *, user, case: Case, data: dict, ip: str):
    """A note or a result may bring photos: all checked before the step is written, then
    stored with the step in one transaction, or nothing is."""
    photos = check_photos(data.get("photos") or [])
    with transaction.atomic():
        outcome = _run(name, user=user, case=case, data=data, ip=ip)
        if photos:
            step = (outcome if isinstance(outcome, CaseEvent)
                    else case.events.filter(action=name).order_by("-id").first())
            do_attach_photos(actor=user, case=case, files=photos, event=step,
                             kind=Attachment.Kind.HANDLING, ip_address=ip)
    return outcome


def _action_form(name: str, case: Case, *, data=None, files=None, categories=None,
                 units=None):
    """The form of one action, with ids unique per case (a list shows several)."""
    kwargs = {"prefix": name, "auto_id": f"id_{case.pk}_%s"}
    if name == "dispatch":
        suggested = case.suggested_category or case.category
        kwargs["categories"] = (categories if categories is not None
                                else list(queries.categories_in_use()))
        kwargs["initial"] = {"category": suggested.code if suggested else ""}
    elif name == "rate":
        kwargs["initial"] = {"rating": case.rating, "comment": case.rating_comment}
    elif name == "transfer":
        kwargs["departments"] = queries.departments_serving(case.area_path)
        kwargs["current_id"] = case.lead_department_id
    elif name == "units":
        kwargs["departments"] = [d for d in queries.departments_serving(case.area_path)
                                 if d.pk != case.lead_department_id]
        units = units if units is not None else queries.units_of_case(case)
        kwargs["initial"] = {"assist": [str(u.department_id) for u in units
                                        if u.role == "assist"],
                             "copy": [str(u.department_id) for u in units if u.role == "copy"]}
    return ACTIONS[name].form(data, files, **kwargs)


def _available(user, case: Case, history, units=None) -> tuple[list[str], str]:
    """The actions this user may take on the case now, and why closing waits, if it does.

    Only moves the state machine allows from here, and only for the right people: the
    handling unit (or the grid's team), the dispatchers over the area, the reporter;
    an assisting (协办) unit adds notes, a copied (抄送) one only reads."""
    units = units if units is not None else queries.units_of_case(case)
    moves = set(casestates.allowed_actions(case.state))
    handles = may_handle_case(user, area_path=case.area_path,
                              department_id=case.lead_department_id)
    dispatches = may_dispatch_case(user, case.area_path)
    names, hint = [], ""
    if "dispatch" in moves and dispatches:
        names.append("dispatch")
    if handles:
        names += [n for n in ("accept", "resume", "resolve", "wait") if n in moves]
    if moves & {"close", "check_pass"} and dispatches:
        resolver = next((e.actor_id for e in reversed(history) if e.action == "resolve"), None)
        if case.category and case.category.needs_check and resolver == user.pk:
            hint = _("This category needs a second person to check the result before it "
                     "is closed.")
        else:
            names.append("close")
    if "check_fail" in moves and dispatches:
        names.append("reject")
    if "return" in moves and handles:
        names.append("return")
    if "transfer" in moves and handles:
        names.append("transfer")
    if case.state in actions.ESCALATABLE and handles \
            and case.escalation_level < actions.TOP_LEVEL:
        names.append("escalate")
    if case.is_open and dispatches and case.state not in (Case.State.REPORTED,
                                                          Case.State.TRIAGE):
        names.append("units")
    assists = may_assist_case(user, area_path=case.area_path, assisting_department_ids=[
        u.department_id for u in units if u.role == "assist"])
    if case.is_open and (handles or assists):
        names.append("note")
    if case.state == Case.State.CLOSED and case.reporter_id == user.pk:
        names.append("rate")
    return names, hint


def _detail_context(request, case: Case, *, bound=None) -> dict:
    user = request.user
    now = timezone.now()
    history = list(queries.case_history(case))
    units = queries.units_of_case(case)
    names, close_hint = _available(user, case, history, units)
    forms = []
    for name in names:
        form = (bound if bound is not None and bound.prefix == name
                else _action_form(name, case, units=units))
        forms.append((ACTIONS[name], form))
    if bound is not None and bound.prefix not in names:
        # The case moved on while the form was open: its errors still deserve a word.
        for field_errors in bound.errors.values():
            for message in field_errors:
                messages.error(request, message)
    internal = queries.reads_case_internals(user, case, units)
    attachment_queries.with_photos(user, case, history, internal=internal)
    return {
        "case": case,
        "place": place_label(case),
        "category": category_label(case.category) if case.category_id else "",
        "suggested": (category_label(case.suggested_category)
                      if case.suggested_category_id else ""),
        "routing": routing_text(case),
        "assignment": assignment_text(case),
        "assisting": [u.department for u in units if u.role == "assist"],
        "copied": [u.department for u in units if u.role == "copy"],
        "urgent": urgent_labels(case),
        "warning": deadlines.warning(case, now=now, events=history),
        "timeline": timeline(history, internal=internal),
        "internal": internal,
        "forms": forms,
        "close_hint": close_hint,
        "now": now,
    }


# ---- report an event ------------------------------------------------------------------


def _page_channel(user) -> str:
    roles = roles_of(user)
    if roles and roles <= {Role.RESIDENT}:
        return Case.Channel.RESIDENT
    return Case.Channel.GRID_WORKER


def _household_choices(user, households, *, q: str, selected) -> tuple[list, bool]:
    """The households to offer: a resident's own; a small scope whole; else search hits.
    The one already chosen stays on top. Returns (households, needs_search)."""
    if not any(g.role != Role.RESIDENT for g in grants_of(user)):
        return list(households.order_by("pk")), False
    if q:
        found = list(people_queries.search_households(user, q, limit=HOUSEHOLD_SEARCH_LIMIT)
                     .select_related("householder"))
    else:
        found = list(households.select_related("householder")
                     .order_by("building__code", "unit", "room", "pk")[:HOUSEHOLD_CHOICES + 1])
        if len(found) > HOUSEHOLD_CHOICES:
            found = []
    chosen = str(getattr(selected, "pk", selected) or "")
    if chosen.isdigit() and all(str(h.pk) != chosen for h in found):
        kept = households.filter(pk=int(chosen)).select_related("householder").first()
        if kept is not None:
            found.insert(0, kept)
    return found, True


def _kept_if_limited(form, call):
    """Run `call`; a rate limit it hits is kept on the form, so the page answers 429."""
    try:
        return call()
    except RateLimited as exc:
        form.rate_limited = exc
        raise


def _with_retry_after(response, form):
    limited = getattr(form, "rate_limited", None)
    if limited is not None:
        response.status_code = 429
        response["Retry-After"] = str(limited.retry_after)
    return response


MAP_BUILDINGS = 1500  # more dots than this make no usable map on a phone


def _map_buildings(buildings) -> list[dict]:
    """The buildings drawn on the report form's map, or none where the scope is too big
    for one (a district admin picks a building from the list instead)."""
    located = list(buildings.filter(latitude__isnull=False, longitude__isnull=False)
                   .values_list("name", "latitude", "longitude")[:MAP_BUILDINGS + 1])
    if len(located) > MAP_BUILDINGS:
        return []
    return [{"name": name, "lat": float(lat), "lon": float(lon)}
            for name, lat, lon in located]


def _report(request, form: ReportForm):
    """Replay the first answer to a re-sent form, or report the case."""
    user = request.user
    key = form.cleaned_data.get("idempotency_key") or ""
    payload = form.payload()
    try:
        record = actions.replay_or_none(actor=user, key=key, scope="cases.report",
                                        payload=payload)
    except ValidationFailed as exc:
        if exc.code != "idempotency_key_reused":
            raise
        # A sent form, changed after "back": another report, once the reporter confirms.
        form.renew_key()
        raise ValidationFailed(_("This form was already sent once. If this is another "
                                 "report, check it and send it again.")) from None
    if record is not None:
        return queries.access_case_for_user(user, record.response["id"]), True
    data = form.cleaned_data
    # Photos are checked before anything is written: one bad photo refuses the report.
    photos = check_photos(data.get("photos") or [])
    with transaction.atomic():
        case = actions.do_report_case(
            actor=user,
            data=actions.CaseInput(
                description=data.get("description") or "", category=form.chosen_category(),
                household=data.get("household"), building=data.get("building"),
                latitude=data.get("latitude"), longitude=data.get("longitude"),
                address=data.get("address") or "", anonymous=bool(data.get("anonymous")),
                external_id=payload["external_id"]),
            channel=data.get("channel") or _page_channel(user), ip_address=client_ip(request),
            idempotency_key=key, payload=payload)
        if photos:
            do_attach_photos(actor=user, case=case, files=photos,
                             kind=Attachment.Kind.REPORT, ip_address=client_ip(request))
    return case, False


@login_required
def case_report(request):
    user = request.user
    grants = grants_of(user)
    if not grants:
        raise Http404
    staff = any(g.role != Role.RESIDENT for g in grants)
    paths = registry_read_paths(user)
    households = (people_queries.households_visible_to(user)
                  if paths is None or paths or own_household_ids(user) else None)
    # Residents see their own grid's buildings: they may report anywhere in it.
    buildings = places_queries.buildings_visible_to(user).order_by("grid__path", "code")
    form = ReportForm(request.POST if request.method == "POST" else None,
                      request.FILES if request.method == "POST" else None,
                      categories=list(queries.categories_in_use()), households=households,
                      buildings=buildings, takes_calls=bool(case_dispatch_paths(user)))
    if form.is_bound and form.is_valid():
        outcome = _act(form, lambda: _kept_if_limited(form, lambda: _report(request, form)))
        if outcome is not None:
            case, replayed = outcome
            if replayed:
                messages.success(request, _("This report was already received."))
            else:
                messages.success(request, _("Thank you. Your report is received as case "
                                            "%(number)s.") % {"number": case.pk})
            return go(request, reverse("cases:detail", args=[case.pk]))

    q = " ".join(request.GET.get("household_q", "").split())[:64]
    selected = (form.data.get("household") if form.is_bound
                else request.GET.get("household", ""))
    choices, searchable = ([], False) if households is None else _household_choices(
        user, households, q=q, selected=selected)
    if not staff and not selected and len(choices) == 1:
        selected = choices[0].pk  # a resident reports from home
    context = {"form": form, "household_choices": choices, "household_search": searchable,
               "household_q": q, "selected_household": str(selected or ""),
               "reporting_as_resident": not staff,
               "map_buildings": _map_buildings(buildings)}
    if request.method == "GET" and wants_partial(request) and "household_q" in request.GET:
        return render(request, "cases/report.html#household_choices", context)
    return _with_retry_after(render_page(request, "cases/report.html", context, "form"), form)


# ---- lists ------------------------------------------------------------------------------


@login_required
def my_reports(request):
    """The user's own reports, newest first, each with its history and, once closed, a
    rating form."""
    user = request.user
    history = CaseEvent.objects.select_related("actor").order_by("at", "id")
    cases = (queries.reported_by(user)
             .select_related("category__parent", "grid", "building", "household__building")
             .prefetch_related(Prefetch("events", queryset=history, to_attr="history")))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for case in page.object_list:
        rows.append({
            "case": case,
            "place": place_label(case),
            "category": category_label(case.category) if case.category_id else "",
            "timeline": timeline(case.history, internal=False),
            "rate_form": (_action_form("rate", case) if case.state == Case.State.CLOSED
                          else None),
        })
    return render(request, "cases/mine.html", {"rows": rows, "page_obj": page,
                                               "rate_action": ACTIONS["rate"]})


@login_required
def task_list(request):
    """Open cases the user may act on, soonest deadline first, with their warning colour."""
    user = request.user
    if not _handles_cases(user):
        raise Http404
    now = timezone.now()
    tasks = queries.tasks_for(user)
    counts = dict(tasks.order_by().values_list("state").annotate(n=Count("id")))
    state = request.GET.get("state", "")
    if state in TASK_STATES:
        tasks = tasks.filter(state=state)
    else:
        state = ""
    tasks = (tasks.select_related("category__parent", "building", "household__building")
             .prefetch_related(_pauses()))
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    cases = _with_warnings(page.object_list, now)
    for case in cases:
        case.place = place_label(case)
        case.category_name = category_label(case.category) if case.category_id else ""
    filters = [(s.value, s.label, counts.get(s.value, 0)) for s in TASK_STATES]
    return render(request, "cases/tasks.html", {
        "cases": cases, "page_obj": page, "filters": filters, "state": state,
        "total": sum(counts.values()), "now": now,
        "has_queue": bool(roles_of(user) & (CASE_AREA_HANDLERS | {Role.DEPARTMENT_HANDLER})),
        "keeps_roster": bool(roles_of(user) & (CASE_DISPATCHERS | {Role.GRID_LEADER,
                                                                    Role.DEPARTMENT_HANDLER})),
    })


def _route_preview(case: Case, now) -> str:
    """Where the suggested category would send the case now, and by which rule (routing
    reads the per-process copy of the rules: no query per row)."""
    category = case.suggested_category
    if category is None or case.grid_id is None:
        return ""
    department, why = actions.route_for(category, case.area_path, now=now)
    unit = department.name if department is not None else _("the grid's own team")
    return _("As %(category)s: %(route)s") % {
        "category": category_label(category), "route": routing_text(case, note=why, unit=unit)}


@login_required
def triage_queue(request):
    """Cases the classifier was not sure about, for a dispatcher to decide."""
    user = request.user
    if not case_dispatch_paths(user):
        raise Http404
    cases = (queries.triage_queue_for(user)
             .select_related("building", "household__building", "category__parent",
                             "suggested_category__parent"))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    categories = list(queries.categories_in_use())
    now = timezone.now()
    rows = []
    for case in page.object_list:
        confidence = case.suggestion_confidence
        rows.append({
            "case": case,
            "place": place_label(case),
            "suggested": (category_label(case.suggested_category)
                          if case.suggested_category_id else ""),
            "confidence": round(confidence * 100) if confidence is not None else None,
            "urgent": urgent_labels(case),
            "route": _route_preview(case, now),
            "form": _action_form("dispatch", case, categories=categories),
        })
    return render(request, "cases/triage.html", {"rows": rows, "page_obj": page,
                                                 "dispatch_action": ACTIONS["dispatch"]})


# ---- one case ---------------------------------------------------------------------------


@login_required
def case_detail(request, case_id):
    case = queries.access_case_for_user(request.user, case_id)
    return render(request, "cases/case_detail.html", _detail_context(request, case))


@login_required
@require_POST
def case_act(request, case_id):
    """Every action form of a case posts here, naming its action."""
    user = request.user
    case = queries.access_case_for_user(user, case_id)
    name = request.POST.get("action", "")
    if name not in ACTIONS:
        return HttpResponseBadRequest(_("Unknown action."))
    form = _action_form(name, case, data=request.POST, files=request.FILES)
    if form.is_valid():
        data = dict(form.cleaned_data)
        if name == "dispatch":
            data["category_obj"] = form.chosen_category()
        elif name == "transfer":
            data["department_obj"] = form.chosen_department()
        elif name == "units":
            data["assist_objs"], data["copy_objs"] = form.chosen("assist"), form.chosen("copy")
        try:
            _run_with_photos(name, user=user, case=case, data=data, ip=client_ip(request))
        except Conflict as exc:
            # Someone else was faster: say so over the case as it is now.
            fresh = queries.access_case_for_user(user, case.pk)
            if exc.code in ("transition_refused", "stale_case"):
                messages.error(request, _(
                    "Someone else changed this case a moment ago. It is now “%(state)s”; "
                    "here is its current state.") % {"state": fresh.get_state_display()})
            else:
                messages.error(request, str(exc.message))
            return render(request, "cases/case_detail.html", _detail_context(request, fresh),
                          status=409)
        except Forbidden as exc:
            raise PermissionDenied(str(exc.message)) from exc
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            show_errors(form, exc)
            if isinstance(exc, RateLimited):
                form.rate_limited = exc
        else:
            messages.success(request, str(ACTIONS[name].done))
            if name == "rate" and case.state != Case.State.CLOSED:
                messages.info(request, _("We are sorry. The case is reopened and will be "
                                         "handled again."))
            back = request.POST.get("next", "")
            url = (reverse(f"cases:{back}") if back in RETURN_TO
                   else reverse("cases:detail", args=[case.pk]))
            return redirect(url)
    return _with_retry_after(render(request, "cases/case_detail.html",
                                    _detail_context(request, case, bound=form)), form)


# ---- unit queues and duty rosters ---------------------------------------------------------

QUEUE_ROLES = {"lead": gettext_lazy("Lead (主责)"), "assist": gettext_lazy("Assisting (协办)"),
               "copy": gettext_lazy("Copied (抄送)")}


def _chosen_unit(request, units, kinds=("department", "area")):
    """The unit the query string names (404 for one that is not the user's), else None."""
    for kind in kinds:
        value = request.GET.get(kind, "")
        if value:
            found = next((u for u in units if u.kind == kind and str(u.pk) == value), None)
            if found is None:
                raise Http404
            return found
    return None


@login_required
def unit_queue(request):
    """The open cases of the user's units, as lead (主责), assisting (协办) or copied (抄送):
    unassigned first, then the nearest deadline, with warning colours. `?department=<id>`
    or `?area=<id>` shows one unit for people in several."""
    user = request.user
    units = queries.queue_units_for(user)
    if not units:
        raise Http404
    selected = _chosen_unit(request, units)
    chosen = [selected] if selected is not None else units
    now = timezone.now()
    cases = (queries.queue_for(user, chosen)
             .select_related("category__parent", "building", "household__building")
             .prefetch_related(_pauses()))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _with_warnings(page.object_list, now)
    roles = queries.queue_roles(rows, chosen)
    for case in rows:
        case.place = place_label(case)
        case.category_name = category_label(case.category) if case.category_id else ""
        case.queue_role = roles.get(case.pk, "lead")
        case.queue_role_label = QUEUE_ROLES[case.queue_role]
    return render(request, "cases/queue.html", {
        "cases": rows, "page_obj": page, "units": units, "selected": selected, "now": now,
    })


ROSTER_DAYS = 14


def _roster_unit(request, departments, grids):
    """The department or grid whose roster is shown (`?unit=department-3` or `area-5`,
    404 for one the user does not keep), else the first."""
    value = request.GET.get("unit", "")
    if not value:
        return (departments[0], None) if departments else (None, grids[0])
    kind, _sep, pk = value.partition("-")
    if kind == "department":
        found = next((d for d in departments if str(d.pk) == pk), None)
        if found is not None:
            return found, None
    elif kind == "area":
        found = next((g for g in grids if str(g.pk) == pk), None)
        if found is not None:
            return None, found
    raise Http404


@login_required
def duty_roster(request):
    """A unit's duty roster (值班表) for the next two weeks. Those who keep it (see
    scopes.may_manage_duty) add shifts, once or weekly, and remove them; new cases go to
    the people on duty first."""
    from warmgrid.cases.forms import DutyShiftForm

    user = request.user
    departments, grids = queries.duty_units_for(user)
    if not departments and not grids:
        raise Http404
    department, area = _roster_unit(request, departments, grids)
    people = actions.duty_team(department=department, area=area)
    posted = request.method == "POST"
    here = request.get_full_path()
    if posted and request.POST.get("remove"):
        shift = queries.access_duty_shift_for_user(user, request.POST["remove"])
        try:
            actions.do_remove_duty_shift(actor=user, shift=shift, ip_address=client_ip(request))
        except Forbidden as exc:
            raise PermissionDenied(str(exc.message)) from exc
        messages.success(request, _("The shift is removed."))
        return redirect(here)
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = today + dt.timedelta(days=1)
    form = DutyShiftForm(request.POST if posted else None, people=people, initial={
        "starts_at": tomorrow.replace(hour=8, minute=30),
        "ends_at": tomorrow.replace(hour=17, minute=30), "weeks": 1})
    if posted and form.is_valid():
        data = form.cleaned_data
        made = act(form, lambda: actions.do_add_duty_shifts(
            actor=user, user=form.chosen_user(), department=department, area=area,
            starts_at=data.get("starts_at"), ends_at=data.get("ends_at"),
            weeks=data.get("weeks") or 1, note=data.get("note") or "",
            ip_address=client_ip(request)))
        if made is not None:
            messages.success(request, _("Shifts added to the roster: %(count)s.")
                             % {"count": len(made)})
            return redirect(here)
    now = timezone.now()
    shifts = list(queries.roster(department=department, area=area, start=today,
                                 end=today + dt.timedelta(days=ROSTER_DAYS)))
    days: dict = {}
    for shift in shifts:
        shift.now_on = shift.starts_at <= now < shift.ends_at
        days.setdefault(timezone.localtime(shift.starts_at).date(), []).append(shift)
    return render(request, "cases/duty.html", {
        "departments": departments, "grids": grids, "department": department, "area": area,
        "days": sorted(days.items()), "form": form, "people": people,
        "on_duty_now": [s.user for s in shifts if s.now_on],
    }, status=422 if posted else 200)
