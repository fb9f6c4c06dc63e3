"""Ledger pages: upload, mapping with a preview, progress, the error report, the review
queue, the history per ledger, and the export. Thin: reads through queries.py, writes
through actions.py; an import or row outside the user's areas is a 404."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from warmgrid.accounts.http import client_ip
from warmgrid.errors import DomainError
from warmgrid.ledgers import actions, forms, queries
from warmgrid.ledgers.builtin import normalise_header
from warmgrid.ledgers.messages import issue_message
from warmgrid.ledgers.models import LedgerExport, LedgerImport, LedgerTemplate, RowOutcome
from warmgrid.ledgers.tasks import run_ledger_export, run_ledger_import
from warmgrid.lib.masking import mask_id_number, mask_phone
from warmgrid.pages import act

PREVIEW_ROWS = 5


def _importer(request):
    if not actions.may_import(request.user):
        raise Http404


def _queue(ledger_import: LedgerImport) -> None:
    """Hand the import to a worker; without a broker (tests, the embedded default) the
    task runs at once."""
    run_ledger_import.delay(ledger_import.pk)


@login_required
def index(request):
    _importer(request)
    imports = list(queries.imports_for(request.user)[:50])
    templates = list(queries.templates())
    return render(request, "ledgers/index.html", {
        "imports": imports, "templates": templates,
        "form": forms.UploadForm(templates=templates),
        "review_count": queries.review_queue(request.user).count()})


@login_required
@require_POST
def upload(request):
    _importer(request)
    templates = list(queries.templates())
    form = forms.UploadForm(request.POST, request.FILES, templates=templates)
    if not form.is_valid():
        for error in [e for errors in form.errors.values() for e in errors]:
            messages.error(request, error)
        return redirect("ledgers:index")
    upload = form.cleaned_data["file"]
    content = upload.read()
    template = next((t for t in templates if t.code == form.cleaned_data["template"]), None)
    if template is None:
        headers = _headers(upload.name, content)
        if headers is None:
            messages.error(request, _("This file cannot be read as a ledger."))
            return redirect("ledgers:index")
        template = (actions.template_for_headers(headers)
                    or actions.template_covering(headers))
    ledger_import = act(form, lambda: actions.do_start_import(
        actor=request.user, template=template, name=upload.name, content=content,
        ip_address=client_ip(request)))
    if ledger_import is None:
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect("ledgers:index")
    if template is None:  # headers not seen before: map them first
        return redirect("ledgers:mapping", ledger_import.pk)
    _queue(ledger_import)
    return redirect("ledgers:import", ledger_import.pk)


def _headers(name: str, content: bytes):
    try:
        ledger = actions.read_bytes(name, content)
    except ValueError:
        return None
    return [h for sheet in ledger.sheets for h in sheet.headers]


@login_required
def mapping(request, import_id):
    """Map an unrecognised ledger's columns onto registry fields, with its first rows
    shown, and save that as a template; the import then goes on with it."""
    ledger_import = queries.access_import_for_user(request.user, import_id)
    if ledger_import.status != LedgerImport.Status.MAPPING:
        return redirect("ledgers:import", ledger_import.pk)
    ledger = actions.read_import(ledger_import)
    sheet = ledger.sheets[0]
    headers = list(dict.fromkeys(h for s in ledger.sheets for h in s.headers))
    form = forms.MappingForm(request.POST or None, headers=headers,
                             guesses=actions.guess_fields(headers))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        template = act(form, lambda: actions.do_save_template(
            actor=request.user, code=data["code"], name=data["name"],
            columns=form.columns(), tag=data["tag"], legal_basis=data["legal_basis"]))
        if template is not None:
            ledger_import = act(form, lambda: actions.do_map_import(
                actor=request.user, ledger_import=ledger_import, template=template))
            if ledger_import is not None:
                _queue(ledger_import)
                return redirect("ledgers:import", ledger_import.pk)
    preview = [[_masked_cell(row.values.get(h, "")) for h in sheet.headers]
               for row in sheet.rows[:PREVIEW_ROWS]]
    return render(request, "ledgers/mapping.html", {
        "form": form, "job": ledger_import, "sheet": sheet, "preview": preview,
        "column_fields": [form[f"column_{n}"] for n in range(len(headers))]})


_DIGIT_RUN = re.compile(r"\d{6,}[\dXx]?")


def _masked_cell(text: str) -> str:
    """A preview cell with every run of six or more digits masked but its last four: ID
    numbers, 残疾证号, phones and landlines alike, whatever the column is called."""
    return _DIGIT_RUN.sub(lambda m: "*" * (len(m.group()) - 4) + m.group()[-4:], str(text))


def _masked_field(name: str, value) -> str:
    """A mapped field as a reviewer may see it: identifiers masked, a birth date as its
    year (it is part of the ID number)."""
    text = str(value or "")
    if name == "id_number":
        return mask_id_number(text) if text else ""
    if name == "phone":
        return mask_phone(text) if text else ""
    if name == "birth_date":
        return text[:4]
    return _masked_cell(text)


def _progress(ledger_import: LedgerImport) -> dict:
    done, total = ledger_import.rows_done, ledger_import.rows_total
    left = None
    if ledger_import.started_at and done and total and done < total:
        elapsed = (timezone.now() - ledger_import.started_at).total_seconds()
        left = round(elapsed / done * (total - done))
    return {"status": ledger_import.status,
            "status_label": ledger_import.get_status_display(),
            "rows_total": total, "rows_done": done, "seconds_left": left,
            **{k: getattr(ledger_import, k) for k in (
                "created", "linked", "unchanged", "review", "rejected")}}


@login_required
def import_detail(request, import_id):
    ledger_import = queries.access_import_for_user(request.user, import_id)
    if request.GET.get("format") == "json":
        return JsonResponse(_progress(ledger_import))
    issues = list(ledger_import.issues.all()[:200])
    for issue in issues:
        issue.message = issue_message(issue.code, issue.params)
    undoable = (ledger_import.outcomes.filter(outcome__in=[RowOutcome.Outcome.MERGED,
                                                           RowOutcome.Outcome.LINKED])
                .select_related("resident").order_by("sheet", "row_number")[:100])
    return render(request, "ledgers/import.html", {
        "job": ledger_import, "progress": _progress(ledger_import), "issues": issues,
        "undoable": undoable, "can_undo": True})


@login_required
@require_POST
def import_control(request, import_id, command):
    ledger_import = queries.access_import_for_user(request.user, import_id)
    if command == "cancel":
        actions.do_cancel_import(actor=request.user, ledger_import=ledger_import)
    elif command == "resume":
        ledger_import = actions.do_resume_import(actor=request.user,
                                                 ledger_import=ledger_import)
        if ledger_import.status == LedgerImport.Status.QUEUED:
            _queue(ledger_import)
    else:
        raise Http404
    return redirect("ledgers:import", ledger_import.pk)


@login_required
def error_report(request, import_id):
    """The rejected rows as they were, with what is wrong beside each: fix and import
    again."""
    ledger_import = queries.access_import_for_user(request.user, import_id)
    try:  # rejected rows are shown as typed: whole ID numbers and phones
        content = actions.do_export_rejected_rows(actor=request.user,
                                                  ledger_import=ledger_import,
                                                  ip_address=client_ip(request))
    except (DomainError, ValueError) as exc:  # not theirs, or no rows left to read
        raise Http404 from exc
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument."
                              "spreadsheetml.sheet")
    response["Content-Disposition"] = (f'attachment; filename="errors-{ledger_import.pk}'
                                       '.xlsx"')
    return response


@login_required
def review(request):
    _importer(request)
    queue = list(queries.review_queue(request.user)[:20])
    cards, ledgers = [], {}
    for outcome in queue:
        try:
            if outcome.ledger_import_id not in ledgers:  # each stored file read once
                ledgers[outcome.ledger_import_id] = actions.read_import(outcome.ledger_import)
            row = actions.ledger_row(outcome, ledgers[outcome.ledger_import_id])
        except (DomainError, ValueError):
            continue
        # Only the columns the template maps, each masked as its field: a reviewer sees
        # no more of the ledger than of the registry.
        fields = {normalise_header(c["header"]): c["field"]
                  for c in outcome.ledger_import.template.columns if c.get("field")}
        cards.append({"outcome": outcome, "row": [
            (header, _masked_field(fields[normalise_header(header)], value))
            for header, value in row.values.items() if normalise_header(header) in fields],
            "agreed": _agreement(outcome.breakdown)})
    return render(request, "ledgers/review.html", {"cards": cards,
                                                   "total": queries.review_queue(
                                                       request.user).count()})


def _agreement(breakdown: dict) -> list[tuple[str, str]]:
    """Which fields agreed, as the matcher scored them (no values: those are beside)."""
    labels = {"exact": _("agrees"), "similar": _("similar"),
              "partial": _("one character differs"), "different": _("differs"),
              "missing": _("missing on one side")}
    fields = (breakdown or {}).get("fields") or {}
    return [(str(forms.FIELD_LABELS.get(name, name)),
             str(labels.get(entry.get("level"), entry.get("level", ""))))
            for name, entry in fields.items() if isinstance(entry, dict)]


@login_required
@require_POST
def decide(request, outcome_id, decision):
    outcome = queries.access_outcome_for_user(request.user, outcome_id)
    run = {"merge": actions.do_merge, "apart": actions.do_keep_apart,
           "undo": actions.do_undo}.get(decision)
    if run is None:
        raise Http404
    try:
        result = run(actor=request.user, outcome=outcome, ip_address=client_ip(request))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        if result.outcome == RowOutcome.Outcome.REJECTED:
            messages.error(request, _("The registry refused this row as a new resident; "
                                      "see the import's rejected rows."))
        else:
            messages.success(request, {
                "merge": _("Merged."),
                "apart": _("Kept apart: a new resident was registered."),
                "undo": _("Undone: the row is back in the review queue.")}[decision])
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("ledgers:review")
    return redirect(target)


@login_required
def history(request, code):
    _importer(request)
    template = LedgerTemplate.objects.filter(code=code).first()
    if template is None:
        raise Http404
    imports = queries.imports_for(request.user).filter(template=template)
    return render(request, "ledgers/history.html", {"template": template,
                                                    "imports": imports[:200]})


@login_required
def export_page(request):
    from warmgrid.accounts.scopes import registry_read_paths

    if registry_read_paths(request.user) == []:
        raise Http404
    templates = list(queries.templates())
    if request.method == "POST":
        template = next((t for t in templates if t.code == request.POST.get("template")),
                        None)
        if template is None:
            messages.error(request, _("Choose a ledger."))
        else:
            try:
                job = actions.do_request_export(actor=request.user, template=template,
                                                file_format=request.POST.get("format", ""),
                                                reason=request.POST.get("reason", ""))
            except DomainError as exc:
                messages.error(request, str(exc.message))
            else:
                run_ledger_export.delay(job.pk)
                return redirect("ledgers:export_detail", job.pk)
    return render(request, "ledgers/export.html", {
        "templates": templates, "exports": LedgerExport.objects.filter(
            created_by=request.user).select_related("template")[:20]})


def _own_export(request, export_id) -> LedgerExport:
    job = LedgerExport.objects.filter(pk=export_id, created_by=request.user).first()
    if job is None:
        raise Http404
    return job


@login_required
def export_detail(request, export_id):
    job = _own_export(request, export_id)
    if request.GET.get("format") == "json":
        return JsonResponse({"status": job.status, "status_label": job.get_status_display(),
                             "rows_total": job.rows_total, "rows_done": job.rows_done})
    return render(request, "ledgers/export_detail.html", {"job": job})


@login_required
def export_download(request, export_id):
    job = _own_export(request, export_id)
    if job.status != LedgerExport.Status.DONE:
        raise Http404
    content = actions.do_collect_export(actor=request.user, job=job)
    if content is None:  # handed out once, then deleted
        raise Http404
    kind = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if job.file_format == "xlsx" else "text/csv; charset=utf-8")
    response = HttpResponse(content, content_type=kind)
    stamp = timezone.localtime(job.finished_at).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (f'attachment; filename="{job.template.code}-{stamp}.'
                                       f'{job.file_format}"')
    return response
