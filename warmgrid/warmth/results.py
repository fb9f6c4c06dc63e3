"""A wave's results as the report pages, the PDF and the researcher export read them:
the responses as a table, the community cards (lib/warmth/report.py), the whole analysis
(lib/warmth/analysis.py) with the communities' governance indicators as level-2
predictors, and "what moves temperature".

Figures are computed over the whole wave, so ranks compare every community in it; the
pages then show only the communities in the reader's areas. Responses are only ever
added, so a result is cached by the wave and its response count. The statistics
(statsmodels, semopy …) are imported when a result is first computed, not when the site
starts.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from warmgrid.accounts.scopes import path_filter
from warmgrid.lib.warmth import instrument as xlsform
from warmgrid.people.models import Household
from warmgrid.places.models import Area
from warmgrid.warmth import queries
from warmgrid.warmth.instruments import instrument_of
from warmgrid.warmth.models import Wave

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


# Community indicators the between-community model uses when every community has them.
LEVEL2 = ("response_on_time_rate", "satisfaction_rate", "residents_per_grid_worker",
          "organisations", "meetings")
CACHE_SECONDS = 24 * 3600
BOOTSTRAP_DRAWS = 1000


def response_frame(wave: Wave) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(queries.response_table(wave))


def covariate_names(form: xlsform.Instrument) -> list[str]:
    """The instrument's unscored single-choice questions (age band, tenure …)."""
    return [q.name for q in form.questions if q.type == "select one" and not q.dimension]


def previous_wave(wave: Wave) -> Wave | None:
    """The last earlier wave of the same instrument sharing a community with this one."""
    return (Wave.objects.filter(version__instrument_id=wave.version.instrument_id,
                                opens_on__lt=wave.opens_on,
                                communities__community__in=wave.communities.values(
                                    "community_id"))
            .order_by("-opens_on").distinct().first())


def _level2(wave: Wave, codes: set[str]) -> tuple[dict, list[str]]:
    end = dt.datetime.combine(wave.closes_on + dt.timedelta(days=1), dt.time(),
                              tzinfo=timezone.get_current_timezone())
    rows = {r["community"]: r for r in queries.governance_indicators(
        None, start=end - dt.timedelta(days=365), end=end) if r["community"] in codes}
    used, left_out = {}, []
    for name in LEVEL2:
        values = {code: rows[code][name] for code in codes if code in rows}
        if len(values) == len(codes) and all(v is not None for v in values.values()):
            used[name] = {code: float(v) for code, v in values.items()}
        else:
            left_out.append(name)
    return used, left_out


def _weighted(frame: pd.DataFrame, cards: dict, warmth: np.ndarray, keep: np.ndarray) -> dict:
    """Post-stratification to the registry: respondents weighted by their grid's
    households, per community, with Kish's effective n."""
    import numpy as np

    from warmgrid.lib.warmth import weights as survey_weights

    households = dict(Household.objects.filter(grid__code__in=set(frame["grid"]))
                      .values("grid__code").annotate(n=Count("pk"))
                      .values_list("grid__code", "n"))
    out = {}
    for code in cards["communities"]:
        rows = (frame["community"].to_numpy() == code) & keep & ~np.isnan(warmth)
        grids = frame["grid"].to_numpy()[rows]
        result = survey_weights.post_stratify(
            grids, {g: households.get(g, 0) for g in set(grids)})
        w = result["weights"]
        out[code] = {"mean": float(np.sum(w * warmth[rows]) / np.sum(w)),
                     "kish_effective_n": result["kish_effective_n"], "n": int(rows.sum())}
    return {"by_community": out, "choices": {
        "method": "post-stratification by grid to the registry's households",
        "kish": "Kish effective n = (sum of weights)^2 / sum of squared weights"}}


def _sensitivity(cards: dict, seed: int) -> dict | None:
    """How ranks would move if the dimension means were combined otherwise (OECD/JRC):
    min-max, z-score or rank normalisation; equal or PCA weights (jittered ±25 %);
    arithmetic or geometric aggregation; with or without outlier treatment."""
    from warmgrid.lib.warmth import composite

    codes = list(cards["communities"])
    dimensions = cards["dimensions"]["in_temperature"]
    if len(codes) < 3 or not dimensions:
        return None
    values = [[cards["communities"][c]["dimensions"][d]["mean"] for d in dimensions]
              for c in codes]
    if any(v is None for row in values for v in row):
        return None
    index = composite.build_index(
        codes, values, [composite.Indicator(d) for d in dimensions], composite.Choices(),
        composite.MonteCarlo(draws=BOOTSTRAP_DRAWS, seed=seed, options={
            "normalisation": ["minmax", "zscore", "rank"], "weighting": ["equal", "pca"],
            "aggregation": list(composite.AGGREGATIONS),
            "outliers": list(composite.OUTLIERS)}))
    return {"units": {row["unit"]: row for row in index["units"]},
            "monte_carlo": index["monte_carlo"], "choices": index["choices"]}


def _compute(wave: Wave, include_flagged: bool, weighted: bool, with_previous: bool) -> dict:
    import numpy as np
    import pandas as pd

    from warmgrid.lib.warmth import analysis, report
    from warmgrid.lib.warmth.files import covariate_columns

    form = instrument_of(wave.version)
    frame = response_frame(wave)
    if frame.empty:
        return {"empty": True, "n": 0}
    answers, _columns = xlsform.answer_values(form, frame)
    communities = frame["community"].tolist()
    areas = {a.code: a for a in Area.objects.filter(code__in=set(communities))
             .select_related("parent")}
    parents = {code: area.parent.code for code, area in areas.items() if area.parent_id}
    progress = queries.wave_progress(wave, None)
    rates = {c["community"].code: c["response_rate"] for c in progress["communities"]}
    previous = None
    before = previous_wave(wave) if with_previous else None
    if before is not None:
        previous = wave_results(before, include_flagged=include_flagged,
                                with_previous=False).get("cards")
    level2, left_out = _level2(wave, set(communities))
    names = [n for n in covariate_names(form) if n in frame]
    covariates = covariate_columns(frame, names) if names else {}
    durations = pd.to_numeric(frame["duration_seconds"], errors="coerce").to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is checked and reported, not printed
        try:
            full = analysis.analyse(form, answers, group_labels=communities,
                                    covariates=covariates, level2=level2,
                                    durations=durations, include_flagged=include_flagged)
        except ValueError as exc:
            full = {"error": str(exc)}
    # Ranks use the null model's shrunken estimates (BLUPs) when it was fitted.
    null = (full.get("groups", {}).get("by_outcome", {}).get("temperature", {})
            .get("multilevel", {}))
    cards = report.community_cards(form, answers, communities, parents=parents,
                                   response_rates=rates, previous=previous,
                                   draws=BOOTSTRAP_DRAWS, seed=wave.seed,
                                   include_flagged=include_flagged, durations=durations,
                                   shrunken=null.get("community_estimates"))
    result = {
        "empty": False, "n": len(frame), "cards": cards,
        "analysis": analysis.jsonable(full),
        "moves": report.what_moves(full) if "error" not in full else None,
        "level2": {"used": sorted(level2), "left_out": left_out},
        "covariates": sorted(covariates),
        "previous_wave": {"id": before.pk, "name": before.name} if before else None,
        "sensitivity": _sensitivity(cards, wave.seed),
        "include_flagged": include_flagged,
    }
    if weighted:
        scores_keep = np.ones(len(frame), dtype=bool)
        if not include_flagged:
            flagged = analysis.quality.flag_responses(
                answers, list(form.items), durations=durations,
                single_choice=[form.item_types[i.name] == "select one" for i in form.items])
            scores_keep = ~flagged["flagged"]
        scores = analysis.scoring.score(answers, list(form.items))
        warmth = report.respondent_temperature(scores, form)
        result["weighted"] = _weighted(frame, cards, warmth, scores_keep)
    return result


def wave_results(wave: Wave, *, include_flagged: bool = False, weighted: bool = False,
                 with_previous: bool = True) -> dict:
    """Every figure of a wave (cached by its response count)."""
    count = wave.responses.count()
    # created_at too: a rebuilt demo may reuse a wave's id, never its creation time.
    key = (f"warmth:results:{wave.pk}:{wave.created_at.timestamp()}:{count}:"
           f"{int(include_flagged)}:{int(weighted)}:{int(with_previous)}")
    found = cache.get(key)
    if found is None:
        found = _compute(wave, include_flagged, weighted, with_previous)
        cache.set(key, found, CACHE_SECONDS)
    return found


def visible_codes(user, wave: Wave) -> set[str]:
    """Community codes of the wave whose figures the user may see."""
    paths = queries.report_paths(user)
    rows = wave.communities.select_related("community")
    if paths is not None:
        rows = rows.filter(path_filter(paths))
    return {row.community.code for row in rows}
