"""A composite index from an indicator table, the way the OECD/JRC Handbook on
Constructing Composite Indicators (2008) sets out, with the uncertainty of its ranks.

Pure computation, no Django. Steps, each a stated choice:

1. **Outliers** (`winsorise` or `none`): an indicator with |skewness| > 2 and excess
   kurtosis > 3.5 has its m most extreme values (on the side of the skew) set to the
   next one, for the smallest m ≤ 5 that brings it within a limit (the JRC rule).
2. **Normalisation**, polarity applied (a "lower is better" indicator is turned round):
   `minmax` to 0–100; `zscore`; `rank` (1 = worst … n = best); `target`: 100 · x / target,
   capped at 100 (100 · target / x for lower-is-better).
3. **Weights**: `equal`; `expert` (the spec's, scaled to sum 1); `pca`: the squared
   loadings of the first principal component of the normalised indicators, scaled to
   sum 1 (indicators that move together with the rest weigh more).
4. **Aggregation**: `arithmetic` (Σ wᵢxᵢ, fully compensatory) or `geometric` (Π xᵢ^wᵢ,
   a weak indicator is not fully made up by a strong one). Geometric needs positive
   values: min-max then runs to [1, 100] rather than [0, 100], ranks start at 1, and
   z-scores cannot be aggregated geometrically.
5. **Monte Carlo** over the choices listed in the spec's `monte_carlo` (each draw picks
   one option of each, and jitters the weights by ±`weight_jitter`): each unit's 5–95 %
   rank band, and for each choice a first-order sensitivity index — the share of the
   variance of the draws' mean rank shift that the choice explains alone — telling which
   choice moves ranks most.

The displayed score is the nominal composite; as a temperature it is shown in degrees by
`temperature` (0–100 → 0–40 °).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

NORMALISATIONS = ("minmax", "zscore", "rank", "target")
WEIGHTINGS = ("equal", "expert", "pca")
AGGREGATIONS = ("arithmetic", "geometric")
OUTLIERS = ("winsorise", "none")
DEGREES_PER_POINT = 0.4  # 0–100 → 0–40 °
TEMPERATURE_BANDS = ((10.0, "cold"), (20.0, "cool"), (30.0, "mild"), (40.01, "warm"))


@dataclass(frozen=True)
class Indicator:
    name: str
    polarity: int = 1  # 1: higher is better; -1: lower is better
    target: float | None = None
    weight: float | None = None  # the expert weight

    def __post_init__(self):
        if self.polarity not in (1, -1):
            raise ValueError(f"{self.name}: polarity is 1 or -1, not {self.polarity!r}.")


@dataclass(frozen=True)
class Choices:
    normalisation: str = "minmax"
    weighting: str = "equal"
    aggregation: str = "arithmetic"
    outliers: str = "winsorise"

    def __post_init__(self):
        for name, allowed in (("normalisation", NORMALISATIONS), ("weighting", WEIGHTINGS),
                              ("aggregation", AGGREGATIONS), ("outliers", OUTLIERS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, not "
                                 f"{getattr(self, name)!r}.")
        if self.aggregation == "geometric" and self.normalisation == "zscore":
            raise ValueError("z-scores can be negative: they cannot be aggregated "
                             "geometrically.")


@dataclass(frozen=True)
class MonteCarlo:
    draws: int = 1000
    seed: int = 0
    options: Mapping[str, Sequence[str]] = field(default_factory=dict)
    weight_jitter: float = 0.25


def winsorise(column: np.ndarray, *, skew_limit: float = 2.0, kurtosis_limit: float = 3.5,
              most: int = 5) -> tuple[np.ndarray, int]:
    """The JRC rule: while the column is outside both limits, set its m most extreme
    values (on the side of the skew) to the next one, m = 1 … `most`. Returns the treated
    column and m (0 when nothing was needed)."""
    x = column.astype(float)

    def outside(values):
        return (np.ptp(values) > 0 and abs(stats.skew(values)) > skew_limit
                and stats.kurtosis(values) > kurtosis_limit)

    if x.size <= most + 1 or not outside(x):
        return x.copy(), 0
    order = np.argsort(x, kind="stable")
    high_side = stats.skew(x) > 0
    for m in range(1, most + 1):
        treated = x.copy()
        if high_side:
            treated[order[-m:]] = x[order[-m - 1]]
        else:
            treated[order[:m]] = x[order[m]]
        if not outside(treated):
            break
    return treated, m


def normalise(values: np.ndarray, indicators: Sequence[Indicator], method: str, *,
              positive: bool = False) -> np.ndarray:
    """units × indicators → normalised, higher always better."""
    out = np.empty_like(values, dtype=float)
    for j, indicator in enumerate(indicators):
        x = values[:, j] * indicator.polarity if method != "target" else values[:, j]
        if method == "minmax":
            spread = np.ptp(x)
            scaled = (x - x.min()) / spread if spread > 0 else np.full_like(x, 0.5)
            out[:, j] = 1 + 99 * scaled if positive else 100 * scaled
        elif method == "zscore":
            sd = x.std(ddof=1)
            out[:, j] = (x - x.mean()) / sd if sd > 0 else 0.0
        elif method == "rank":
            out[:, j] = stats.rankdata(x, method="average")
        else:
            if indicator.target is None or indicator.target <= 0:
                raise ValueError(f"{indicator.name}: distance to target needs a positive "
                                 "target.")
            with np.errstate(divide="ignore"):
                ratio = (x / indicator.target if indicator.polarity == 1
                         else indicator.target / np.maximum(x, 1e-12))
            out[:, j] = 100 * np.minimum(ratio, 1.0)
            if positive:
                out[:, j] = np.maximum(out[:, j], 1.0)
    return out


def weights_for(normalised: np.ndarray, indicators: Sequence[Indicator], method: str
                ) -> np.ndarray:
    k = len(indicators)
    if method == "equal":
        return np.full(k, 1 / k)
    if method == "expert":
        given = [i.weight for i in indicators]
        if any(w is None or w < 0 for w in given) or sum(given) == 0:
            raise ValueError("Expert weights need a non-negative weight for every indicator.")
        return np.array(given, dtype=float) / sum(given)
    corr = np.corrcoef(normalised, rowvar=False)
    corr = np.nan_to_num(corr, nan=0.0)
    np.fill_diagonal(corr, 1.0)
    _, vectors = np.linalg.eigh(corr)
    squared = vectors[:, -1] ** 2
    return squared / squared.sum()


def composite(values: np.ndarray, indicators: Sequence[Indicator], choices: Choices,
              weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Scores (higher is better), the weights used, and what outlier treatment did."""
    treated = values.astype(float).copy()
    winsorised = {}
    if choices.outliers == "winsorise":
        for j, indicator in enumerate(indicators):
            treated[:, j], changed = winsorise(treated[:, j])
            if changed:
                winsorised[indicator.name] = changed
    geometric = choices.aggregation == "geometric"
    normalised = normalise(treated, indicators, choices.normalisation, positive=geometric)
    if weights is None:
        weights = weights_for(normalised, indicators, choices.weighting)
    if geometric:
        scores = np.exp(np.log(normalised) @ weights)
    else:
        scores = normalised @ weights
    return scores, weights, winsorised


def ranks_of(scores: np.ndarray) -> np.ndarray:
    """1 = best; ties share the best rank they span."""
    return stats.rankdata(-scores, method="min").astype(int)


def temperature(score: float) -> dict:
    """A 0–100 score shown as degrees (0.4 ° a point) with its band."""
    degrees = round(float(score) * DEGREES_PER_POINT, 1)
    band = next(label for limit, label in TEMPERATURE_BANDS if degrees < limit)
    return {"degrees": degrees, "band": band}


def build_index(units: Sequence[str], values, indicators: Sequence[Indicator],
                choices: Choices, monte_carlo: MonteCarlo | None = None) -> dict:
    """The index of every unit with its rank and, given Monte Carlo settings, rank bands
    and the sensitivity of ranks to each choice."""
    x = np.asarray(values, dtype=float)
    if x.shape != (len(units), len(indicators)):
        raise ValueError(f"Expected {len(units)} units × {len(indicators)} indicators, got "
                         f"{x.shape}.")
    if np.isnan(x).any():
        raise ValueError("The indicator table has missing values: fill or drop them first.")
    if len(units) < 3:
        raise ValueError("An index needs at least 3 units.")
    scores, weights, winsorised = composite(x, indicators, choices)
    nominal_ranks = ranks_of(scores)
    result = {
        "units": [{"unit": u, "score": float(s), "rank": int(r)}
                  for u, s, r in zip(units, scores, nominal_ranks, strict=True)],
        "weights": {i.name: float(w) for i, w in zip(indicators, weights, strict=True)},
        "winsorised": winsorised,
        "choices": {"normalisation": choices.normalisation, "weighting": choices.weighting,
                    "aggregation": choices.aggregation, "outliers": choices.outliers,
                    "polarity": {i.name: i.polarity for i in indicators},
                    "ranks": "1 = best; ties share the best rank"},
    }
    if choices.normalisation == "minmax" and choices.aggregation == "arithmetic":
        for row in result["units"]:
            row["temperature"] = temperature(row["score"])
        result["choices"]["temperature"] = (f"{DEGREES_PER_POINT} degrees per point of the "
                                            "0-100 score")
    if monte_carlo is not None and monte_carlo.draws > 0:
        result["monte_carlo"] = _monte_carlo(x, indicators, choices, monte_carlo,
                                             nominal_ranks, result["units"])
    return result


def _monte_carlo(x, indicators, nominal: Choices, settings: MonteCarlo, nominal_ranks,
                 rows) -> dict:
    rng = np.random.default_rng(settings.seed)
    factors = {name: list(settings.options.get(name) or [getattr(nominal, name)])
               for name in ("normalisation", "weighting", "aggregation", "outliers")}
    for name, options in factors.items():
        allowed = {"normalisation": NORMALISATIONS, "weighting": WEIGHTINGS,
                   "aggregation": AGGREGATIONS, "outliers": OUTLIERS}[name]
        bad = [o for o in options if o not in allowed]
        if bad:
            raise ValueError(f"monte_carlo {name}: unknown {bad}; choose from {allowed}.")
    ranks = np.empty((settings.draws, len(rows)), dtype=int)
    picked: dict[str, list[str]] = {name: [] for name in factors}
    skipped = 0
    draw = 0
    while draw < settings.draws:
        pick = {name: options[rng.integers(len(options))] for name, options in factors.items()}
        if pick["aggregation"] == "geometric" and pick["normalisation"] == "zscore":
            skipped += 1
            if skipped > 100 * settings.draws:
                raise ValueError("No drawable combination: geometric needs no z-scores.")
            continue
        choices = Choices(**pick)
        treated_scores, weights, _ = composite(x, indicators, choices)
        if settings.weight_jitter > 0:
            jitter = rng.uniform(1 - settings.weight_jitter, 1 + settings.weight_jitter,
                                 size=weights.size)
            jittered = weights * jitter
            treated_scores, _, _ = composite(x, indicators, choices,
                                             weights=jittered / jittered.sum())
        ranks[draw] = ranks_of(treated_scores)
        for name in factors:
            picked[name].append(pick[name])
        draw += 1
    low, median, high = np.percentile(ranks, [5, 50, 95], axis=0)
    for row, lo, me, hi in zip(rows, low, median, high, strict=True):
        row["rank_band"] = [float(lo), float(hi)]
        row["median_rank"] = float(me)
    shift = np.abs(ranks - nominal_ranks).mean(axis=1)
    total = shift.var()
    sensitivity = {}
    for name, labels in picked.items():
        labels = np.array(labels)
        options = np.unique(labels)
        if options.size < 2 or total == 0:
            sensitivity[name] = 0.0
            continue
        means = np.array([shift[labels == o].mean() for o in options])
        shares = np.array([(labels == o).mean() for o in options])
        overall = np.sum(shares * means)
        sensitivity[name] = float(np.sum(shares * (means - overall) ** 2) / total)
    return {
        "draws": settings.draws, "seed": settings.seed,
        "options": factors, "weight_jitter": settings.weight_jitter,
        "mean_rank_shift": float(shift.mean()),
        "sensitivity": sensitivity,
        "most_influential": max(sensitivity, key=sensitivity.get),
        "choices": {"rank_band": "5th to 95th percentile of the unit's rank over the draws",
                    "sensitivity": "first-order index: variance of the mean rank shift "
                                   "explained by the choice alone",
                    "skipped": "geometric aggregation of z-scores is not drawn"},
    }
