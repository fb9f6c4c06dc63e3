"""CFA: the fit indices against semopy's own and the ML discrepancy written out; a right
model fits and a wrong one does not."""

import numpy as np
import pandas as pd
import pytest
import semopy

from warmgrid.lib.warmth.cfa import cfa, fit_indices, model_description, srmr

NAMES = [f"x{i}" for i in range(6)]
RIGHT = {"trust": ["x0", "x1", "x2"], "ties": ["x3", "x4", "x5"]}
WRONG = {"trust": ["x0", "x3", "x1"], "ties": ["x4", "x2", "x5"]}


def two_factors(n=1000, seed=71):
    rng = np.random.default_rng(seed)
    f = rng.multivariate_normal([0, 0], [[1, 0.4], [0.4, 1]], size=n)
    loadings = np.array([[.8, 0], [.7, 0], [.6, 0], [0, .8], [0, .7], [0, .6]])
    noise = rng.normal(size=(n, 6)) * np.sqrt(1 - (loadings ** 2).sum(axis=1))
    return f @ loadings.T + noise


def test_the_right_model_fits_and_the_wrong_one_does_not():
    x = two_factors()
    right, wrong = cfa(x, NAMES, RIGHT), cfa(x, NAMES, WRONG)
    assert right["converged"] and right["df"] == 8
    assert right["cfi"] > 0.98 and right["rmsea"] < 0.05 and right["srmr"] < 0.03
    assert wrong["cfi"] < 0.9 and wrong["rmsea"] > 0.1 and wrong["srmr"] > right["srmr"]
    assert right["standardised_loadings"]["trust"]["x0"] == pytest.approx(0.8, abs=0.06)
    assert right["factor_correlations"]["trust~~ties"] == pytest.approx(0.4, abs=0.08)


def test_indices_match_semopy_and_chi2_is_the_ml_discrepancy():
    x = two_factors(seed=72)
    ours = cfa(x, NAMES, RIGHT)
    model = semopy.Model(model_description(RIGHT))
    model.fit(pd.DataFrame(x, columns=NAMES), obj="MLW")
    theirs = semopy.calc_stats(model).iloc[0]
    # semopy leaves CFI above 1 when chi-square is below df; the definition caps it at 1.
    assert ours["cfi"] == pytest.approx(min(1.0, float(theirs["CFI"])), abs=1e-4)
    assert ours["tli"] == pytest.approx(float(theirs["TLI"]), abs=1e-4)
    assert ours["rmsea"] == pytest.approx(float(theirs["RMSEA"]), abs=1e-4)
    implied, _ = model.calc_sigma()
    sample = np.cov(x, rowvar=False, bias=True)
    discrepancy = (np.linalg.slogdet(implied)[1] - np.linalg.slogdet(sample)[1]
                   + np.trace(sample @ np.linalg.inv(implied)) - 6)
    assert ours["chi2"] == pytest.approx(len(x) * discrepancy, rel=1e-3)


def test_srmr_and_the_textbook_indices():
    cov = np.array([[1.0, 0.5], [0.5, 1.0]])
    assert srmr(cov, cov) == 0
    assert srmr(cov, np.eye(2)) == pytest.approx(np.sqrt(0.25 / 3))
    perfect = fit_indices(chi2=5.0, df=8, chi2_base=500.0, df_base=15, n=300)
    assert perfect["cfi"] == 1.0 and perfect["rmsea"] == 0.0


def test_refusals():
    with pytest.raises(ValueError, match="3 items"):
        cfa(two_factors(), NAMES, {"a": ["x0", "x1"]})
    with pytest.raises(ValueError, match="variable name"):
        model_description({"信任": ["x0", "x1", "x2"]})
