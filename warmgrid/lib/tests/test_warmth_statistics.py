"""Reliability and between-community statistics, each checked against an independent
computation: pingouin, statsmodels, scipy or the textbook formula written out."""

import numpy as np
import pandas as pd
import pingouin
import pytest
from statsmodels.multivariate.factor import Factor
from statsmodels.regression.mixed_linear_model import MixedLM

from warmgrid.lib.warmth.groups import icc_oneway, respondents_needed, rwg_j
from warmgrid.lib.warmth.reliability import reliability


def congeneric(n=400, loadings=(0.8, 0.7, 0.6, 0.5, 0.4), seed=1):
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=(n, 1))
    noise = rng.normal(size=(n, len(loadings))) * np.sqrt(1 - np.square(loadings))
    return trait * np.array(loadings) + noise


def test_alpha_and_its_feldt_interval_match_pingouin_on_complete_data():
    x = congeneric()
    ours = reliability(x)
    alpha, ci = pingouin.cronbach_alpha(pd.DataFrame(x))
    assert ours.alpha == pytest.approx(alpha, abs=1e-12)
    assert ours.alpha_ci == pytest.approx(tuple(ci), abs=5e-4)  # pingouin rounds to 3 places
    assert ours.n == 400 and ours.k == 5


def test_pairwise_and_listwise_alpha_match_pingouin_with_missing_answers():
    x = congeneric(seed=2)
    rng = np.random.default_rng(3)
    x[rng.random(x.shape) < 0.1] = np.nan
    pairwise = reliability(x, missing="pairwise")
    listwise = reliability(x, missing="listwise")
    assert pairwise.alpha == pytest.approx(
        pingouin.cronbach_alpha(pd.DataFrame(x), nan_policy="pairwise")[0], abs=1e-12)
    assert listwise.alpha == pytest.approx(
        pingouin.cronbach_alpha(pd.DataFrame(x), nan_policy="listwise")[0], abs=1e-12)
    assert listwise.n == int((~np.isnan(x).any(axis=1)).sum()) < pairwise.n
    assert pairwise.choices["missing"] == "pairwise" and "Feldt" in pairwise.choices["alpha_ci"]


def test_alpha_if_deleted_and_item_rest_correlations_follow_their_definitions():
    x = congeneric(seed=4)
    ours = reliability(x, names=list("abcde"))
    for i, item in enumerate(ours.items):
        rest = np.delete(x, i, axis=1)
        assert item.alpha_if_deleted == pytest.approx(
            pingouin.cronbach_alpha(pd.DataFrame(rest))[0], abs=1e-12)
        assert item.item_rest_r == pytest.approx(
            np.corrcoef(x[:, i], rest.sum(axis=1))[0, 1], abs=1e-12)
    # The weakest item is the one whose deletion helps alpha most.
    assert max(ours.items, key=lambda s: s.alpha_if_deleted).name == "e"


def test_omega_matches_a_one_factor_ml_solution_from_statsmodels():
    x = congeneric(n=800, seed=5)
    ours = reliability(x)
    fit = Factor(x, n_factor=1, method="ml").fit()
    loadings = np.abs(fit.loadings[:, 0])
    expected = loadings.sum() ** 2 / (loadings.sum() ** 2 + fit.uniqueness.sum())
    assert ours.omega_total == pytest.approx(expected, abs=1e-4)
    assert np.allclose(ours.loadings, loadings, atol=1e-3)
    assert ours.omega_total >= ours.alpha - 1e-9  # congeneric items: omega is not below alpha


def test_reliability_refuses_what_it_cannot_compute():
    with pytest.raises(ValueError, match="at least 2 items"):
        reliability(np.ones((10, 1)))
    with pytest.raises(ValueError, match="missing must be"):
        reliability(congeneric(), missing="mean")


def test_icc_matches_the_random_intercept_model_on_balanced_data():
    rng = np.random.default_rng(6)
    groups = np.repeat(np.arange(40), 25)
    y = rng.normal(size=40)[groups] * 0.5 + rng.normal(size=groups.size)
    ours = icc_oneway(y, groups)
    fit = MixedLM(y, np.ones((y.size, 1)), groups).fit(reml=True)
    tau2, sigma2 = float(np.asarray(fit.cov_re)[0, 0]), float(fit.scale)
    assert fit.converged
    # With equal sizes the ANOVA estimator and REML agree (when the variance is positive).
    assert ours["icc1"] == pytest.approx(tau2 / (tau2 + sigma2), abs=1e-4)
    assert ours["icc2"] == pytest.approx(tau2 / (tau2 + sigma2 / 25), abs=1e-4)


def test_icc_with_unequal_sizes_uses_n0_and_matches_scipy_anova():
    from scipy.stats import f_oneway

    rng = np.random.default_rng(7)
    sizes = rng.integers(5, 40, size=30)
    groups = np.repeat(np.arange(30), sizes)
    y = rng.normal(size=30)[groups] * 0.4 + rng.normal(size=groups.size)
    ours = icc_oneway(y, groups)
    f, p = f_oneway(*[y[groups == g] for g in range(30)])
    n, j = sizes.sum(), sizes.size
    n0 = (n - np.sum(sizes ** 2) / n) / (j - 1)
    assert ours["f"] == pytest.approx(f) and ours["p"] == pytest.approx(p)
    assert ours["n0"] == pytest.approx(n0)
    assert ours["icc1"] == pytest.approx((f - 1) / (f + n0 - 1))
    assert ours["icc2"] == pytest.approx(1 - 1 / f)


def test_rwg_follows_james_demaree_and_wolf():
    answers = np.array([[4, 5, 4], [4, 4, 5], [5, 4, 4], [3, 4, 4]], dtype=float)
    mean_var = np.mean(answers.var(axis=0, ddof=1))
    ratio = mean_var / 2.0  # 5-point uniform null: (25 - 1) / 12
    assert rwg_j(answers, 5) == pytest.approx(3 * (1 - ratio) / (3 * (1 - ratio) + ratio))
    assert rwg_j(np.array([1, 5, 1, 5, 1, 5.0]), 5) == 0.0  # more spread than chance
    assert rwg_j(np.array([4, 4, 4.0]), 5) == 1.0


def test_respondents_needed_reproduces_the_guidance():
    # The guidance: about 21 respondents at ICC(1) = .10 and 45 at .05.
    assert respondents_needed(0.10) == 21
    assert respondents_needed(0.05) == 45
    icc1, k = 0.10, respondents_needed(0.10)
    assert k * icc1 / (1 + (k - 1) * icc1) >= 0.70  # Spearman–Brown at that size
