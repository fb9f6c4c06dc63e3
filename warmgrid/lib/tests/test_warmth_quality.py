"""Data-quality flags: each rule on responses built to trip it, and not on others."""

import numpy as np
import pytest

from warmgrid.lib.warmth.quality import flag_responses
from warmgrid.lib.warmth.scoring import ItemSpec

ITEMS = [ItemSpec(f"q{j}", "f", "d", 1, 5, reverse=j % 3 == 2,
                  missing_codes=frozenset({9.0})) for j in range(6)]
SINGLE = [True] * 6


def test_straight_lining_needs_reverse_keyed_items_among_the_block():
    answers = [[4, 4, 4, 4, 4, 4], [4, 4, 2, 4, 5, 2], [4, 4, 4, 4, 4, 9]]
    result = flag_responses(answers, ITEMS, single_choice=SINGLE)
    assert result["flags"]["straight_lining"].tolist() == [True, False, False]
    no_reverse = [ItemSpec(i.name, i.facet, i.dimension, 1, 5) for i in ITEMS]
    assert not flag_responses(answers, no_reverse, single_choice=SINGLE)[
        "flags"]["straight_lining"].any()


def test_speeding_is_measured_against_the_median():
    answers = np.tile([1, 2, 3, 4, 5, 1], (5, 1)) + np.arange(5)[:, None] % 2
    result = flag_responses(answers.clip(1, 5), ITEMS, single_choice=SINGLE,
                            durations=[600, 620, 100, 590, 610])
    assert result["flags"]["speeding"].tolist() == [False, False, True, False, False]


def test_out_of_range_is_not_a_missing_code():
    result = flag_responses([[1, 2, 3, 4, 5, 9], [1, 2, 3, 4, 5, 7], [0, 2, 3, 4, 5, 1]],
                            ITEMS, single_choice=SINGLE)
    assert result["flags"]["out_of_range"].tolist() == [False, True, True]


def test_duplicates_keep_the_first_and_row_keys_take_precedence():
    answers = [[1, 2, 3, 4, 5, 1], [1, 2, 3, 4, 5, 1], [2, 2, 3, 4, 5, 1]]
    assert flag_responses(answers, ITEMS, single_choice=SINGLE)[
        "flags"]["duplicate"].tolist() == [False, True, False]
    keyed = flag_responses(answers, ITEMS, single_choice=SINGLE,
                           row_keys=[("a", 1), ("b", 1), ("a", 1)])
    assert keyed["flags"]["duplicate"].tolist() == [False, False, True]
    assert keyed["counts"]["duplicate"] == 1 and keyed["flagged_count"] == 1


def test_shapes_are_checked():
    with pytest.raises(ValueError):
        flag_responses([[1, 2]], ITEMS, single_choice=SINGLE)
