"""Confirmatory factor analysis of the instrument's own structure: each reflective facet a
latent factor measured by its items, the factors free to correlate.

Pure, no Django. semopy estimates the model (maximum likelihood, its `MLW` objective;
it has no `ML`); the fit indices are computed here from the χ² of the model and of the
baseline (independence) model with the textbook formulas, and SRMR — which semopy does
not give — from the residual correlations:

- CFI = 1 − max(χ² − df, 0) / max(χ²_b − df_b, χ² − df, 0)
- TLI = (χ²_b/df_b − χ²/df) / (χ²_b/df_b − 1)
- RMSEA = √(max(χ² − df, 0) / (df · (N − 1)))
- SRMR = √(mean over i ≤ j of (r_ij − σ̂_ij/√(σ̂_ii σ̂_jj))²)

Complete answers only (listwise): the estimator needs them.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def model_description(facets: Mapping[str, Sequence[str]]) -> str:
    """lavaan-style syntax: `facet =~ item1 + item2 + item3`, one line a facet."""
    for name in [*facets, *(i for items in facets.values() for i in items)]:
        if not _NAME.match(name):
            raise ValueError(f"{name!r} cannot be a CFA variable name (letters, digits, _).")
    return "\n".join(f"{facet} =~ {' + '.join(items)}" for facet, items in facets.items())


def srmr(sample_cov: np.ndarray, implied_cov: np.ndarray) -> float:
    sd_s, sd_i = np.sqrt(np.diag(sample_cov)), np.sqrt(np.diag(implied_cov))
    residual = sample_cov / np.outer(sd_s, sd_s) - implied_cov / np.outer(sd_i, sd_i)
    lower = residual[np.tril_indices_from(residual)]
    return float(np.sqrt(np.mean(lower ** 2)))


def fit_indices(chi2: float, df: int, chi2_base: float, df_base: int, n: int) -> dict:
    excess, base_excess = max(chi2 - df, 0.0), max(chi2_base - df_base, 0.0)
    denominator = max(base_excess, excess)
    return {
        "chi2": chi2, "df": df, "p": float(stats.chi2.sf(chi2, df)) if df > 0 else None,
        "cfi": 1 - excess / denominator if denominator > 0 else 1.0,
        "tli": ((chi2_base / df_base - chi2 / df) / (chi2_base / df_base - 1))
        if df > 0 and df_base > 0 and chi2_base / df_base != 1 else None,
        "rmsea": math.sqrt(excess / (df * (n - 1))) if df > 0 and n > 1 else None,
    }


def cfa(data, names: Sequence[str], facets: Mapping[str, Sequence[str]]) -> dict:
    """Fit the facets' measurement model to the answers (respondents × named items)."""
    import pandas as pd
    import semopy

    x = np.asarray(data, dtype=float)
    if x.shape[1] != len(names):
        raise ValueError(f"{len(names)} names for {x.shape[1]} columns.")
    if any(len(items) < 3 for items in facets.values()):
        raise ValueError("Every factor needs at least 3 items.")
    used = [i for items in facets.values() for i in items]
    columns = [list(names).index(i) for i in used]
    complete = x[:, columns][~np.isnan(x[:, columns]).any(axis=1)]
    n, p = complete.shape
    if n <= p:
        raise ValueError(f"Too few complete answers for a CFA of {p} items: {n}.")
    table = pd.DataFrame(complete, columns=used)
    model = semopy.Model(model_description(facets))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # semopy's numerical warnings; convergence below
        result = model.fit(table, obj="MLW")
        statistics = semopy.calc_stats(model)
    row = statistics.iloc[0]
    implied, _ = model.calc_sigma()
    observed = [used.index(v) for v in model.vars["observed"]]
    sample = np.cov(complete[:, observed], rowvar=False, bias=True)
    figures = fit_indices(float(row["chi2"]), int(row["DoF"]), float(row["chi2 Baseline"]),
                          int(row["DoF Baseline"]), n)
    figures["srmr"] = srmr(sample, implied)
    estimates = model.inspect(std_est=True)
    loadings = {facet: {} for facet in facets}
    for _, r in estimates[estimates["op"] == "~"].iterrows():
        if r["rval"] in loadings:
            loadings[r["rval"]][r["lval"]] = float(r["Est. Std"])
    order = list(facets)
    correlations = {"~~".join(sorted((r["lval"], r["rval"]), key=order.index)):
                    float(r["Est. Std"])
                    for _, r in estimates[estimates["op"] == "~~"].iterrows()
                    if r["lval"] in facets and r["rval"] in facets and r["lval"] != r["rval"]}
    return {
        "n": int(n), "items": p, "factors": len(facets), **figures,
        "converged": bool(getattr(result, "success", True)),
        "standardised_loadings": loadings, "factor_correlations": correlations,
        "choices": {"estimator": "maximum likelihood (semopy, MLW objective)",
                    "missing": "listwise: complete answers on the model's items only",
                    "model": "each reflective facet one factor; factors correlate freely",
                    "indices": "CFI, TLI, RMSEA from the model and baseline chi-square; "
                               "SRMR from the residual correlations"},
    }
