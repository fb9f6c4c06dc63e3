"""Post-stratification, raking and Kish's effective n, against the textbook: the margins
are met, raking on one variable is post-stratification, and respondent-level raking gives
what table-level iterative proportional fitting gives."""

import numpy as np
import pytest

from warmgrid.lib.warmth.weights import kish_effective_n, post_stratify, rake


def sample(seed=21, n=600):
    rng = np.random.default_rng(seed)
    age = rng.choice(["18-39", "40-59", "60+"], size=n, p=[0.2, 0.3, 0.5])  # the old answer more
    tenure = rng.choice(["owner", "renter"], size=n, p=[0.8, 0.2])
    return age, tenure


AGE = {"18-39": 4000, "40-59": 3500, "60+": 2500}
TENURE = {"owner": 6500, "renter": 3500}


def test_raked_weights_meet_every_margin():
    age, tenure = sample()
    result = rake({"age": age, "tenure": tenure}, {"age": AGE, "tenure": TENURE})
    assert result["converged"]
    w = result["weights"]
    for values, margin in ((age, AGE), (tenure, TENURE)):
        for category, target in margin.items():
            assert w[values == category].sum() == pytest.approx(target, rel=1e-7)
    assert result["kish_effective_n"] < len(w)


def test_raking_matches_iterative_proportional_fitting_of_the_table():
    age, tenure = sample(seed=22)
    rows, cols = list(AGE), list(TENURE)
    table = np.array([[np.sum((age == a) & (tenure == t)) for t in cols] for a in rows], float)
    fitted = table.copy()
    for _ in range(200):
        fitted *= (np.array([AGE[a] for a in rows]) / fitted.sum(axis=1))[:, None]
        fitted *= (np.array([TENURE[t] for t in cols]) / fitted.sum(axis=0))[None, :]
    w = rake({"age": age, "tenure": tenure}, {"age": AGE, "tenure": TENURE})["weights"]
    for i, a in enumerate(rows):
        for j, t in enumerate(cols):
            cell = (age == a) & (tenure == t)
            assert np.allclose(w[cell], fitted[i, j] / table[i, j], rtol=1e-6)


def test_raking_on_one_variable_is_post_stratification():
    age, _ = sample(seed=23)
    raked = rake({"age": age}, {"age": AGE})["weights"]
    assert np.allclose(raked, post_stratify(age, AGE)["weights"])


def test_post_stratification_reports_empty_cells_and_refuses_unknown_ones():
    result = post_stratify(["a", "a", "b"], {"a": 10, "b": 5, "c": 7})
    assert list(result["weights"]) == [5, 5, 5] and result["empty_cells"] == ["c"]
    with pytest.raises(ValueError, match="no population count"):
        post_stratify(["a", "z"], {"a": 10})


def test_kish_effective_n():
    assert kish_effective_n([2, 2, 2, 2]) == pytest.approx(4)
    assert kish_effective_n([1, 3]) == pytest.approx(16 / 10)
    with pytest.raises(ValueError):
        kish_effective_n([0, 0])


def test_margins_with_different_totals_are_refused():
    age, tenure = sample()
    with pytest.raises(ValueError, match="totals differ"):
        rake({"age": age, "tenure": tenure}, {"age": AGE, "tenure": {"owner": 1, "renter": 1}})
