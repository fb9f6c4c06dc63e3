"""The community temperature report (社区温度): one card per community and a plain summary
of what moves temperature, for the report pages and the printed card (pdf.py).

Pure, no Django: figures and structured facts only, no sentences in any language — the
pages phrase them through gettext. Every output states its choices (`choices`).

- A respondent's temperature is the mean of their scores on the dimensions in the
  temperature, as in `analysis.analyse`; dimensions the instrument keeps outside it
  (validity outcomes) are shown in the profile but not counted.
- Responses that data quality flags are left out, as in `analyse`, unless
  `include_flagged`.
- The anonymity rule (`MIN_GROUP`): a community with fewer than 5 respondents with a
  temperature gets no card — it is listed by code in `suppressed`, with no figure, and
  is left out of ranks, bands and street averages (which could otherwise give it away);
  within a card, a mean over fewer than 5 answers is not shown either.
- Ranks use the shrunken (BLUP) community estimates of the null random-intercept model
  when the caller passes them (`shrunken`): a community of few respondents is pulled
  toward the overall mean instead of topping or ending the list by chance; the 5–95 %
  band draws each estimate from its conditional normal distribution. Without them, ranks
  are by mean temperature with a bootstrap band: respondents resampled with replacement
  within each community, the means ranked again in every draw. Either way the
  temperature's construction is fixed by the instrument (dimensions weigh equally); how
  ranks would move under other normalisations, weights and aggregations of the dimension
  means is composite.build_index's Monte Carlo, which the report pages run beside.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from warmgrid.lib.warmth import quality, reliability, scoring
from warmgrid.lib.warmth.analysis import MIN_GROUP
from warmgrid.lib.warmth.composite import DEGREES_PER_POINT, temperature
from warmgrid.lib.warmth.instrument import Instrument

ITEMS_SHOWN = 3  # strongest and weakest items on a card
LEVEL = 0.95


def respondent_temperature(scores: scoring.Scores, instrument: Instrument) -> np.ndarray:
    """Each respondent's temperature: the mean of their scores on the dimensions in the
    temperature (the same rule as `analysis.analyse`)."""
    inside = [d for d in scores.dimensions if d not in instrument.outside_temperature]
    n = scores.items.shape[0]
    if not inside:
        return np.full(n, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a respondent with no dimension
        return np.nanmean(np.column_stack([scores.dimensions[d] for d in inside]), axis=1)


def _summary(values: np.ndarray) -> dict:
    """Mean and SD, or no figure at all when fewer than MIN_GROUP answered."""
    present = values[~np.isnan(values)]
    if present.size < MIN_GROUP:
        return {"n": int(present.size), "mean": None, "sd": None, "suppressed": True}
    return {"n": int(present.size), "mean": float(present.mean()),
            "sd": float(present.std(ddof=1))}


def _degrees(points: float | None) -> float | None:
    return None if points is None else round(points * DEGREES_PER_POINT, 1)


def _temperature_summary(values: np.ndarray) -> dict:
    summary = _summary(values)
    mean, sd, n = summary["mean"], summary["sd"], summary["n"]
    half = float(stats.t.ppf(0.5 + LEVEL / 2, n - 1) * sd / math.sqrt(n))
    summary["ci"] = [mean - half, mean + half]
    summary["ci_degrees"] = [_degrees(v) for v in summary["ci"]]
    summary.update(temperature(mean))  # degrees, band
    return summary


def _item_means(items: Sequence[scoring.ItemSpec], keyed: np.ndarray, instrument: Instrument
                ) -> list[dict]:
    """Items of the temperature answered by at least MIN_GROUP, by mean keyed score
    (highest first; ties by name)."""
    labels = {q.name: dict(q.labels) for q in instrument.questions}
    rows = []
    for j, item in enumerate(items):
        if item.dimension in instrument.outside_temperature:
            continue
        summary = _summary(keyed[:, j])
        if summary["mean"] is None:
            continue
        rows.append({"item": item.name, "facet": item.facet, "dimension": item.dimension,
                     "mean": summary["mean"], "n": summary["n"],
                     "labels": labels.get(item.name, {})})
    return sorted(rows, key=lambda r: (-r["mean"], r["item"]))


def _alpha(keyed: np.ndarray, names: list[str]) -> dict:
    """Cronbach's α of one dimension's items within one community, or why not."""
    if len(names) < 2:
        return {"alpha": None, "unavailable": "single_item"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = reliability.reliability(keyed, names, missing="pairwise",
                                             with_omega=False)
    except ValueError:
        return {"alpha": None, "unavailable": "too_few_answers"}
    if not np.isfinite(result.alpha) or not all(np.isfinite(result.alpha_ci)):
        return {"alpha": None, "unavailable": "no_variance"}
    return {"alpha": result.alpha, "alpha_ci": list(result.alpha_ci), "n": result.n,
            "k": result.k}


def _card(code: str, rows: np.ndarray, scores: scoring.Scores, warmth: np.ndarray,
          instrument: Instrument, items: Sequence[scoring.ItemSpec]) -> dict:
    keyed = scores.items[rows]
    ranked = _item_means(items, keyed, instrument)
    strongest = ranked[:ITEMS_SHOWN]
    weakest = [r for r in sorted(ranked, key=lambda r: (r["mean"], r["item"]))
               if r not in strongest][:ITEMS_SHOWN]
    by_dimension: dict[str, list[int]] = {}
    for j, item in enumerate(items):
        by_dimension.setdefault(item.dimension, []).append(j)
    return {
        "community": code,
        "n": int(rows.sum()),
        "temperature": _temperature_summary(warmth[rows]),
        "dimensions": {d: {**_summary(v[rows]),
                           "in_temperature": d not in instrument.outside_temperature}
                       for d, v in scores.dimensions.items()},
        "facets": {f: {**_summary(v[rows]), "dimension": scores.facet_dimension[f]}
                   for f, v in scores.facets.items()},
        "strongest": strongest,
        "weakest": weakest,
        "reliability": {d: _alpha(keyed[:, cols], [items[j].name for j in cols])
                        for d, cols in by_dimension.items()},
    }


def _rank_bands(values: dict[str, np.ndarray], draws: int, seed: int) -> dict:
    """Nominal rank (1 = warmest, ties share the best) and the bootstrap 5–95 % band of
    each community's rank; communities in sorted order so the draws do not depend on the
    order of the input."""
    codes = sorted(values)
    means = np.array([values[c].mean() for c in codes])
    nominal = stats.rankdata(-means, method="min").astype(int)
    out = {c: {"rank": int(r), "rank_band": None, "median_rank": None}
           for c, r in zip(codes, nominal, strict=True)}
    if draws <= 0:
        return out
    rng = np.random.default_rng(seed)
    drawn = np.empty((draws, len(codes)))
    for j, code in enumerate(codes):
        sample = values[code]
        drawn[:, j] = sample[rng.integers(0, sample.size, size=(draws, sample.size))].mean(1)
    return _with_bands(out, codes, drawn)


def _with_bands(out: dict, codes: list[str], drawn: np.ndarray) -> dict:
    """Each community's 5–95 % rank band and median rank over draws × communities."""
    ranks = stats.rankdata(-drawn, method="min", axis=1)
    low, median, high = np.percentile(ranks, [5, 50, 95], axis=0)
    for j, code in enumerate(codes):
        out[code].update(rank_band=[float(low[j]), float(high[j])],
                         median_rank=float(median[j]))
    return out


def _shrunken_bands(estimates: dict[str, Mapping], draws: int, seed: int) -> dict:
    """Ranks by the BLUP estimates, and 5–95 % bands from drawing each community's
    estimate from N(estimate, se²), se read off its 95 % interval."""
    codes = sorted(estimates)
    centre = np.array([float(estimates[c]["estimate"]) for c in codes])
    low, high = (np.array([float(estimates[c]["interval"][k]) for c in codes])
                 for k in (0, 1))
    se = (high - low) / (2 * stats.norm.ppf(0.975))
    nominal = stats.rankdata(-centre, method="min").astype(int)
    out = {c: {"rank": int(r), "rank_band": None, "median_rank": None,
               "shrunken": {"estimate": float(m), "interval": [float(a), float(b)],
                            **temperature(float(m))}}
           for c, r, m, a, b in zip(codes, nominal, centre, low, high, strict=True)}
    if draws <= 0:
        return out
    drawn = np.random.default_rng(seed).normal(centre, se, size=(draws, len(codes)))
    return _with_bands(out, codes, drawn)


def _change(card: dict, before: Mapping | None) -> dict:
    """This wave minus the previous wave's card; None wherever either has no figure."""
    def diff(now, then):
        return None if now is None or then is None else float(now) - float(then)

    before = before or {}
    was = (before.get("temperature") or {}).get("mean")
    points = diff(card["temperature"]["mean"], was)
    previous_dimensions = before.get("dimensions") or {}
    return {
        "available": was is not None,
        "temperature": points,
        "degrees": _degrees(points),
        "dimensions": {d: diff(v["mean"], (previous_dimensions.get(d) or {}).get("mean"))
                       for d, v in card["dimensions"].items()},
        "previous_rank": before.get("rank"),
    }


def _comparable(choices: dict, previous: Mapping | None) -> dict:
    if previous is None:
        return {"given": False, "comparable": None, "differences": []}
    earlier = previous.get("choices") or {}
    differences = [k for k in ("min_answered", "temperature", "quality")
                   if earlier.get(k) != choices[k]]
    return {"given": True, "comparable": not differences, "differences": differences}


def _code(value) -> str:
    """A community code as text; None, "" and NaN (an empty cell) are no community."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def community_cards(instrument: Instrument, answers, communities: Sequence, *,
                    parents: Mapping[str, str] | None = None,
                    response_rates: Mapping[str, float] | None = None,
                    previous: Mapping | None = None, min_answered: float = 0.5,
                    draws: int = 1000, seed: int = 0, include_flagged: bool = False,
                    durations: Sequence[float] | None = None,
                    shrunken: Sequence[Mapping] | None = None) -> dict:
    """A report card for every community with at least MIN_GROUP respondents with a
    temperature (see the module docstring). `answers`: respondents × items as
    `instrument.answer_values` returns; `communities`: each respondent's community code
    (None, "" or NaN for none: such respondents are in no card); `parents`: community →
    street; `response_rates`: community → share invited who answered; `previous`: this
    function's output for the last wave (as stored: plain JSON is fine); `durations`:
    seconds per response, for the speeding flag; `shrunken`: the null model's community
    estimates (multilevel `community_estimates`) — when they cover every reported
    community, ranks and bands come from them (see `_shrunken_bands`)."""
    items = list(instrument.items)
    answers = np.asarray(answers, dtype=float)
    codes = np.array([_code(c) for c in communities], dtype=object)
    if answers.ndim != 2 or codes.shape != (answers.shape[0],):
        raise ValueError("One community code per respondent (row of answers).")
    checked = quality.flag_responses(
        answers, items, durations=durations,
        single_choice=[instrument.item_types.get(i.name) == "select one" for i in items])
    if not include_flagged:
        keep = ~checked["flagged"]
        answers, codes = answers[keep], codes[keep]
    scores = scoring.score(answers, items, min_answered=min_answered)
    warmth = respondent_temperature(scores, instrument)

    reported, suppressed = {}, []
    for code in sorted(set(codes) - {""}):
        rows = codes == code
        if (~np.isnan(warmth[rows])).sum() < MIN_GROUP:
            suppressed.append(code)
            continue
        reported[code] = _card(code, rows, scores, warmth, instrument, items)

    by_estimate = {str(e["community"]): e for e in (shrunken or ())}
    use_shrunken = bool(reported) and set(reported) <= set(by_estimate)
    if use_shrunken:
        bands = _shrunken_bands({c: by_estimate[c] for c in reported}, draws, seed)
    else:
        bands = _rank_bands({c: warmth[(codes == c) & ~np.isnan(warmth)] for c in reported},
                            draws, seed)
    streets = _streets(reported, parents or {})
    before = (previous or {}).get("communities") or {}
    for code, card in reported.items():
        card["response_rate"] = (None if response_rates is None
                                 or response_rates.get(code) is None
                                 else float(response_rates[code]))
        card.update(bands[code], of=len(reported))
        street = (parents or {}).get(code)
        card["street"] = ({"code": street, **streets[street]} if street in streets else None)
        card["change"] = _change(card, before.get(code))

    inside = [d for d in scores.dimensions if d not in instrument.outside_temperature]
    outside = [d for d in scores.dimensions if d in instrument.outside_temperature]
    choices = {
        "min_answered": min_answered,
        "scoring": scores.choices,
        "temperature": "mean of the respondent's scores on " + ", ".join(inside),
        "outside_temperature": outside,
        "degrees": f"{DEGREES_PER_POINT} degrees per point of the 0-100 temperature",
        "interval": f"{LEVEL:.0%} t interval of the community mean",
        "rank": ("1 = warmest by the shrunken (BLUP) community estimate of the null "
                 "random-intercept model; ties share the best rank" if use_shrunken else
                 "1 = warmest by mean temperature; ties share the best rank"),
        "rank_band_method": "blup" if use_shrunken else "bootstrap",
        "rank_band": ("5th to 95th percentile of the rank when each community's estimate "
                      "is drawn from its conditional (posterior) normal distribution"
                      if use_shrunken else
                      "5th to 95th percentile of the rank when respondents are resampled "
                      "with replacement within each community"),
        "draws": draws,
        "seed": seed,
        "items": f"items in the temperature answered by at least {MIN_GROUP}, by mean "
                 "keyed score (0-100)",
        "reliability": "Cronbach's alpha of each dimension's items within the community "
                       "(pairwise covariances, Feldt interval)",
        "street": "unweighted mean of the mean temperatures of the street's communities "
                  "with a card",
        "change": "this wave minus the previous wave's card, per community",
        "suppression": f"communities with fewer than {MIN_GROUP} respondents with a "
                       "temperature get no figure and take no part in ranks or street "
                       f"averages; means over fewer than {MIN_GROUP} answers are not shown",
        "quality": "flagged responses included" if include_flagged
                   else "flagged responses left out",
    }
    order = sorted(reported, key=lambda c: (reported[c]["rank"], c))
    return {
        "instrument": {"title": instrument.title, "form_id": instrument.form_id,
                       "version": instrument.version},
        "n": sum(card["n"] for card in reported.values()),
        "communities": {code: reported[code] for code in order},
        "ranking": order,
        "streets": streets,
        "suppressed": {"count": len(suppressed), "communities": suppressed},
        "dimensions": {"in_temperature": inside, "outside_temperature": outside},
        "quality": {"flagged": checked["flagged_count"], "included": include_flagged},
        "previous": _comparable(choices, previous),
        "choices": choices,
    }


def _streets(cards: dict[str, dict], parents: Mapping[str, str]) -> dict:
    members: dict[str, list[str]] = {}
    for code in cards:
        if parents.get(code) is not None:
            members.setdefault(parents[code], []).append(code)
    out = {}
    for street, codes in sorted(members.items()):
        mean = float(np.mean([cards[c]["temperature"]["mean"] for c in codes]))
        out[street] = {"mean": mean, **temperature(mean), "communities": len(codes)}
    return out


# What moves temperature ----------------------------------------------------------------


def _lookup(mapping, *keys):
    """mapping[k1][k2]…, or None where a level is missing or is an error entry."""
    for key in keys:
        if not isinstance(mapping, Mapping) or key not in mapping:
            return None
        mapping = mapping[key]
    return mapping


def _model_summary(model: Mapping) -> dict:
    return {k: model.get(k) for k in ("tau2", "sigma2", "icc", "loglik", "converged")} | {
        "warnings": list(model.get("warnings") or [])}


def _share_explained(before: Mapping | None, after: Mapping | None) -> float | None:
    if not before or not after or before.get("tau2") is None or after.get("tau2") is None:
        return None
    return (before["tau2"] - after["tau2"]) / before["tau2"] if before["tau2"] > 0 else None


def _indicator(name: str, fixed: Mapping) -> dict:
    estimate, se = fixed.get("estimate"), fixed.get("se")
    if estimate is None or se is None or not se > 0:
        return {"name": name, "estimate": estimate, "se": se, "ci": None, "p": None,
                "direction": None, "clear": False}
    z = stats.norm.ppf(0.5 + LEVEL / 2)
    p = float(2 * stats.norm.sf(abs(estimate / se)))
    return {"name": name, "estimate": estimate, "se": se,
            "ci": [estimate - z * se, estimate + z * se], "p": p,
            "direction": "positive" if estimate > 0 else "negative" if estimate < 0 else "none",
            "clear": p < 1 - LEVEL}


def what_moves(analysis_result: Mapping, *, outcome: str = "temperature") -> dict:
    """What `analyse(..., group_labels=…, level2=…)` found about one outcome's differences
    between communities, as figures and structured facts: `sentences` is a list of
    {"key": …, numbers…} for the pages to phrase."""
    entry = _lookup(analysis_result, "groups", "by_outcome", outcome)
    sentences: list[dict] = []
    problems: list[dict] = []
    result: dict = {
        "outcome": outcome, "available": entry is not None,
        "communities": _lookup(analysis_result, "groups", "count"),
        "suppressed_groups": analysis_result.get("suppressed_groups"),
        "between": None, "models": {}, "residents": None, "governance": None,
        "converged": None, "problems": problems, "sentences": sentences,
        "choices": {
            "between": "ICC(1) from the one-way ANOVA: the share of the variance that lies "
                       "between communities",
            "explained": "share of the between-community variance (tau2) a model's added "
                         "predictors remove: (tau2 before - tau2 after) / tau2 before",
            "indicators": f"coefficient per unit of the indicator, in temperature points; "
                          f"{LEVEL:.0%} Wald interval and p; clear when p < {1 - LEVEL:.2f}",
            "not_converged": "figures of a model that did not converge are not phrased",
        },
    }
    if entry is None:
        problems.append({"part": "groups", "error": "no community grouping in the analysis"})
        sentences.append({"key": "unavailable", "part": "groups"})
        return result

    icc = entry.get("icc") or {}
    if "error" in icc or icc.get("icc1") is None:
        problems.append({"part": "icc", "error": icc.get("error", "missing")})
        sentences.append({"key": "unavailable", "part": "icc"})
    else:
        result["between"] = {"icc1": icc["icc1"], "icc2": icc.get("icc2"), "p": icc.get("p"),
                             "respondents_needed": entry.get("respondents_needed")}
        if icc["icc1"] > 0:
            sentences.append({"key": "between_share", "share": icc["icc1"], "p": icc.get("p")})
        else:
            sentences.append({"key": "no_between_share", "share": icc["icc1"],
                              "p": icc.get("p")})
        if entry.get("respondents_needed"):
            sentences.append({"key": "respondents_needed",
                              "n": entry["respondents_needed"]})

    fit = entry.get("multilevel") or {}
    models = fit.get("models") if isinstance(fit, Mapping) else None
    if "error" in fit or not models or "null" not in models:
        problems.append({"part": "multilevel", "error": fit.get("error", "missing")})
        sentences.append({"key": "unavailable", "part": "multilevel"})
        return result
    result["models"] = {name: _model_summary(m) for name, m in models.items()}
    result["converged"] = fit.get("converged")
    for name, model in models.items():
        if not model.get("converged"):
            sentences.append({"key": "not_converged", "model": name})
    tests = fit.get("tests") or {}

    if "residents" in models:
        test = tests.get("null->residents")
        share = _share_explained(models["null"], models["residents"])
        result["residents"] = {
            "covariates": [n for n in models["residents"]["fixed"] if n != "intercept"],
            "explained": share, "test": test}
        if models["null"].get("converged") and models["residents"].get("converged") \
                and share is not None:
            sentences.append({"key": "composition_explains", "share": share,
                              "p": (test or {}).get("p")})

    if "governance" not in models:
        sentences.append({"key": "no_governance_data"})
        return result
    before_name = "residents" if "residents" in models else "null"
    test = tests.get(f"{before_name}->governance")
    share = fit.get("between_variance_explained_by_governance")
    if share is None:
        share = _share_explained(models[before_name], models["governance"])
    earlier = set(models[before_name]["fixed"])
    indicators = [_indicator(name, fixed)
                  for name, fixed in models["governance"]["fixed"].items()
                  if name not in earlier]
    result["governance"] = {"explained": share, "test": test, "indicators": indicators,
                            "after": before_name}
    if not (models[before_name].get("converged") and models["governance"].get("converged")):
        return result
    if share is not None:
        sentences.append({"key": "governance_explains" if share > 0
                          else "governance_explains_nothing",
                          "share": share, "p": (test or {}).get("p")})
    for row in indicators:
        if row["ci"] is None:
            continue
        key = ("indicator_unclear" if not row["clear"]
               else "indicator_raises" if row["direction"] == "positive"
               else "indicator_lowers")
        sentences.append({"key": key, "indicator": row["name"], "estimate": row["estimate"],
                          "ci_low": row["ci"][0], "ci_high": row["ci"][1], "p": row["p"]})
    return result
