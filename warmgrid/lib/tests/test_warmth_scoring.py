"""Scoring: reverse keying, "don't know", out-of-range answers and the minimum-answered
rule, as properties over generated answers."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warmgrid.lib.warmth.scoring import ItemSpec, score

DONT_KNOW = 9

ITEMS = [
    ItemSpec("t1", "trust", "capital", 1, 5, missing_codes=frozenset({DONT_KNOW})),
    ItemSpec("t2", "trust", "capital", 1, 5, reverse=True, missing_codes=frozenset({DONT_KNOW})),
    ItemSpec("t3", "trust", "capital", 1, 5, missing_codes=frozenset({DONT_KNOW})),
    ItemSpec("n1", "norms", "capital", 1, 5),
    ItemSpec("n2", "norms", "capital", 1, 5),
    ItemSpec("b1", "belonging", "outcomes", 0, 10),
]

answer = st.one_of(st.integers(1, 5).map(float), st.just(math.nan), st.just(float(DONT_KNOW)))
rows = st.lists(st.tuples(answer, answer, answer, st.integers(1, 5).map(float) | st.just(math.nan),
                          st.integers(1, 5).map(float), st.integers(0, 10).map(float)),
                min_size=1, max_size=30)


def test_a_worked_example():
    # t2 is reversed (2 → 4); "don't know" on t3 is left out; belonging 7 of 0–10 → 70.
    result = score([[5, 2, DONT_KNOW, 4, 2, 7]], ITEMS, min_answered=0.5)
    assert result.facets["trust"][0] == pytest.approx((100 + 75) / 2)
    assert result.facets["norms"][0] == pytest.approx((75 + 25) / 2)
    assert result.dimensions["capital"][0] == pytest.approx((87.5 + 50) / 2)
    assert result.facets["belonging"][0] == pytest.approx(70)
    assert result.choices["min_answered"] == 0.5


@settings(max_examples=60, deadline=None)
@given(rows)
def test_reverse_keying_is_the_same_as_answering_the_other_way_round(data):
    data = np.array(data, dtype=float)
    flipped_items = [ItemSpec(i.name, i.facet, i.dimension, i.low, i.high,
                              reverse=not i.reverse, missing_codes=i.missing_codes)
                     if i.name == "t2" else i for i in ITEMS]
    flipped = data.copy()
    answered = ~np.isnan(flipped[:, 1]) & (flipped[:, 1] != DONT_KNOW)
    flipped[answered, 1] = 6 - flipped[answered, 1]
    a, b = score(data, ITEMS), score(flipped, flipped_items)
    for facet in a.facets:
        np.testing.assert_allclose(a.facets[facet], b.facets[facet], equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(rows)
def test_dont_know_counts_as_missing_never_as_a_value(data):
    data = np.array(data, dtype=float)
    as_missing = np.where(data[:, :3] == DONT_KNOW, np.nan, data[:, :3])
    blanked = data.copy()
    blanked[:, :3] = as_missing
    a, b = score(data, ITEMS), score(blanked, ITEMS)
    np.testing.assert_allclose(a.facets["trust"], b.facets["trust"], equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(rows, st.sampled_from([0.34, 0.5, 0.67, 1.0]))
def test_a_facet_is_scored_only_with_enough_answers_and_stays_within_0_to_100(data, share):
    data = np.array(data, dtype=float)
    result = score(data, ITEMS, min_answered=share)
    trust = data[:, :3]
    answered = ((~np.isnan(trust)) & (trust != DONT_KNOW)).sum(axis=1)
    needed = max(1, math.ceil(share * 3 - 1e-9))
    assert np.array_equal(np.isnan(result.facets["trust"]), answered < needed)
    for values in [*result.facets.values(), *result.dimensions.values()]:
        present = values[~np.isnan(values)]
        assert ((present >= 0) & (present <= 100)).all()


def test_out_of_range_answers_are_missing():
    result = score([[7, 3, 3, 3, 3, 11], [0, 3, 3, 3, 3, -1]], ITEMS)
    assert np.isnan(result.items[:, 0]).all() and np.isnan(result.items[:, 5]).all()
    assert np.isnan(result.facets["belonging"]).all()


def test_a_facet_in_two_dimensions_and_a_bad_rule_are_refused():
    bad = [ItemSpec("a", "f", "d1", 1, 5), ItemSpec("b", "f", "d2", 1, 5)]
    with pytest.raises(ValueError, match="two dimensions"):
        score([[1, 2]], bad)
    with pytest.raises(ValueError, match="min_answered"):
        score([[1, 2, 3, 4, 5, 6]], ITEMS, min_answered=0)
    with pytest.raises(ValueError, match="high"):
        ItemSpec("c", "f", "d", 5, 1)
