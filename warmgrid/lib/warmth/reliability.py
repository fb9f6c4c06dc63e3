"""Reliability of a facet's items: Cronbach's α with Feldt's confidence interval, α if
an item is deleted, item–rest correlations, McDonald's ω total.

Pure computation, no Django. Input: respondents × items (NaN where missing, already
reverse-keyed — warmgrid.lib.warmth.scoring.clean_items). Missing answers are handled:

- `pairwise` (default): each covariance from the respondents who answered both items;
  n for the interval is the number of respondents who answered at least two items;
- `listwise`: only respondents who answered every item.

Every figure is computed from the one covariance matrix, so the choices stated in the
result hold for all of them.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

MISSING_RULES = ("pairwise", "listwise")


@dataclass(frozen=True)
class ItemStatistic:
    name: str
    n: int
    mean: float
    sd: float
    item_rest_r: float
    alpha_if_deleted: float | None


@dataclass(frozen=True)
class Reliability:
    n: int
    k: int
    alpha: float
    alpha_ci: tuple[float, float]
    omega_total: float | None
    loadings: tuple[float, ...] | None
    items: tuple[ItemStatistic, ...]
    choices: dict

    def as_dict(self) -> dict:
        return asdict(self)


def _rows(data, missing: str) -> np.ndarray:
    x = np.asarray(data, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError("Reliability needs a respondents × items table of at least 2 items.")
    if missing not in MISSING_RULES:
        raise ValueError(f"missing must be one of {MISSING_RULES}, not {missing!r}.")
    if missing == "listwise":
        return x[~np.isnan(x).any(axis=1)]
    # Pairwise keeps every answer: an item's variance uses all who answered it.
    return x[(~np.isnan(x)).any(axis=1)]


def covariance(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete covariances (ddof 1) and the counts behind each, by matrix
    products: with missing values as 0 and a 0/1 mask M, the pair (i, j) has
    n = MᵀM, Σxᵢ over rows with both = (X₀ᵀM)ᵢⱼ and Σxᵢxⱼ = (X₀ᵀX₀)ᵢⱼ."""
    present = (~np.isnan(x)).astype(float)
    zeroed = np.where(np.isnan(x), 0.0, x)
    counts = present.T @ present
    sums = zeroed.T @ present  # [i, j]: Σ xᵢ over rows where j is present (and i, as 0)
    products = zeroed.T @ zeroed
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (products - sums * sums.T / counts) / (counts - 1)
    if np.isnan(cov).any() or (counts < 2).any():
        raise ValueError("Some pair of items has fewer than 2 respondents in common.")
    return cov, counts


def alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def feldt_interval(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt (1965): (1 − α̂)/(1 − α) follows F(n − 1, (n − 1)(k − 1))."""
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    return (float(1 - (1 - alpha) * stats.f.isf(tail, df1, df2)),
            float(1 - (1 - alpha) * stats.f.isf(1 - tail, df1, df2)))


def one_factor_loadings(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardised loadings and uniquenesses of a one-factor maximum-likelihood factor
    analysis of a correlation matrix (factor_analyzer), signed so that most are positive."""
    from factor_analyzer import FactorAnalyzer

    with warnings.catch_warnings():
        # factor_analyzer 0.5.1 passes an argument scikit-learn 1.7 has renamed.
        warnings.simplefilter("ignore", FutureWarning)
        model = FactorAnalyzer(n_factors=1, rotation=None, method="ml", is_corr_matrix=True)
        model.fit(corr)
    loadings = model.loadings_[:, 0]
    if np.sum(loadings) < 0:
        loadings = -loadings
    return loadings, model.get_uniquenesses()


def omega_total(corr: np.ndarray) -> tuple[float, np.ndarray]:
    """McDonald's ω total of standardised items: (Σλ)² / ((Σλ)² + Σψ)."""
    loadings, uniquenesses = one_factor_loadings(corr)
    common = loadings.sum() ** 2
    return float(common / (common + uniquenesses.sum())), loadings


def reliability(data, names: list[str] | None = None, *, missing: str = "pairwise",
                level: float = 0.95, with_omega: bool = True) -> Reliability:
    x = _rows(data, missing)
    k = x.shape[1]
    names = names or [f"item{j + 1}" for j in range(k)]
    if len(names) != k:
        raise ValueError(f"{len(names)} names for {k} items.")
    n = int(((~np.isnan(x)).sum(axis=1) >= 2).sum())
    if n < 3:
        raise ValueError(f"Too few respondents for reliability: {n}.")
    cov, counts = covariance(x)
    alpha = alpha_from_cov(cov)
    items = []
    for i in range(k):
        rest = [j for j in range(k) if j != i]
        rest_cov = cov[np.ix_(rest, rest)]
        r = cov[i, rest].sum() / np.sqrt(cov[i, i] * rest_cov.sum())
        column = x[:, i][~np.isnan(x[:, i])]
        items.append(ItemStatistic(
            name=names[i], n=int(column.size), mean=float(column.mean()),
            sd=float(column.std(ddof=1)), item_rest_r=float(r),
            alpha_if_deleted=alpha_from_cov(rest_cov) if k > 2 else None))
    omega = loadings = None
    if with_omega and k >= 3:
        sd = np.sqrt(np.diag(cov))
        omega, loading_array = omega_total(cov / np.outer(sd, sd))
        loadings = tuple(float(v) for v in loading_array)
    choices = {
        "missing": missing,
        "missing_rule": ("each covariance from respondents who answered both items; n = "
                         "respondents with at least two answers" if missing == "pairwise"
                         else "only respondents who answered every item"),
        "alpha": "Cronbach's alpha from the item covariance matrix",
        "alpha_ci": f"Feldt (1965) {level:.0%} interval, F(n-1, (n-1)(k-1))",
        "item_rest_r": "correlation of the item with the sum of the other items",
        "omega": ("McDonald's omega total from a one-factor maximum-likelihood factor "
                  "analysis of the correlation matrix (factor_analyzer)"
                  if omega is not None else "not computed (fewer than 3 items)"),
        "min_pair_n": int(counts.min()),
    }
    return Reliability(n=n, k=k, alpha=alpha, alpha_ci=feldt_interval(alpha, n, k, level),
                       omega_total=omega, loadings=loadings, items=tuple(items),
                       choices=choices)
