"""The composite index: each normalisation, weighting and aggregation against the
formula written out, the JRC outlier rule, and the Monte Carlo rank bands."""

import numpy as np
import pytest
from scipy import stats
from sklearn.decomposition import PCA

from warmgrid.lib.warmth.composite import (
    Choices,
    Indicator,
    MonteCarlo,
    build_index,
    composite,
    normalise,
    temperature,
    winsorise,
)

UNITS = ["A", "B", "C", "D"]
VALUES = np.array([[0.9, 200.0], [0.5, 400.0], [0.7, 300.0], [0.6, 800.0]])
INDICATORS = [Indicator("on_time", 1, target=0.8, weight=3),
              Indicator("residents_per_worker", -1, target=300, weight=1)]


def test_minmax_equal_arithmetic_by_hand_with_polarity():
    result = build_index(UNITS, VALUES, INDICATORS, Choices(outliers="none"))
    on_time = (VALUES[:, 0] - 0.5) / 0.4 * 100
    per_worker = (800 - VALUES[:, 1]) / 600 * 100  # fewer residents per worker is better
    expected = (on_time + per_worker) / 2
    assert [r["score"] for r in result["units"]] == pytest.approx(expected.tolist())
    assert [r["rank"] for r in result["units"]] == [1, 3, 2, 4]  # 100, 33.3, 66.7, 12.5
    assert result["units"][0]["temperature"] == temperature(expected[0])


def test_geometric_expert_and_target_by_hand():
    choices = Choices(normalisation="target", weighting="expert", aggregation="geometric",
                      outliers="none")
    scores, weights, _ = composite(VALUES, INDICATORS, choices)
    on_time = np.maximum(100 * np.minimum(VALUES[:, 0] / 0.8, 1), 1)
    per_worker = np.maximum(100 * np.minimum(300 / VALUES[:, 1], 1), 1)
    assert weights.tolist() == [0.75, 0.25]
    assert scores == pytest.approx(on_time ** 0.75 * per_worker ** 0.25)


def test_pca_weights_are_the_first_components_squared_loadings():
    rng = np.random.default_rng(31)
    common = rng.normal(size=(50, 1))
    values = common * [1, 0.8, 0.3] + rng.normal(size=(50, 3)) * [0.3, 0.5, 1]
    indicators = [Indicator(f"i{j}") for j in range(3)]
    _, weights, _ = composite(values, indicators, Choices(weighting="pca", outliers="none"))
    normalised = normalise(values, indicators, "minmax")
    standardised = (normalised - normalised.mean(0)) / normalised.std(0)
    first = PCA(n_components=1).fit(standardised).components_[0] ** 2
    assert weights == pytest.approx(first / first.sum())
    assert weights[2] < min(weights[0], weights[1])  # the loosely tied one weighs least


def test_the_jrc_outlier_rule():
    rng = np.random.default_rng(32)
    column = np.append(rng.normal(10, 1, size=60), [60.0, 45.0])
    treated, changed = winsorise(column)
    assert 1 <= changed <= 5
    assert 60.0 not in treated and treated.max() <= 45 and treated.min() == column.min()
    assert not (abs(stats.skew(treated)) > 2 and stats.kurtosis(treated) > 3.5)
    calm = rng.normal(size=100)
    assert winsorise(calm)[1] == 0


def test_monte_carlo_bands_and_the_choice_that_moves_ranks():
    rng = np.random.default_rng(33)
    values = rng.uniform(size=(30, 4))
    values[0] = 2.0  # best on every indicator: first whatever the choices
    indicators = [Indicator(f"i{j}", weight=j + 1) for j in range(4)]
    only_weights = MonteCarlo(draws=300, seed=5, weight_jitter=0.0,
                              options={"weighting": ["equal", "expert", "pca"]})
    result = build_index([f"u{i}" for i in range(30)], values, indicators,
                         Choices(outliers="none"), only_weights)
    mc = result["monte_carlo"]
    assert mc["most_influential"] == "weighting"
    assert mc["sensitivity"]["normalisation"] == 0.0
    assert result["units"][0]["rank_band"] == [1.0, 1.0]
    inside = [u["rank_band"][0] <= u["rank"] <= u["rank_band"][1] for u in result["units"]]
    assert sum(inside) >= 27
    again = build_index([f"u{i}" for i in range(30)], values, indicators,
                        Choices(outliers="none"), only_weights)
    assert again["monte_carlo"] == mc


def test_refusals():
    with pytest.raises(ValueError, match="geometrically"):
        Choices(normalisation="zscore", aggregation="geometric")
    with pytest.raises(ValueError, match="missing values"):
        build_index(UNITS, np.where(VALUES > 700, np.nan, VALUES), INDICATORS, Choices())
    with pytest.raises(ValueError, match="polarity"):
        Indicator("x", polarity=2)


def test_temperature_mapping():
    assert temperature(50) == {"degrees": 20.0, "band": "mild"}
    assert temperature(100) == {"degrees": 40.0, "band": "warm"}
    assert temperature(0)["band"] == "cold"
