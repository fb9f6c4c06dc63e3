"""The multilevel model on data generated with known between-community variance, a
resident covariate and a governance effect; BLUPs against the textbook formula."""

import numpy as np
import pytest

from warmgrid.lib.warmth.multilevel import random_intercept_models


def district(seed=41, communities=60, governance_effect=4.0, sizes=(10, 60)):
    rng = np.random.default_rng(seed)
    governance = {f"c{j}": rng.normal() for j in range(communities)}
    noise = {f"c{j}": rng.normal() * 3.0 for j in range(communities)}
    size = rng.integers(*sizes, size=communities)
    groups = np.repeat(list(governance), size)
    owner = rng.integers(0, 2, size=groups.size).astype(float)
    y = (60 + np.array([governance_effect * governance[g] + noise[g] for g in groups])
         + 5 * owner + rng.normal(size=groups.size) * 10)
    return y, groups, owner, governance


def test_the_three_models_recover_the_generating_model():
    y, groups, owner, governance = district()
    result = random_intercept_models(y, groups, residents={"owner": owner},
                                     governance={"governance": governance})
    assert result["converged"]
    models = result["models"]
    assert models["residents"]["fixed"]["owner"]["estimate"] == pytest.approx(5, abs=1.0)
    assert models["governance"]["fixed"]["governance"]["estimate"] == pytest.approx(4, abs=1.2)
    # Between variance 16 + 9 of which governance is 16: about 64 % explained.
    assert result["between_variance_explained_by_governance"] == pytest.approx(0.64, abs=0.2)
    assert result["tests"]["residents->governance"]["df"] == 1
    assert result["tests"]["residents->governance"]["p"] < 1e-6
    assert result["tests"]["null->residents"]["p"] < 1e-6
    null = models["null"]
    assert null["icc"] == pytest.approx(null["tau2"] / (null["tau2"] + null["sigma2"]))


def test_an_unrelated_indicator_explains_nothing_much():
    y, groups, owner, _ = district(seed=42, governance_effect=0.0)
    noise = {g: v for g, v in zip([f"c{j}" for j in range(60)],
                                  np.random.default_rng(1).normal(size=60), strict=True)}
    result = random_intercept_models(y, groups, residents={"owner": owner},
                                     governance={"noise": noise})
    assert result["tests"]["residents->governance"]["p"] > 0.01
    assert abs(result["between_variance_explained_by_governance"]) < 0.2


def test_community_estimates_are_the_blup_formula():
    y, groups, _, _ = district(seed=43)
    result = random_intercept_models(y, groups)
    null = result["models"]["null"]
    tau2, sigma2 = null["tau2"], null["sigma2"]
    gamma = null["fixed"]["intercept"]["estimate"]
    for row in result["community_estimates"]:
        shrink = tau2 / (tau2 + sigma2 / row["n"])
        assert row["estimate"] == pytest.approx(gamma + shrink * (row["raw_mean"] - gamma),
                                                abs=1e-3)
        half = (row["interval"][1] - row["interval"][0]) / 2
        assert half == pytest.approx(1.959964 * np.sqrt(tau2 * sigma2 / (row["n"] * tau2
                                                                          + sigma2)), rel=1e-3)
    best = min(result["community_estimates"], key=lambda r: r["rank"])
    assert best["estimate"] == max(r["estimate"] for r in result["community_estimates"])


def test_missing_values_leave_out_the_same_rows_everywhere():
    y, groups, owner, governance = district(seed=44)
    y[:5] = np.nan
    owner[5:8] = np.nan
    del governance["c59"]
    result = random_intercept_models(y, groups, residents={"owner": owner},
                                     governance={"governance": governance})
    assert result["left_out"] == 8 + int((groups[8:] == "c59").sum())
    assert result["communities"] == 59
    with pytest.raises(ValueError, match="at least 3"):
        random_intercept_models([1, 2, 3, 4], ["a", "a", "b", "b"])


def test_no_between_community_variance_estimates_everyone_at_the_mean():
    rng = np.random.default_rng(45)
    groups = np.repeat([f"c{j}" for j in range(20)], 15)
    y = rng.normal(size=groups.size)
    for g in set(groups):  # every community's mean exactly the same
        y[groups == g] -= y[groups == g].mean()
    result = random_intercept_models(y + 50, groups)
    assert result["models"]["null"]["tau2"] == pytest.approx(0, abs=1e-6)
    for row in result["community_estimates"]:
        assert row["estimate"] == pytest.approx(50, abs=1e-3)
        assert row["interval"][0] < 50 < row["interval"][1]
