"""What moves temperature: random-intercept models of residents within communities.

Pure computation, no Django. Three nested models of one score (statsmodels MixedLM,
maximum likelihood, so that their likelihoods can be compared):

- **null**: score = γ₀ + u_community + e — how much of the variance lies between
  communities (the ICC);
- **residents**: + the residents' own covariates (age band, tenure, owner/renter…) — the
  differences that are composition, not community;
- **governance**: + the communities' governance indicators (level 2).

Reported: each model's fixed effects with standard errors, τ² (between) and σ²
(within), log-likelihood, convergence (a model that did not converge says so; its
figures are not to be read); the likelihood-ratio test of each step; and the share of
the between-community variance left after the residents' covariates that the governance
indicators explain, (τ²_residents − τ²_governance) / τ²_residents (Raudenbush & Bryk's
proportional reduction; it can come out negative in small samples and is shown as is).

Community estimates are the null model's BLUPs — γ₀ + û — pulled toward the overall mean
the more, the fewer respondents a community has, with a 95 % interval from the
conditional variance of û; rankings use them, not raw means.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
from scipy import stats

Z95 = stats.norm.ppf(0.975)


def _fit(y, exog, names, groups):
    import pandas as pd
    from statsmodels.regression.mixed_linear_model import MixedLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        # Powell first: L-BFGS (statsmodels' usual second try) can stop at τ² = 0 with an
        # infinite log-likelihood on ordinary data, and BFGS short of the optimum.
        result = MixedLM(y, pd.DataFrame(exog, columns=names), groups).fit(
            reml=False, method=["powell", "nm", "bfgs"])
    problems = sorted({str(w.message).split("\n")[0] for w in caught
                       if issubclass(w.category, ConvergenceWarning)})
    tau2 = float(np.asarray(result.cov_re)[0, 0])
    converged = bool(result.converged) and not problems and np.isfinite(result.llf)
    return result, {
        "fixed": {name: {"estimate": float(result.fe_params.iloc[i]),
                         "se": float(result.bse_fe.iloc[i])}
                  for i, name in enumerate(names)},
        "tau2": tau2, "sigma2": float(result.scale),
        "icc": tau2 / (tau2 + float(result.scale)) if tau2 + result.scale > 0 else None,
        "loglik": float(result.llf), "converged": converged, "warnings": problems,
    }


def _lr_test(simple: dict, richer: dict, df: int) -> dict:
    statistic = max(0.0, 2 * (richer["loglik"] - simple["loglik"]))
    return {"chi2": statistic, "df": df, "p": float(stats.chi2.sf(statistic, df))}


def random_intercept_models(y: Sequence[float], groups: Sequence[Hashable], *,
                            residents: Mapping[str, Sequence[float]] | None = None,
                            governance: Mapping[str, Mapping[Hashable, float]] | None = None
                            ) -> dict:
    """Fit null → residents → governance (see the module docstring). `residents` holds
    one value per respondent per covariate (numbers; dummy-code categories first);
    `governance` one value per community per indicator. Respondents with a missing value
    anywhere, and communities with no governance value, are left out of every model, so
    the three are fitted to the same rows."""
    residents = dict(residents or {})
    governance = dict(governance or {})
    y = np.asarray(y, dtype=float)
    labels = np.asarray([str(g) for g in groups], dtype=object)
    columns = {name: np.asarray(values, dtype=float) for name, values in residents.items()}
    level2 = {name: np.array([float(mapping.get(g, np.nan)) if g in mapping
                              else float(mapping.get(str(g), np.nan)) for g in groups])
              for name, mapping in governance.items()}
    keep = ~np.isnan(y)
    for values in [*columns.values(), *level2.values()]:
        if values.shape != y.shape:
            raise ValueError("Every covariate needs one value per respondent.")
        keep &= ~np.isnan(values)
    y, labels = y[keep], labels[keep]
    columns = {name: values[keep] for name, values in columns.items()}
    level2 = {name: values[keep] for name, values in level2.items()}
    communities, index, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    if communities.size < 3:
        raise ValueError("A multilevel model needs at least 3 communities.")
    # Centre the predictors on their means: the intercept stays the average resident's
    # expected score, and the estimates are unchanged otherwise.
    def design(names_values):
        names = ["intercept", *names_values]
        exog = np.column_stack([np.ones(y.size),
                                *[v - v.mean() for v in names_values.values()]])
        return exog, names

    models, fitted = {}, {}
    steps = [("null", {}), ("residents", columns), ("governance", {**columns, **level2})]
    for label, predictors in steps:
        if label == "residents" and not columns:
            continue
        if label == "governance" and not level2:
            continue
        exog, names = design(predictors)
        fitted[label], models[label] = _fit(y, exog, names, labels)
    result = {
        "n": int(y.size), "communities": int(communities.size),
        "left_out": int((~keep).sum()),
        "models": models,
        "choices": {
            "estimation": "maximum likelihood (statsmodels MixedLM), so nested models' "
                          "likelihoods compare",
            "predictors": "centred on their means",
            "missing": "respondents with any missing value, and communities with no "
                       "governance value, are left out of every model",
            "explained": "(tau2 before governance - tau2 with governance) / tau2 before",
            "estimates": "null-model BLUPs: intercept + shrunken community effect, 95% "
                         "interval from its conditional variance",
        },
    }
    order = [label for label, _ in steps if label in models]
    result["tests"] = {
        f"{a}->{b}": _lr_test(models[a], models[b],
                              len(models[b]["fixed"]) - len(models[a]["fixed"]))
        for a, b in itertools.pairwise(order)}
    if "governance" in models:
        before = models["residents" if "residents" in models else "null"]["tau2"]
        after = models["governance"]["tau2"]
        result["between_variance_explained_by_governance"] = (
            (before - after) / before if before > 0 else None)
    result["converged"] = all(m["converged"] for m in models.values())
    null = fitted["null"]
    intercept = float(null.fe_params.iloc[0])
    try:
        effects, conditional = null.random_effects, null.random_effects_cov
    except (ValueError, np.linalg.LinAlgError):
        # τ² = 0: no community differs from the overall mean beyond chance.
        effects, conditional = None, None
        result["choices"]["estimates"] = ("no between-community variance: every community "
                                          "is estimated at the overall mean")
    estimates = []
    for j, name in enumerate(communities):
        if effects is None:
            u, half = 0.0, Z95 * float(null.bse_fe.iloc[0])
        else:
            u = float(np.asarray(effects[name])[0])
            half = Z95 * float(np.sqrt(np.asarray(conditional[name])[0, 0]))
        estimates.append({"community": str(name), "n": int(sizes[j]),
                          "raw_mean": float(y[index == j].mean()),
                          "estimate": intercept + u,
                          "interval": [intercept + u - half, intercept + u + half]})
    ranks = stats.rankdata([-e["estimate"] for e in estimates], method="min")
    for estimate, rank in zip(estimates, ranks, strict=True):
        estimate["rank"] = int(rank)
    result["community_estimates"] = estimates
    return result
