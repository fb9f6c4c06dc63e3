"""Sampling a wave: sizes from the reliability guidance, proportional allocation over
grids, reproducible draws."""

import collections

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warmgrid.lib.warmth.sampling import allocate, draw_sample


def district(communities=3, grids=(120, 60, 20)):
    return [(f"{c}-{g}-{h}", f"{c}-{g}", f"c{c}")
            for c in range(communities) for g, size in enumerate(grids) for h in range(size)]


def test_sizes_follow_the_guidance_and_grids_share_in_proportion():
    result = draw_sample(district(), seed=7)  # ICC(1) .10 → 21 completes → 35 invitations
    assert result["choices"]["completes_per_community"] == 21
    plan = result["plan"]["c0"]
    # Quotas 21, 10.5, 3.5: the one left over goes to the tied remainder named first.
    assert plan["invited"] == 35 and plan["by_grid"] == {"0-0": 21, "0-1": 11, "0-2": 3}
    per_grid = collections.Counter(h.rsplit("-", 1)[0] for h in result["households"])
    assert per_grid["0-0"] == 21 and per_grid["1-2"] == 3
    assert len(set(result["households"])) == len(result["households"]) == 105
    assert "at least 30" in result["warnings"][0]


def test_the_same_seed_draws_the_same_households_and_grids_do_not_disturb_each_other():
    a, b = draw_sample(district(), seed=7), draw_sample(district(), seed=7)
    assert a["households"] == b["households"]
    assert draw_sample(district(), seed=8)["households"] != a["households"]
    # A household more in one community leaves the other communities' draws alone.
    more = draw_sample([*district(), ("0-0-new", "0-0", "c0")], seed=7)
    untouched = [h for h in a["households"] if not h.startswith("0-")]
    assert [h for h in more["households"] if not h.startswith("0-")] == untouched


def test_a_small_community_invites_everyone_and_is_reported_short():
    result = draw_sample(district(communities=1, grids=(10, 5)), seed=1, expected_icc1=0.05)
    assert result["plan"]["c0"]["invited"] == 15 and result["plan"]["c0"]["short"]
    assert any("cannot be expected" in w for w in result["warnings"])
    with pytest.raises(ValueError):
        draw_sample(district(), seed=1, response_rate=0)


@given(st.integers(0, 400), st.lists(st.integers(0, 100), min_size=1, max_size=8))
def test_allocation_never_exceeds_a_stratum_and_adds_up(total, sizes):
    strata = {f"g{i}": s for i, s in enumerate(sizes)}
    counts = allocate(total, strata)
    assert all(0 <= counts[k] <= strata[k] for k in strata)
    assert sum(counts.values()) == min(total, sum(sizes))
