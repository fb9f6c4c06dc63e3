"""KMO, Bartlett and EFA checked against factor_analyzer's own functions and statsmodels."""

import numpy as np
import pytest
from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity, calculate_kmo
from statsmodels.multivariate.factor import Factor

from warmgrid.lib.warmth.structure import bartlett, correlation, efa, kmo, structure


def two_factors(n=1000, r=0.4, seed=11):
    """Six items: 1–3 load on the first factor, 4–6 on the second; factors correlate r."""
    rng = np.random.default_rng(seed)
    f = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], size=n)
    pattern = np.array([[.8, 0], [.7, 0], [.6, 0], [0, .8], [0, .7], [0, .6]])
    return f @ pattern.T + rng.normal(size=(n, 6)) * np.sqrt(1 - (pattern ** 2).sum(axis=1))


def test_kmo_and_bartlett_match_factor_analyzer_on_complete_data():
    x = two_factors()
    corr, n = correlation(x)
    overall, per_item = kmo(corr)
    their_items, their_overall = calculate_kmo(x)
    assert overall == pytest.approx(their_overall, abs=1e-10)
    assert np.allclose(per_item, their_items, atol=1e-10)
    chi2, p = calculate_bartlett_sphericity(x)
    assert bartlett(corr, n)["chi2"] == pytest.approx(chi2, rel=1e-10)
    assert bartlett(corr, n)["p"] == pytest.approx(p, abs=1e-12)
    assert bartlett(corr, n)["df"] == 15


def test_ml_varimax_loadings_match_statsmodels():
    x = two_factors(r=0.0)
    corr, _ = correlation(x)
    ours = np.array(efa(corr, 2, method="ml", rotation="varimax", normalize=False)["loadings"])
    fit = Factor(x, n_factor=2, method="ml").fit()
    fit.rotate("varimax")
    theirs = fit.loadings * np.where(fit.loadings.sum(axis=0) < 0, -1, 1)
    theirs = theirs[:, np.argsort(-(theirs ** 2).sum(axis=0))]
    assert np.allclose(ours, theirs, atol=2e-3)


def test_normalised_varimax_finds_the_simple_structure():
    loadings = np.array(efa(correlation(two_factors(r=0.0))[0], 2, rotation="varimax")["loadings"])
    assert (loadings[:3, 0] > 0.55).all() and (loadings[3:, 1] > 0.55).all()
    assert np.abs(loadings[:3, 1]).max() < 0.06 and np.abs(loadings[3:, 0]).max() < 0.06


def test_oblimin_recovers_the_pattern_and_the_factor_correlation():
    result = efa(correlation(two_factors(n=3000, r=0.4))[0], 2, rotation="oblimin")
    loadings = np.array(result["loadings"])
    first = int(np.argmax(np.abs(loadings[0])))
    assert (np.abs(loadings[:3, first]) > 0.5).all() and (np.abs(loadings[3:, first]) < 0.15).all()
    assert result["factor_correlations"][0][1] == pytest.approx(0.4, abs=0.08)
    assert result["choices"]["rotation"] == "oblimin"


def test_structure_reports_every_figure_with_its_choices_and_handles_missing_answers():
    x = two_factors(seed=12)
    x[np.random.default_rng(13).random(x.shape) < 0.05] = np.nan
    result = structure(x, n_factors=2, missing="listwise", method="ml", rotation="varimax")
    assert result["factors_above_1"] == 2
    assert result["n"] == int((~np.isnan(x).any(axis=1)).sum())
    assert result["choices"]["missing"] == "listwise" and result["efa"]["choices"]["method"] == "ml"
    with pytest.raises(ValueError, match="factors"):
        efa(correlation(x)[0], 6)
