"""How much of a score belongs to the community rather than the resident, and how many
respondents a community needs.

Pure computation, no Django.

- ICC(1) and ICC(2) from a one-way ANOVA (Bliese 2000): ICC(1) = (MSB − MSW) / (MSB +
  (n₀ − 1)·MSW), where for unequal community sizes n₀ = (N − Σnⱼ²/N) / (J − 1) replaces the
  common size; ICC(2) = (MSB − MSW) / MSB, the reliability of the community means.
- r_wg(j) (James, Demaree & Wolf 1984): agreement within one community on J items of an
  A-point scale, against a uniform null of variance (A² − 1)/12; 0 when the observed
  variance exceeds the null's (the usual truncation).
- Respondents needed for reliable community means: Spearman–Brown solved for the group
  size, k = ICC(2)·(1 − ICC(1)) / (ICC(1)·(1 − ICC(2))) — 21 at ICC(1) = .10 and 45 at
  .05 for ICC(2) = .70.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np
from scipy import stats


def icc_oneway(values: Sequence[float], groups: Sequence[Hashable]) -> dict:
    """ICC(1), ICC(2) and the ANOVA behind them; missing values are left out."""
    y = np.asarray(values, dtype=float)
    labels = np.asarray(groups, dtype=object)
    if y.shape != labels.shape:
        raise ValueError("values and groups must have the same length.")
    keep = ~np.isnan(y)
    y, labels = y[keep], labels[keep]
    _, index = np.unique(labels.astype(str), return_inverse=True)
    sizes = np.bincount(index)
    j, total = sizes.size, y.size
    if j < 2 or total - j < 1:
        raise ValueError("ICC needs at least two communities and more answers than "
                         "communities.")
    means = np.bincount(index, weights=y) / sizes
    grand = y.mean()
    ss_between = float(np.sum(sizes * (means - grand) ** 2))
    ss_within = float(np.sum((y - means[index]) ** 2))
    msb, msw = ss_between / (j - 1), ss_within / (total - j)
    n0 = (total - np.sum(sizes ** 2) / total) / (j - 1)
    f = msb / msw if msw > 0 else math.inf
    return {
        "icc1": float((msb - msw) / (msb + (n0 - 1) * msw)),
        "icc2": float((msb - msw) / msb) if msb > 0 else None,
        "groups": int(j), "n": int(total), "n0": float(n0),
        "ms_between": msb, "ms_within": msw, "f": float(f),
        "p": float(stats.f.sf(f, j - 1, total - j)),
        "choices": {
            "method": "one-way ANOVA estimates (Bliese 2000)",
            "unequal_sizes": "n0 = (N - sum(n_j^2)/N) / (J - 1) in place of a common size",
            "missing": "answers with no score are left out",
        },
    }


def rwg_j(answers, scale_points: int) -> float | None:
    """r_wg(j) of one community's answers (respondents × items, NaN where missing)."""
    x = np.asarray(answers, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if scale_points < 2:
        raise ValueError("A scale needs at least two points.")
    variances = [np.var(col[~np.isnan(col)], ddof=1) for col in x.T
                 if (~np.isnan(col)).sum() >= 2]
    if not variances:
        return None
    null = (scale_points ** 2 - 1) / 12
    ratio = float(np.mean(variances)) / null
    if ratio >= 1:
        return 0.0
    items = len(variances)
    return items * (1 - ratio) / (items * (1 - ratio) + ratio)


def respondents_needed(icc1: float, reliability: float = 0.70) -> int:
    """The community size at which the mean reaches `reliability` (ICC(2))."""
    if not 0 < icc1 < 1 or not 0 < reliability < 1:
        raise ValueError("ICC(1) and the reliability wanted are between 0 and 1.")
    return math.ceil(reliability * (1 - icc1) / (icc1 * (1 - reliability)) - 1e-9)
