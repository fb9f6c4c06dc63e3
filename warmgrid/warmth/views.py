"""Warmth pages: instruments, waves (set-up, progress, invitation cards, interviewing),
the public questionnaire, governance records, and the ODK/OpenRosa endpoints.

Every page reads through warmth/queries.py within the user's areas and writes through
warmth/actions.py; a wave outside the user's areas is a 404, as if it did not exist.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time

import segno
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from warmgrid.accounts.actions import user_for_api_token
from warmgrid.accounts.http import client_ip
from warmgrid.accounts.ratelimits import SURVEY_CODE, check_rate
from warmgrid.accounts.scopes import needs_second_factor, scoped, within
from warmgrid.errors import DomainError, RateLimited
from warmgrid.pages import act
from warmgrid.places.models import Area
from warmgrid.warmth import actions, forms, openrosa, queries
from warmgrid.warmth.instruments import instrument_of
from warmgrid.warmth.models import InstrumentVersion, Invitation, Response, Wave

SIGNED_START = "warmgrid.warmth.start"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
START_MAX_AGE = 24 * 3600


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def reader_label(labels: dict, default_language: str) -> str:
    """A label in the reader's language: the form's English column for English readers,
    its default language otherwise."""
    if _english():
        for key, text in labels.items():
            if "(en)" in key or key.lower().startswith("english"):
                return text
    return labels.get(default_language) or next(iter(labels.values()), "")


def _sections(form, answers: dict, problems: dict) -> list[dict]:
    """The questionnaire as the template draws it: sections by top-level group."""
    sections: list[dict] = []
    for question in form.questions:
        top = question.group.split("/", 1)[0]
        if not sections or sections[-1]["group"] != top:
            sections.append({"group": top, "title": reader_label(form.group_labels.get(top, {}),
                                                           form.default_language),
                             "questions": []})
        value = answers.get(question.name, "")
        sections[-1]["questions"].append({
            "name": question.name, "type": question.type,
            "label": reader_label(question.labels, form.default_language),
            "required": question.required and not question.relevant,
            "relevant": question.relevant,
            "choices": [(str(c["name"]), reader_label(c.get("label") or {"": c["name"]},
                                                form.default_language))
                        for c in question.choices],
            "value": value, "values": value.split() if isinstance(value, str) else value,
            "error": problems.get(question.name, ""),
        })
    return sections


# --- Instruments and waves (staff) ---

@login_required
def index(request):
    user = request.user
    waves = list(queries.waves_for(user).order_by("-opens_on", "-pk"))
    manages = actions.wave_manager_paths(user) != []
    context = {"waves": waves, "manages_waves": manages,
               "manages_instruments": actions.may_manage_instruments(user),
               "reports": queries.report_paths(user) != [],
               "keeps_records": actions.record_editor_paths(user) != []}
    if context["manages_instruments"]:
        context["versions"] = (InstrumentVersion.objects.select_related("instrument")
                               .order_by("instrument__form_id", "-created_at"))
        context["upload_form"] = forms.InstrumentUploadForm()
    if queries.wave_read_paths(user) == [] and not context["manages_instruments"]:
        raise Http404
    return render(request, "warmth/index.html", context)


@login_required
@require_POST
def instrument_upload(request):
    if not actions.may_manage_instruments(request.user):
        raise Http404
    form = forms.InstrumentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        result = act(form, lambda: actions.do_import_instrument(
            actor=request.user, name=upload.name, content=upload.read()))
        if result is not None:
            version, created = result
            messages.success(request, _("Stored %(version)s.") % {"version": version}
                             if created else _("This version was already stored."))
            return redirect("warmth:index")
    for error in [e for errors in form.errors.values() for e in errors]:
        messages.error(request, error)
    return redirect("warmth:index")


@login_required
@require_POST
def instrument_publish(request, version_id):
    if not actions.may_manage_instruments(request.user):
        raise Http404
    version = get_object_or_404(InstrumentVersion, pk=version_id)
    actions.do_publish_version(actor=request.user, version=version)
    messages.success(request, _("Published %(version)s: it is now frozen.")
                     % {"version": version})
    return redirect("warmth:index")


@login_required
def instrument_download(request, version_id, kind):
    if not actions.may_manage_instruments(request.user):
        raise Http404
    version = get_object_or_404(InstrumentVersion, pk=version_id)
    stem = f"{version.instrument.form_id}-{version.version}"
    if kind == "xml":
        response = HttpResponse(version.xform, content_type="text/xml; charset=utf-8")
        filename = f"{stem}.xml"
    elif kind == "xlsx":
        workbook, suffix = actions.xlsform_workbook(version)
        response = HttpResponse(workbook, content_type=XLSX if suffix == ".xlsx"
                                else "application/vnd.ms-excel")
        filename = f"{stem}{suffix}"
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def wave_new(request):
    user = request.user
    paths = actions.wave_manager_paths(user)
    if paths == []:
        raise Http404
    versions = list(InstrumentVersion.objects.filter(published_at__isnull=False)
                    .select_related("instrument"))
    communities = list(scoped(Area.objects.filter(level=Area.Level.COMMUNITY), paths, "path")
                       .order_by("code"))
    form = forms.WaveForm(request.POST or None, versions=versions, communities=communities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = [c for c in communities if str(c.pk) in set(data["communities"])]
        version = next(v for v in versions if str(v.pk) == data["version"])
        wave = act(form, lambda: actions.do_create_wave(
            actor=user, name=data["name"], version=version, communities=chosen,
            seed=data["seed"], completes_wanted=data["completes_wanted"],
            response_rate=data["response_rate"], opens_on=data["opens_on"],
            closes_on=data["closes_on"]))
        if wave is not None:
            messages.success(request, _("The wave is open: %(count)s invitations drawn.")
                             % {"count": wave.invitations.count()})
            return redirect("warmth:wave", wave.pk)
    return render(request, "warmth/wave_new.html", {"form": form, "versions": versions})


def _progress_json(progress: dict) -> dict:
    return {"invited": progress["invited"], "completes": progress["completes"],
            "quotas_met": progress["quotas_met"],
            "communities": [{
                "code": c["community"].code, "name": c["community"].name,
                "quota": c["quota"], "invited": c["invited"], "used": c["used"],
                "completes": c["completes"], "response_rate": c["response_rate"],
                "quota_met": c["quota_met"],
                "grids": [{"code": g["grid"].code, "name": g["grid"].name,
                           "invited": g["invited"], "used": g["used"],
                           "completes": g["completes"]} for g in c["grids"]],
            } for c in progress["communities"]]}


@login_required
def wave_detail(request, wave_id):
    user = request.user
    wave = queries.access_wave_for_user(user, wave_id)
    progress = queries.wave_progress(wave, queries.wave_read_paths(user))
    if request.GET.get("format") == "json":
        return JsonResponse(_progress_json(progress))
    return render(request, "warmth/wave.html", {
        "wave": wave, "progress": progress,
        "manages": within(wave.area_path, actions.wave_manager_paths(user)),
        "interviews": actions.interviewer_paths(user) != [],
        "reports": queries.report_paths(user) != [],
        "exports": queries.export_paths(user) != [],
        # ODK's "server URL" is the folder holding formList and submission.
        "openrosa_url": request.build_absolute_uri(
            reverse("openrosa:form_list")).removesuffix("/formList"),
    })


@login_required
@require_POST
def wave_close(request, wave_id):
    wave = queries.access_wave_for_user(request.user, wave_id)
    try:
        actions.do_close_wave(actor=request.user, wave=wave)
    except DomainError as exc:
        raise Http404 from exc
    messages.success(request, _("The wave is closed; no more answers are taken."))
    return redirect("warmth:wave", wave.pk)


def survey_link(request, code: str) -> str:
    return request.build_absolute_uri(reverse("survey:form", args=[code]))


def grouped_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


@login_required
def wave_cards(request, wave_id, grid_id):
    """Printable invitation cards of one grid: a QR code with the link, the code to type,
    and the door it is for. Whether a card was used is not shown: a door-by-door record of
    who has answered, read beside the responses' days, could name a respondent."""
    user = request.user
    wave = queries.access_wave_for_user(user, wave_id)
    paths = actions.interviewer_paths(user)
    invitations = list(queries.invitations_for_cards(wave, paths, grid_id))
    if not invitations:
        raise Http404
    cards = []
    for invitation in invitations:
        link = survey_link(request, invitation.token)
        cards.append({"invitation": invitation, "link": link,
                      "code": grouped_code(invitation.token),
                      "qr": segno.make(link, error="m").svg_inline(scale=3)})
    return render(request, "warmth/cards.html", {"wave": wave, "grid": invitations[0].grid,
                                                 "cards": cards, "english": _english()})


@login_required
def interview(request, wave_id):
    """An interviewer types the code of the household's card and starts the form."""
    user = request.user
    wave = queries.access_wave_for_user(user, wave_id)
    if actions.interviewer_paths(user) == []:
        raise Http404
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = actions.normalise_code(form.cleaned_data["code"])
        invitation = (scoped(Invitation.objects.filter(wave=wave),
                             actions.interviewer_paths(user)).filter(token=code).first())
        if invitation is None:
            form.add_error("code", _("This invitation code is not known. Check it against "
                                     "the card."))
        elif invitation.used:
            form.add_error("code", _("This invitation has already been used: each "
                                     "household answers once. Thank you."))
        else:
            return redirect(reverse("survey:form", args=[code]) + "?mode=interviewer")
    return render(request, "warmth/interview.html", {"wave": wave, "form": form})


# --- The questionnaire (public: the invitation code is the key) ---

def _interviewing(request, invitation: Invitation) -> bool:
    user = request.user
    if request.GET.get("mode") != "interviewer" or not user.is_authenticated:
        return False
    return within(invitation.area_path, actions.interviewer_paths(user))


@require_http_methods(["GET", "POST"])
def survey_start(request):
    """Type the code from the card."""
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect("survey:form", actions.normalise_code(form.cleaned_data["code"]))
    return render(request, "warmth/survey_start.html", {"form": form})


@require_http_methods(["GET", "POST"])
def survey(request, code):
    lang = request.GET.get("lang")
    if lang in ("en", "zh-hans"):
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
    try:
        check_rate(SURVEY_CODE, f"ip:{client_ip(request)}")
    except RateLimited as exc:
        return render(request, "warmth/survey_closed.html", {"message": exc.message},
                      status=429)
    code = actions.normalise_code(code)
    invitation = Invitation.objects.select_related("wave__version").filter(token=code).first()
    if invitation is None:
        return render(request, "warmth/survey_closed.html", {"message": _(
            "This invitation code is not known. Check it against the card.")}, status=404)
    if invitation.used:
        return render(request, "warmth/survey_closed.html", {"message": _(
            "This invitation has already been used: each household answers once. "
            "Thank you.")}, status=410)
    wave = invitation.wave
    if wave.status != Wave.Status.OPEN or not (
            wave.opens_on <= timezone.localdate() <= wave.closes_on):
        return render(request, "warmth/survey_closed.html", {"message": _(
            "This survey is not collecting answers now.")}, status=410)
    if request.method == "GET" and queries.quota_met(invitation):
        return render(request, "warmth/survey_closed.html", {"message": _(
            "Your community already has all the answers this survey needs. Thank you for "
            "your willingness to take part.")})
    form = instrument_of(wave.version)
    interviewer = _interviewing(request, invitation)
    answers: dict = {}
    problems: dict = {}
    error = ""
    if request.method == "POST":
        answers = {q.name: (request.POST.getlist(q.name)
                            if q.type == "select all that apply"
                            else request.POST.get(q.name, "")) for q in form.questions}
        try:
            started = signing.loads(request.POST.get("started", ""), salt=SIGNED_START,
                                    max_age=START_MAX_AGE)
            duration = int(time.time() - started["t"]) if started.get("c") == code else None
        except signing.BadSignature:
            duration = None
        try:
            actions.do_submit_response(
                code=code, answers=answers,
                mode=Response.Mode.INTERVIEWER if interviewer else Response.Mode.SELF,
                channel=Response.Channel.WEB, language=translation.get_language() or "",
                duration_seconds=duration,
                interviewer=request.user if interviewer else None)
        except DomainError as exc:
            problems = {name: " ".join(msgs) for name, msgs in exc.fields.items()}
            error = str(exc.message)
        else:
            return render(request, "warmth/survey_done.html", {"interviewer": interviewer,
                                                               "wave": wave})
    answers = {k: " ".join(v) if isinstance(v, list) else v for k, v in answers.items()}
    return render(request, "warmth/survey.html", {
        "wave": wave, "title": form.title, "sections": _sections(form, answers, problems),
        "error": error, "interviewer": interviewer, "code": grouped_code(code),
        "started": request.POST.get("started") or signing.dumps(
            {"t": int(time.time()), "c": code}, salt=SIGNED_START),
        "path": request.path,
    })


# --- Governance records ---

@login_required
def records(request):
    user = request.user
    paths = actions.record_editor_paths(user)
    if paths == []:
        raise Http404
    communities = list(scoped(Area.objects.filter(level=Area.Level.COMMUNITY), paths, "path")
                       .order_by("code"))
    chosen = None
    if request.GET.get("community") or request.POST.get("community"):
        chosen = next((c for c in communities if str(c.pk) == (
            request.POST.get("community") or request.GET.get("community"))), None)
        if chosen is None:
            raise Http404
    form = forms.CommunityRecordForm(request.POST or None)
    if request.method == "POST" and chosen is not None and form.is_valid():
        data = form.cleaned_data
        saved = act(form, lambda: actions.do_save_community_record(
            actor=user, community=chosen, year=data["year"],
            organisations=data["organisations"], meetings=data["meetings"],
            funds_yuan=data["funds_yuan"], property_model=data["property_model"]))
        if saved is not None:
            messages.success(request, _("Saved the record of %(community)s for %(year)s.")
                             % {"community": chosen.name, "year": data["year"]})
            return redirect(reverse("warmth:records") + f"?community={chosen.pk}")
    return render(request, "warmth/records.html", {
        "communities": communities, "chosen": chosen, "form": form,
        "rows": queries.community_records(paths, chosen)})


# --- OpenRosa (ODK Collect, KoboCollect, Enketo) ---

def _openrosa(response: HttpResponse) -> HttpResponse:
    response["X-OpenRosa-Version"] = "1.0"
    response["X-OpenRosa-Accept-Content-Length"] = str(openrosa.MAX_BYTES)
    return response


def _challenge() -> HttpResponse:
    response = HttpResponse(openrosa.message(_("Sign in with your WarmGrid account.")),
                            status=401, content_type="text/xml; charset=utf-8")
    response["WWW-Authenticate"] = 'Basic realm="WarmGrid"'
    return _openrosa(response)


def _openrosa_user(request):
    """HTTP Basic (as ODK Collect sends it, over HTTPS) or a bearer token. Accounts whose
    role needs a second factor use a token: a password alone must not open their data.
    Failed passwords count towards the same lock-out as the sign-in page (django-axes)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    kind, _space, value = header.partition(" ")
    if kind.lower() == "bearer":
        return user_for_api_token(value.strip())
    if kind.lower() != "basic":
        return None
    try:
        username, _colon, password = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = authenticate(request, username=username, password=password)
    if user is None or needs_second_factor(user):
        return None
    return user


@csrf_exempt
def openrosa_form_list(request):
    user = _openrosa_user(request)
    if user is None:
        return _challenge()
    paths = actions.interviewer_paths(user)
    waves = queries.waves_for(user).filter(status=Wave.Status.OPEN) if paths != [] else []
    entries = []
    for wave in waves:
        xform = openrosa.wave_xform(wave.version.xform, wave.pk)
        entries.append({
            "form_id": openrosa.form_id(wave.version.instrument.form_id, wave.pk),
            "name": f"{wave.name} · {wave.version.instrument.title}",
            "version": wave.version.version,
            "hash": hashlib.md5(xform.encode(), usedforsecurity=False).hexdigest(),
            "url": request.build_absolute_uri(reverse("openrosa:form", args=[wave.pk]))})
    return _openrosa(HttpResponse(openrosa.form_list(entries),
                                  content_type="text/xml; charset=utf-8"))


@csrf_exempt
def openrosa_form(request, wave_id):
    user = _openrosa_user(request)
    if user is None:
        return _challenge()
    wave = queries.access_wave_for_user(user, wave_id)
    return _openrosa(HttpResponse(openrosa.wave_xform(wave.version.xform, wave.pk),
                                  content_type="text/xml; charset=utf-8"))


@csrf_exempt
@require_http_methods(["HEAD", "POST"])
def openrosa_submission(request):
    """HEAD: the pre-flight ODK sends (204 with the limits). POST: a multipart body whose
    `xml_submission_file` is the instance. 201 stored; 202 the same submission again;
    409 another body under a known instanceID; 400 unreadable; 404 unknown code."""
    user = _openrosa_user(request)
    if user is None:
        return _challenge()
    if request.method == "HEAD":
        return _openrosa(HttpResponse(status=204))

    def reply(text: str, status: int) -> HttpResponse:
        return _openrosa(HttpResponse(openrosa.message(text, nature="submit_success"
                                                       if status < 300 else ""),
                                      status=status, content_type="text/xml; charset=utf-8"))

    upload = request.FILES.get("xml_submission_file")
    if upload is None or upload.size > openrosa.MAX_BYTES:
        return reply(_("The submission has no xml_submission_file."), 400)
    try:
        _response, created = actions.do_receive_submission(actor=user, xml=upload.read())
    except ValueError as exc:
        return reply(_("This submission cannot be read: %(reason)s") % {"reason": exc}, 400)
    except DomainError as exc:
        text = str(exc.message)
        if exc.fields:
            text += " " + "; ".join(f"{name}: {' '.join(msgs)}"
                                    for name, msgs in exc.fields.items())
        return reply(text, exc.status if exc.status != 422 else 400)
    if not created:
        return reply(_("This submission was received before."), 202)
    return reply(_("Thank you: the answers are stored."), 201)

