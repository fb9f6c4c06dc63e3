"""Every figure of a warmth survey in one object, keyed by the instrument's own dimension
and facet names — what `warmgrid warmth analyse` prints and the report pages will read.

Responses that data quality flags (warmgrid.lib.warmth.quality) are left out unless
`include_flagged`; the counts are reported either way, and `n` is what was analysed.

Pure, no Django. Aggregates over fewer than `MIN_GROUP` respondents are suppressed (the
anonymity rule): such communities appear in no group-level figure and are counted in
`suppressed_groups`, a score answered by fewer has no mean, and fewer respondents in all
are refused.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from warmgrid.lib.warmth import cfa, multilevel, quality, reliability, scoring, structure
from warmgrid.lib.warmth import groups as group_stats
from warmgrid.lib.warmth.instrument import Instrument

MIN_GROUP = 5


def _summary(values: np.ndarray) -> dict:
    present = values[~np.isnan(values)]
    if present.size < MIN_GROUP:
        return {"n": int(present.size), "mean": None, "sd": None,
                "suppressed": bool(present.size)}
    return {"n": int(present.size), "mean": float(present.mean()),
            "sd": float(present.std(ddof=1)) if present.size > 1 else None}


def _failed(exc: Exception) -> dict:
    return {"error": str(exc)}


def analyse(instrument: Instrument, answers: np.ndarray, *,
            group_labels: Sequence[str] | None = None,
            covariates: Mapping[str, Sequence[float]] | None = None,
            level2: Mapping[str, Mapping[str, float]] | None = None,
            missing: str = "pairwise", min_answered: float = 0.5,
            durations: Sequence[float] | None = None, include_flagged: bool = False,
            row_keys: Sequence | None = None) -> dict:
    items = list(instrument.items)
    answers = np.asarray(answers, dtype=float)
    checked = quality.flag_responses(
        answers, items, durations=durations, row_keys=row_keys,
        single_choice=[instrument.item_types[i.name] == "select one" for i in items])
    quality_report = {"counts": checked["counts"], "flagged": checked["flagged_count"],
                      "included": include_flagged, "choices": checked["choices"]}
    if not include_flagged and checked["flagged_count"]:
        keep = ~checked["flagged"]
        answers = answers[keep]
        if group_labels is not None:
            group_labels = [g for g, k in zip(group_labels, keep, strict=True) if k]
        if covariates:
            covariates = {name: np.asarray(v, dtype=float)[keep]
                          for name, v in covariates.items()}
    if answers.shape[0] < MIN_GROUP:
        raise ValueError(f"{answers.shape[0]} responses to analyse: figures over fewer than "
                         f"{MIN_GROUP} respondents are not shown.")
    scores = scoring.score(answers, items, min_answered=min_answered)
    inside = [d for d in scores.dimensions if d not in instrument.outside_temperature]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a respondent with no dimension
        temperature = (np.nanmean(np.column_stack([scores.dimensions[d] for d in inside]),
                                  axis=1) if inside else np.full(answers.shape[0], np.nan))
    result: dict = {
        "instrument": {"title": instrument.title, "form_id": instrument.form_id,
                       "version": instrument.version, "items": len(items)},
        "n": int(answers.shape[0]),
        "quality": quality_report,
        "choices": {"missing": missing, "scoring": scores.choices,
                    "temperature": "mean of the respondent's scores on "
                                   + ", ".join(inside),
                    "suppression": f"groups with fewer than {MIN_GROUP} respondents are "
                                   "left out of group-level figures"},
        "scores": {
            "temperature": _summary(temperature),
            "dimensions": {d: _summary(v) for d, v in scores.dimensions.items()},
            "facets": {f: _summary(v) for f, v in scores.facets.items()},
        },
    }
    result["validity"] = {}
    for dimension in sorted(instrument.outside_temperature):
        for facet, dim in scores.facet_dimension.items():
            if dim != dimension:
                continue
            values = scores.facets[facet]
            both = ~np.isnan(values) & ~np.isnan(temperature)
            if both.sum() >= 3 and np.std(values[both]) > 0 and np.std(temperature[both]) > 0:
                result["validity"][facet] = {
                    "r_with_temperature": float(np.corrcoef(values[both],
                                                            temperature[both])[0, 1]),
                    "n": int(both.sum())}
    facet_items: dict[str, list[int]] = {}
    for j, item in enumerate(items):
        facet_items.setdefault(item.facet, []).append(j)
    result["reliability"] = {}
    for facet, columns in facet_items.items():
        if len(columns) < 2:
            continue
        try:
            result["reliability"][facet] = reliability.reliability(
                scores.items[:, columns], [items[j].name for j in columns],
                missing=missing).as_dict()
        except ValueError as exc:
            result["reliability"][facet] = _failed(exc)
    result["structure"] = {}
    for dimension in scores.dimensions:
        columns = [j for j, item in enumerate(items) if item.dimension == dimension]
        facets = {items[j].facet for j in columns}
        if len(columns) < 3:
            continue
        try:
            result["structure"][dimension] = structure.structure(
                scores.items[:, columns], n_factors=min(len(facets), len(columns) - 1),
                missing=missing)
            result["structure"][dimension]["items"] = [items[j].name for j in columns]
        except (ValueError, np.linalg.LinAlgError) as exc:
            result["structure"][dimension] = _failed(exc)
    reflective = {facet: [items[j].name for j in columns]
                  for facet, columns in facet_items.items()
                  if len(columns) >= 3 and all(
                      instrument.item_types[items[j].name] == "select one" for j in columns)}
    if len(reflective) >= 1:
        try:
            result["cfa"] = cfa.cfa(scores.items, [i.name for i in items], reflective)
        except (ValueError, np.linalg.LinAlgError) as exc:
            result["cfa"] = _failed(exc)
    if group_labels is None:
        return result

    labels = np.asarray([str(g) for g in group_labels], dtype=object)
    names, counts = np.unique(labels, return_counts=True)
    small = set(names[counts < MIN_GROUP])
    keep = np.array([label not in small for label in labels])
    result["suppressed_groups"] = len(small)
    result["groups"] = {"count": int(len(names) - len(small)), "by_outcome": {}}
    outcomes = {"temperature": temperature, **scores.dimensions}
    for name, values in outcomes.items():
        entry: dict = {}
        try:
            entry["icc"] = group_stats.icc_oneway(values[keep], labels[keep])
            if entry["icc"]["icc1"] > 0:
                entry["respondents_needed"] = group_stats.respondents_needed(
                    min(entry["icc"]["icc1"], 0.99))
        except ValueError as exc:
            entry["icc"] = _failed(exc)
        try:
            entry["multilevel"] = multilevel.random_intercept_models(
                values[keep], labels[keep],
                residents={k: np.asarray(v, dtype=float)[keep]
                           for k, v in (covariates or {}).items()},
                governance=level2 or {})
        except (ValueError, np.linalg.LinAlgError) as exc:
            entry["multilevel"] = _failed(exc)
        result["groups"]["by_outcome"][name] = entry
    agreement = {}
    for dimension in scores.dimensions:
        columns = [j for j, item in enumerate(items)
                   if item.dimension == dimension
                   and instrument.item_types[item.name] == "select one"]
        points = {int(items[j].high - items[j].low) + 1 for j in columns}
        if not columns or len(points) != 1:
            continue  # r_wg(j) needs items on one scale
        scale_points = points.pop()
        values = [group_stats.rwg_j(_on_scale_points(scores, columns, labels, g,
                                                     scale_points), scale_points)
                  for g in names if g not in small]
        present = [v for v in values if v is not None]
        if present:
            agreement[dimension] = {"median_rwg_j": float(np.median(present)),
                                    "groups": len(present), "scale_points": scale_points}
    result["groups"]["agreement"] = agreement
    return result


def _on_scale_points(scores: scoring.Scores, columns: list[int], labels, group: str,
                     scale_points: int) -> np.ndarray:
    """One group's keyed answers back in scale points (0 … A − 1): r_wg compares their
    variance with a uniform null over the scale's points."""
    return scores.items[labels == group][:, columns] * (scale_points - 1) / 100


def jsonable(value):
    """Plain JSON: numpy numbers as Python numbers, NaN and infinities as null, tuples as
    lists (json.dumps would write NaN, which is not JSON)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value
