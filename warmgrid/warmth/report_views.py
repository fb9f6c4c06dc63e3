"""Result pages of a wave: the ranking with its bands and map, "what moves temperature",
a community's report card and its printable PDF, and the researcher export.

Report readers (community staff, street and district admins, researchers) see the
communities in their areas; a figure over fewer than 5 respondents is never shown.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.places.models import Area
from warmgrid.warmth import queries, results
from warmgrid.warmth.instruments import instrument_of
from warmgrid.warmth.views import reader_label


def _reader_wave(request, wave_id):
    if queries.report_paths(request.user) == []:
        raise Http404
    return queries.access_wave_for_user(request.user, wave_id)


def _percent(share) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def _p(p) -> str:
    if p is None:
        return "—"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


BANDS = {"cold": gettext_lazy("cold"), "cool": gettext_lazy("cool"),
         "mild": gettext_lazy("mild"), "warm": gettext_lazy("warm")}
INDICATORS = {
    "response_on_time_rate": gettext_lazy("cases answered on time"),
    "satisfaction_rate": gettext_lazy("residents satisfied with closed cases"),
    "residents_per_grid_worker": gettext_lazy("residents per grid worker"),
    "organisations": gettext_lazy("residents' organisations"),
    "meetings": gettext_lazy("consultation meetings"),
}


def phrase(sentence: dict) -> str:
    """One structured fact of report.what_moves in the reader's language."""
    key = sentence.get("key")
    share, p = _percent(sentence.get("share")), _p(sentence.get("p"))
    if key == "between_share":
        return _("%(share)s of the differences in temperature between residents lie "
                 "between communities (ICC(1), %(p)s).") % {"share": share, "p": p}
    if key == "no_between_share":
        return _("Communities hardly differ in temperature: the differences are between "
                 "residents within each community.")
    if key == "respondents_needed":
        return _("At this level of difference, about %(n)s respondents a community give a "
                 "reliable community mean.") % {"n": sentence.get("n")}
    if key == "composition_explains":
        return _("Who lives there (age, tenure, ownership, hukou, education) accounts for "
                 "%(share)s of the differences between communities (%(p)s).") % {
                     "share": share, "p": p}
    if key == "governance_explains":
        return _("The communities' governance indicators account for %(share)s of the "
                 "remaining differences between communities (likelihood-ratio test, "
                 "%(p)s).") % {"share": share, "p": p}
    if key == "governance_explains_nothing":
        return _("The governance indicators do not account for the differences between "
                 "communities (%(p)s).") % {"p": p}
    if key == "no_governance_data":
        return _("No governance indicator is known for every community, so their effect "
                 "cannot be estimated yet.")
    if key == "not_converged":
        return _("The %(model)s model did not converge; its figures are not phrased.") % {
            "model": sentence.get("model")}
    if key == "unavailable":
        return _("This part could not be computed: too few communities or respondents.")
    if key in ("indicator_raises", "indicator_lowers", "indicator_unclear"):
        indicator = sentence.get("indicator") or ""
        name = INDICATORS.get(indicator, indicator)
        # A rate's coefficient is per 1.0 (0 → 100 %): read it per 10 percentage points.
        scale = 0.1 if indicator.endswith("_rate") else 1.0
        values = {"name": name, "p": p,
                  "estimate": f"{(sentence.get('estimate') or 0) * scale:+.2f}",
                  "low": f"{(sentence.get('ci_low') or 0) * scale:+.2f}",
                  "high": f"{(sentence.get('ci_high') or 0) * scale:+.2f}",
                  "unit": _("10 percentage points") if scale != 1.0 else _("unit")}
        if key == "indicator_raises":
            return _("%(name)s: communities with more are warmer, %(estimate)s points per "
                     "%(unit)s (95%% interval %(low)s to %(high)s, %(p)s).") % values
        if key == "indicator_lowers":
            return _("%(name)s: communities with more are colder, %(estimate)s points per "
                     "%(unit)s (95%% interval %(low)s to %(high)s, %(p)s).") % values
        return _("%(name)s: no clear link with temperature (%(p)s).") % values
    return ""


CHOICE_NAMES = {"normalisation": gettext_lazy("normalisation"),
                "weighting": gettext_lazy("weights"),
                "aggregation": gettext_lazy("aggregation"),
                "outliers": gettext_lazy("outlier treatment")}


def _sensitivity_rows(sensitivity: dict | None) -> dict:
    if not sensitivity:
        return {}
    monte_carlo = sensitivity["monte_carlo"]
    return {"sensitivity_most": CHOICE_NAMES.get(monte_carlo["most_influential"],
                                                 monte_carlo["most_influential"]),
            "sensitivity_rows": [(CHOICE_NAMES.get(name, name), share) for name, share in
                                 sorted(monte_carlo["sensitivity"].items(),
                                        key=lambda item: -item[1])]}


def _community_names(codes) -> dict[str, Area]:
    return {a.code: a for a in Area.objects.filter(code__in=codes)}


def _settings(request) -> dict:
    return {"include_flagged": request.GET.get("flagged") == "1",
            "weighted": request.GET.get("weights") == "1"}


@login_required
def report(request, wave_id):
    wave = _reader_wave(request, wave_id)
    chosen = _settings(request)
    found = results.wave_results(wave, **chosen)
    visible = results.visible_codes(request.user, wave)
    context = {"wave": wave, "found": found, **chosen}
    if found.get("empty"):
        return render(request, "warmth/report.html", context)
    cards = found["cards"]
    areas = _community_names(cards["communities"])
    rows = [{"code": code, "area": areas.get(code), "card": cards["communities"][code],
             "weighted": (found.get("weighted") or {}).get("by_community", {}).get(code)}
            for code in cards["ranking"] if code in visible]
    # "%%" with "% {}": the templates' msgid (they escape "%"), so one translation serves.
    chart = {"names": [r["area"].name if r["area"] else r["code"] for r in rows],
             "ranks": [r["card"]["rank"] for r in rows],
             "bands": [r["card"]["rank_band"] for r in rows],
             "degrees": [r["card"]["temperature"]["degrees"] for r in rows],
             "of": len(cards["communities"]),
             "labels": {"rank": _("Rank"), "band": _("5–95%% rank band") % {},
                        "degrees": _("Temperature (°)")}}
    features = []
    for row in rows:
        outline = row["area"].outline if row["area"] else None
        if outline:
            geometry = outline.get("geometry", outline) if outline.get("type") == "Feature" \
                else outline
            features.append({"type": "Feature", "geometry": geometry,
                             "properties": {"code": row["code"], "name": row["area"].name}})
    mapped = {"geo": {"type": "FeatureCollection", "features": features},
              "values": [{"name": r["code"], "value": r["card"]["temperature"]["degrees"]}
                         for r in rows],
              "label": _("Temperature (°)")}
    moves = found.get("moves") or {}
    sentences = [phrase(s) for s in moves.get("sentences", [])]
    analysis = found.get("analysis") or {}
    context.update({
        "rows": rows, "chart": chart, "mapped": mapped if features else None,
        "sentences": [s for s in sentences if s], "moves": moves,
        "reliability": sorted((analysis.get("reliability") or {}).items()),
        "cfa": analysis.get("cfa"), "quality": analysis.get("quality"),
        "hidden": len(cards["communities"]) - len(rows),
        **_sensitivity_rows(found.get("sensitivity")),
        "indicator_names": INDICATORS,
        "choices": sorted({**cards["choices"], **(analysis.get("choices") or {})}.items()),
    })
    return render(request, "warmth/report.html", context)


def _card_context(request, wave, code) -> dict:
    if code not in results.visible_codes(request.user, wave):
        raise Http404
    chosen = _settings(request)
    found = results.wave_results(wave, include_flagged=chosen["include_flagged"])
    card = (found.get("cards") or {}).get("communities", {}).get(code)
    area = Area.objects.filter(code=code).select_related("parent").first()
    if area is None:
        raise Http404
    form = instrument_of(wave.version)
    language = form.default_language

    def item_label(row):
        return reader_label(row.get("labels") or {}, language) or row["item"]

    def dimension_label(name):
        labels = form.group_labels.get(name, {})
        return reader_label(labels, language) if labels else name

    profile = []
    if card:
        for name, entry in card["dimensions"].items():
            profile.append({"name": name, "label": dimension_label(name), **entry,
                            "change": (card.get("change") or {}).get("dimensions", {})
                            .get(name)})
    return {"wave": wave, "area": area, "card": card, "profile": profile,
            "strongest": [{**r, "label": item_label(r)} for r in (card or {}).get(
                "strongest", [])],
            "weakest": [{**r, "label": item_label(r)} for r in (card or {}).get(
                "weakest", [])],
            "reliability": [(dimension_label(d), v) for d, v in
                            (card or {}).get("reliability", {}).items()],
            "found": found, **chosen}


@login_required
def community_card(request, wave_id, code):
    wave = _reader_wave(request, wave_id)
    context = _card_context(request, wave, code)
    return render(request, "warmth/card.html", context)


@login_required
def community_pdf(request, wave_id, code):
    wave = _reader_wave(request, wave_id)
    context = _card_context(request, wave, code)
    if context["card"] is None:
        raise Http404
    labels = {
        "community": _("Community"), "street": _("Street"), "temperature": _("Temperature"),
        "degrees": _("°"), "interval": _("95%% interval") % {}, "respondents": _("Respondents"),
        "response_rate": _("Response rate"), "rank": _("Rank"),
        "rank_band": _("5–95%% rank band") % {}, "street_average": _("Street average"),
        "change": _("Change since the last wave"), "profile": _("Dimension profile"),
        "dimension": _("Dimension"), "mean": _("Mean (0–100)"),
        "reliability": _("Reliability (Cronbach's α)"),
        "in_temperature": _("in the temperature"),
        "outside_temperature": _("validity check, not in the temperature"),
        "strongest": _("Strongest items"), "weakest": _("Weakest items"), "item": _("Item"),
        "not_available": _("not available"), "unavailable": _("not shown"),
        "dimensions": {row["name"]: row["label"] for row in context["profile"]},
        "bands": {key: str(text) for key, text in BANDS.items()},
        "items": {row["item"]: row["label"]
                  for row in context["strongest"] + context["weakest"]},
        "note": _("Generated %(when)s. Figures over fewer than 5 respondents are not "
                  "shown.") % {"when": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
    }
    title = f"{context['area'].name} · {wave.name}"
    from warmgrid.lib.warmth.pdf import render_card_pdf  # reportlab: loaded when printing

    pdf = render_card_pdf(context["card"], labels, title=title)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (f'inline; filename="warmth-{wave.pk}-'
                                       f'{context["area"].code}.pdf"')
    return response


@login_required
def export(request, wave_id):
    """The de-identified responses as CSV, SPSS and Stata files with a codebook (zip).
    Grid codes are blanked in a community where any grid has fewer than 5 responses."""
    paths = queries.export_paths(request.user)
    if paths == []:
        raise Http404
    wave = queries.access_wave_for_user(request.user, wave_id)
    if paths is not None and not any(wave.area_path.startswith(p) for p in paths):
        raise Http404  # a researcher of one street does not export a district's wave
    frame = results.response_frame(wave)
    if frame.empty:
        raise Http404
    # Grids under 5 responses are blanked — and then every grid of their community, or
    # the blank one would follow by elimination.
    counts = frame["grid"].value_counts()
    small = frame.loc[frame["grid"].map(counts) < 5, "community"].unique()
    frame.loc[frame["community"].isin(small), "grid"] = ""
    frame.insert(0, "wave", wave.pk)
    frame["quality_flags"] = ""
    from warmgrid.lib.warmth import export as researcher_export  # pyreadstat, pandas

    form = instrument_of(wave.version)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        written = researcher_export.write_bundle(form, frame, Path(folder))
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in written:
                bundle.write(path, arcname=path.name)
    do_record_audit(action=AuditEntry.Action.EXPORT, actor=request.user,
                    object_type="wave", object_id=wave.pk, object_repr=wave.name[:60],
                    area_path=wave.area_path, changes={"responses": len(frame)})
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="warmth-wave-{wave.pk}.zip"'
    return response

