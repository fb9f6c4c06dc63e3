"""Assessment pages, phone first: the table (naive and fair rankings side by side, with
why each moved), one worker's breakdown to read and contest, the exclusion review queue
and the request form reached from a case.

Thin: parse, access (queries.py decides the scope), act (actions.py), render.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from warmgrid.accounts.http import client_ip
from warmgrid.accounts.scopes import case_dispatch_paths, is_system_admin
from warmgrid.assessment import actions, queries
from warmgrid.assessment.forms import ExclusionRequestForm, PeriodForm, ReviewForm
from warmgrid.assessment.models import Exclusion
from warmgrid.assessment.wording import (
    COLUMNS,
    LABELS,
    REOPEN,
    SHORT_LABELS,
    reason_text,
)
from warmgrid.cases.models import Case
from warmgrid.cases.queries import access_case_for_user
from warmgrid.errors import Conflict, DomainError, Forbidden
from warmgrid.lib import assessment as method
from warmgrid.pages import act, wants_partial

BREAKDOWN_CASES_LIMIT = 500
CHART_LIMIT = 40  # bars; a district's hundreds of workers stay in the table


# ---- presenting figures -----------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One rate as shown: what it counts, raw, weighted, shrunk, and the pool's."""

    key: str
    label: str
    short: str
    numerator: int
    denominator: int
    rate: float | None
    weighted_numerator: float
    weighted_denominator: float
    weighted: float | None
    shrunk: float | None
    prior_weight: float | None
    pool: float | None
    pool_raw: float | None
    scored: bool
    lower_is_better: bool


def _flip(value: float | None) -> float | None:
    return None if value is None else 1 - value


def cells(figures: dict, pool: method.Pool, scored) -> list[Cell]:
    out = []
    for key in COLUMNS:
        source = method.NO_REOPEN if key == REOPEN else key
        f, p = figures[source], pool.figures[source]
        if key == REOPEN:
            # Reopenings are scored as "not reopened"; shown the way people count them.
            out.append(Cell(
                key, str(LABELS[key]), str(SHORT_LABELS[key]), f.denominator - f.numerator,
                f.denominator, _flip(f.rate), f.weighted_denominator - f.weighted_numerator,
                f.weighted_denominator, _flip(f.weighted), _flip(f.shrunk), f.prior_weight,
                _flip(p.weighted), _flip(p.rate), source in scored, True))
        else:
            out.append(Cell(
                key, str(LABELS[key]), str(SHORT_LABELS[key]), f.numerator, f.denominator,
                f.rate, f.weighted_numerator, f.weighted_denominator, f.weighted, f.shrunk,
                f.prior_weight, p.weighted if source in scored else p.rate, p.rate,
                source in scored, key == method.MISROUTE))
    return out


@dataclass(frozen=True)
class ReasonLine:
    code: str
    direction: str
    text: str


@dataclass(frozen=True)
class Row:
    subject: object
    name: str
    url: str
    result: method.SubjectResult
    cells: list[Cell]
    reasons: list[ReasonLine]
    is_me: bool

    @property
    def move(self) -> str:
        moved = self.result.moved
        if moved is None:
            return "–"
        return f"↑{moved}" if moved > 0 else f"↓{-moved}" if moved < 0 else "="


def _rows(result: queries.AssessmentResult, request, *, link: bool) -> list[Row]:
    scored = result.assessment.choices["indicators"]
    rows = []
    query = _carry(request)
    for subject in result.subjects:
        url = ""
        if link and result.by == queries.BY_WORKER:
            url = reverse("assessment:worker", args=[subject.subject]) + query
        rows.append(Row(
            subject=subject.subject,
            name=result.names.get(subject.subject) or _("(removed)"), url=url, result=subject,
            cells=cells(subject.figures, result.assessment.pool, scored),
            reasons=[ReasonLine(r.code, r.direction, reason_text(r)) for r in subject.reasons],
            is_me=subject.subject == request.user.pk and result.by == queries.BY_WORKER))
    return rows


def _carry(request) -> str:
    """The period and pool of this page, for links to the next one."""
    kept = {k: request.GET[k] for k in ("month", "start", "end", "area") if request.GET.get(k)}
    return "?" + urlencode(kept) if kept else ""


def _period(request):
    """The form, its clean data (empty when it is not valid), and the scope it names."""
    form = PeriodForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    scope = queries.access_scope_for_user(request.user, data.get("area"))
    if data.get("start") and data.get("end"):
        window = queries.window_between(data["start"], data["end"])
    elif data.get("month"):
        window = queries.month_window(data["month"].year, data["month"].month)
    else:
        window = queries.latest_month(scope)
    return form, data, scope, window


def _priors(choices: dict) -> list[tuple[str, str, float]]:
    return [(key, str(LABELS[key]), value) for key, value in choices["prior_strength"].items()]


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _chart(rows: list[Row]) -> dict:
    ranked = [r for r in rows if r.result.ranked][:CHART_LIMIT]
    return {
        "names": [r.name for r in ranked],
        "scores": [round(r.result.fair_score, 1) for r in ranked],
        "naive": [r.result.naive_rank for r in ranked],
        "fair": [r.result.fair_rank for r in ranked],
        "scoreLabel": _("Fair score"),
        "naiveLabel": _("zero-complaints rank"),
        "fairLabel": _("fair rank"),
    }


# ---- the table --------------------------------------------------------------------------


@login_required
def assessment_index(request):
    form, data, scope, window = _period(request)
    if not scope.supervisor:
        return _breakdown(request, form, scope, window, request.user)
    by = data.get("by") or queries.BY_WORKER
    result = queries.assessment_for(request.user, start=window.start, end=window.end, by=by,
                                    scope=scope)
    rows = _rows(result, request, link=True)
    pool_scope = queries.scope_of(request.user)
    carry = _carry(request)
    by_links = [(value, label, reverse("assessment:index") + (carry + "&" if carry else "?")
                 + f"by={value}")
                for value, label in ((queries.BY_WORKER, _("By worker")),
                                     (queries.BY_UNIT, _("By unit")))]
    return render(request, "assessment/index.html", {
        "form": form, "window": window, "by": result.by, "result": result, "rows": rows,
        "pool": cells({k: f for k, f in result.assessment.pool.figures.items()},
                      result.assessment.pool, result.assessment.choices["indicators"]),
        "choices": result.assessment.choices, "area": scope.area,
        "priors": _priors(result.assessment.choices),
        "pool_label": queries.pool_label(scope), "pool_summary": result.assessment.pool,
        "areas": queries.area_choices(pool_scope), "chart": _chart(rows),
        "chart_capped": result.ranked_count > CHART_LIMIT, "chart_limit": CHART_LIMIT,
        "columns": [SHORT_LABELS[c] for c in COLUMNS], "carry": carry, "by_links": by_links,
        "csv_query": request.GET.urlencode(),
        "reviews": is_system_admin(request.user) or bool(case_dispatch_paths(request.user)),
    })


@login_required
def assessment_csv(request):
    """The table as CSV (UTF-8 with a byte-order mark, so that Excel reads the Chinese)."""
    _form, data, scope, window = _period(request)
    by = data.get("by") or queries.BY_WORKER
    result = queries.assessment_for(request.user, start=window.start, end=window.end, by=by,
                                    scope=scope)
    rows = _rows(result, request, link=False)
    actions.do_record_assessment_export(actor=request.user, window=window.stated(),
                                        by=result.by, rows=len(rows),
                                        area_path=scope.area.path if scope.area else "",
                                        ip_address=client_ip(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"assessment-{result.by}-{window.start:%Y%m%d}-{window.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    header = [_("Worker or unit"), _("Counted cases"), _("Excluded"), _("Complaints"),
              _("Zero-complaints rank"), _("Fair rank"), _("Fair score")]
    for column in COLUMNS:
        label = str(SHORT_LABELS[column])
        header += [f"{label} n", f"{label} N", f"{label} %", f"{label} {_('weighted')} %"]
    writer.writerow([*header, _("Why it moved")])
    for row in rows:
        r = row.result
        line = [row.name, r.cases, r.excluded, r.complaints, r.naive_rank,
                r.fair_rank or "", "" if r.fair_score is None else f"{r.fair_score:.1f}"]
        for cell in row.cells:
            line += [cell.numerator, cell.denominator, _csv_percent(cell.rate),
                     _csv_percent(cell.weighted)]
        writer.writerow([*line, " ".join(reason.text for reason in row.reasons)])
    return response


def _csv_percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


# ---- one worker -------------------------------------------------------------------------


@login_required
def worker_breakdown(request, worker_id):
    form, _data, scope, window = _period(request)
    worker = queries.access_worker_for_user(request.user, worker_id, scope)
    return _breakdown(request, form, scope, window, worker)


@dataclass(frozen=True)
class CaseLine:
    facts: queries.CaseFacts
    category: str
    outcome: str
    complaints: int
    exclusions: list[Exclusion]


def _breakdown(request, form, scope, window, worker):
    result = queries.assessment_for(request.user, start=window.start, end=window.end,
                                    by=queries.BY_WORKER, scope=scope)
    mine = next((s for s in result.subjects if s.subject == worker.pk), None)
    facts = [f for f in result.facts if f.assignee_id == worker.pk]
    shown = facts[:BREAKDOWN_CASES_LIMIT]
    requests = queries.exclusions_of_cases(f.case_id for f in shown)
    english = _english()
    lines = []
    for f in shown:
        row = f.row(queries.BY_WORKER)
        outcome = Case.Outcome(f.outcome).label if f.outcome in Case.Outcome.values else "–"
        lines.append(CaseLine(f, (f.category_en if english else f.category) or "–",
                              str(outcome), row.complaints, requests.get(f.case_id, [])))
    pool = result.assessment.pool
    scored = result.assessment.choices["indicators"]
    row = _rows(result, request, link=False)
    me = next((r for r in row if r.subject == worker.pk), None)
    return render(request, "assessment/breakdown.html", {
        "form": form, "window": window, "worker": worker, "result": result, "mine": mine,
        "row": me, "lines": lines, "counted": [ln for ln in lines if not ln.facts.excluded],
        "excluded": [ln for ln in lines if ln.facts.excluded],
        "capped": len(facts) > len(shown), "limit": BREAKDOWN_CASES_LIMIT,
        "pool_cells": cells(pool.figures, pool, scored), "pool": pool,
        "choices": result.assessment.choices, "self_view": not scope.supervisor,
        "priors": _priors(result.assessment.choices),
        "pool_label": queries.pool_label(scope), "pool_summary": pool,
        "is_me": worker.pk == request.user.pk, "area": scope.area,
        "carry": _carry(request),
    })


# ---- exclusions -------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    exclusion: Exclusion
    refusal: str
    form: ReviewForm | None


def _item(user, exclusion: Exclusion, form: ReviewForm | None = None) -> QueueItem:
    refusal = ""
    if exclusion.state == Exclusion.State.PENDING:
        refusal = actions.review_refusal(user, exclusion, exclusion.case)
    return QueueItem(exclusion, refusal,
                     form or (ReviewForm(prefix=f"x{exclusion.pk}")
                              if exclusion.state == Exclusion.State.PENDING and not refusal
                              else None))


@login_required
def exclusion_queue(request):
    user = request.user
    reviews = is_system_admin(user) or bool(case_dispatch_paths(user))
    if not reviews and queries.scope_of(user) is None:
        raise Http404
    pending = queries.exclusions_to_review(user) if reviews else Exclusion.objects.none()
    page = Paginator(pending, 20).get_page(request.GET.get("page"))
    return render(request, "assessment/exclusions.html", {
        "items": [_item(user, e) for e in page.object_list], "page_obj": page,
        "reviews": reviews,
        "mine": queries.exclusions_requested_by(user),
        "decided": queries.recent_exclusion_decisions(user) if reviews else [],
    })


@login_required
@require_POST
def exclusion_review(request, case_id):
    user = request.user
    exclusion = queries.access_exclusion_for_user(user, case_id)
    form = ReviewForm(request.POST, prefix=f"x{exclusion.pk}")
    if form.is_valid():
        try:
            actions.do_review_exclusion(
                actor=user, exclusion=exclusion,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data.get("note") or "", ip_address=client_ip(request))
        except (Forbidden, Conflict) as exc:
            form.add_error(None, str(exc.message))
        except DomainError as exc:
            for name, field_messages in exc.fields.items():
                for message in field_messages:
                    form.add_error(name if name in form.fields else None, message)
            if not exc.fields:
                form.add_error(None, str(exc.message))
        else:
            form = None
            if not request.htmx:
                messages.success(request, _("Your review is recorded."))
                return redirect("assessment:exclusions")
    if form is not None and not request.htmx:
        for message in form.non_field_errors() + form.errors.get("note", []):
            messages.error(request, message)
        return redirect("assessment:exclusions")
    fresh = queries.access_exclusion_for_user(user, case_id)
    item = _item(user, fresh, form if form is not None and fresh.pk == exclusion.pk else None)
    return render(request, "assessment/exclusions.html#item", {"item": item, "reviews": True,
                                                                "just_reviewed": form is None})


@login_required
@require_POST
def exclusion_withdraw(request, case_id):
    exclusion = queries.access_exclusion_for_user(request.user, case_id)
    try:
        actions.do_withdraw_exclusion(actor=request.user, exclusion=exclusion,
                                      ip_address=client_ip(request))
    except Forbidden as exc:
        raise PermissionDenied(str(exc.message)) from exc
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your request is withdrawn."))
    return redirect("assessment:exclusions")


@login_required
def exclusion_request(request, case_id):
    """Ask that a resolved or closed case be left out of the assessment."""
    user = request.user
    case = access_case_for_user(user, case_id)
    if not actions.may_request_exclusion(user, case):
        raise PermissionDenied(_("Only the case's handler or a supervisor of its area may "
                                 "ask for an exclusion."))
    active = queries.active_exclusion(case)
    form = ExclusionRequestForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid() and active is None:
        done = act(form, lambda: actions.do_request_exclusion(
            actor=user, case=case, reason=form.cleaned_data["reason"],
            ip_address=client_ip(request)))
        if done is not None:
            messages.success(request, _("Your request is sent. It takes effect once two "
                                        "reviewers approve it."))
            return redirect("cases:detail", case_id=case.pk)
    context = {"case": case, "form": form, "active": active,
               "requestable": case.state in actions.REQUESTABLE_STATES}
    template = "assessment/request.html"
    return render(request, f"{template}#form" if wants_partial(request) else template, context)
