"""warmgrid.lib.assessment by hand: every expected value below is worked out in the
comments, not by calling the function under test; then properties over random pools."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warmgrid.lib.assessment import (
    DEFAULT_PRIOR,
    MAX_PRIOR,
    MIN_PRIOR,
    MISROUTE,
    NO_REOPEN,
    ON_TIME,
    RESOLUTION,
    RESPONSE,
    SATISFACTION,
    SCORED,
    CaseRow,
    Reason,
    Settings,
    assess,
    competition_ranks,
    estimate_prior_strength,
)

FIXED = Settings(minimum_cases=2, prior_strength=4)


def row(case_id, subject, d=1.0, *, resp=True, on_time=True, resolved=True, rating=None,
        reopens=0, misrouted=False, excluded=False):
    return CaseRow(case_id=case_id, subject=subject, difficulty=d, responded_on_time=resp,
                   resolved_on_time=on_time, resolved=resolved, rating=rating,
                   reopens=reopens, misrouted=misrouted, excluded=excluded)


# A: three cases, one of them hard (d = 2); B: two clean cases and one excluded
# unreasonable demand full of complaints; C: a single clean case (below the minimum 2).
ROWS = [
    row(1, "A", 2.0, resp=True, on_time=False, resolved=True, rating=5),
    row(2, "A", 1.0, resp=True, on_time=True, resolved=True, rating=2, reopens=1),
    row(3, "A", 1.0, resp=False, on_time=True, resolved=False, misrouted=True),
    row(4, "B", rating=4),
    row(5, "B", rating=5),
    row(6, "B", resp=False, on_time=False, resolved=False, rating=1, reopens=1, excluded=True),
    row(7, "C", rating=5),
]


@pytest.fixture
def result():
    return assess(ROWS, FIXED)


def test_it_counts_numerators_and_denominators(result):
    a = result.by_subject()["A"]
    assert (a.cases, a.excluded, a.all_cases) == (3, 0, 3)
    assert (a.figures[RESPONSE].numerator, a.figures[RESPONSE].denominator) == (2, 3)
    assert (a.figures[ON_TIME].numerator, a.figures[ON_TIME].denominator) == (2, 3)
    assert (a.figures[RESOLUTION].numerator, a.figures[RESOLUTION].denominator) == (2, 3)
    # Only the two rated cases count for satisfaction; the rating of 5 is satisfied.
    assert (a.figures[SATISFACTION].numerator, a.figures[SATISFACTION].denominator) == (1, 2)
    assert (a.figures[NO_REOPEN].numerator, a.figures[NO_REOPEN].denominator) == (2, 3)
    assert (a.figures[MISROUTE].numerator, a.figures[MISROUTE].denominator) == (1, 3)
    assert a.figures[RESPONSE].rate == pytest.approx(2 / 3)


def test_a_good_outcome_counts_its_difficulty_and_a_shortfall_counts_one(result):
    a = result.by_subject()["A"]
    # Response: on time on the d=2 case and a d=1 case, late on a d=1 case: 3 / (3 + 1).
    assert a.figures[RESPONSE].weighted_numerator == pytest.approx(3)
    assert a.figures[RESPONSE].weighted_denominator == pytest.approx(4)
    assert a.figures[RESPONSE].weighted == pytest.approx(0.75)
    # On time: late on the hard case (counts 1), on time on two easy ones: 2 / 3.
    assert a.figures[ON_TIME].weighted == pytest.approx(2 / 3)
    # Satisfaction: satisfied on the hard case (2), unhappy on an easy one (1): 2 / 3.
    assert a.figures[SATISFACTION].weighted == pytest.approx(2 / 3)


def test_it_shrinks_toward_the_pool_mean_with_the_stated_prior(result):
    pool = result.pool
    # Pool response over the counted cases 1,2,3,4,5,7: hits weigh 2+1+1+1+1, one miss: 6/7.
    assert pool.mean(RESPONSE) == pytest.approx(6 / 7)
    assert pool.mean(ON_TIME) == pytest.approx(5 / 6)
    assert pool.mean(SATISFACTION) == pytest.approx(5 / 6)
    a = result.by_subject()["A"]
    # (3 + 4·6/7) / (4 + 4) = 45/56; (2 + 4·5/6) / (3 + 4) = 16/21.
    assert a.figures[RESPONSE].shrunk == pytest.approx(45 / 56)
    assert a.figures[ON_TIME].shrunk == pytest.approx(16 / 21)
    assert a.figures[RESPONSE].prior_weight == pytest.approx(4 / 8)
    # Fair score: mean of 45/56 (response, resolution, no reopen) and 16/21 (on time,
    # satisfaction), times 100.
    assert a.fair_score == pytest.approx(100 * (3 * 45 / 56 + 2 * 16 / 21) / 5)
    b = result.by_subject()["B"]
    # B: (2 + 24/7)/6 = 19/21 and (2 + 10/3)/6 = 8/9.
    assert b.fair_score == pytest.approx(100 * (3 * 19 / 21 + 2 * 8 / 9) / 5)
    assert result.choices["prior_strength"] == {ind: 4.0 for ind in SCORED}
    assert result.choices["prior"] == "fixed"
    assert result.choices["minimum_cases"] == 2


def test_it_ranks_naively_by_complaints_and_fairly_by_score(result):
    a, b, c = (result.by_subject()[s] for s in "ABC")
    # Complaints: A has a rating of 2 and a reopening (2); B's excluded case has a rating
    # of 1 and a reopening (2), which the naive count keeps; C has none.
    assert (a.complaints, b.complaints, c.complaints) == (2, 2, 0)
    assert (c.naive_rank, a.naive_rank, b.naive_rank) == (1, 2, 2)
    # C has one case, below the minimum of two: not ranked at all.
    assert not c.ranked and c.fair_rank is None and c.reasons[0].code == "few_cases"
    assert (b.fair_rank, a.fair_rank) == (1, 2)
    assert (b.moved, a.moved) == (1, 0)
    assert [s.subject for s in result.subjects] == ["B", "A", "C"]


def test_it_says_why_each_subject_moved(result):
    b = {r.code: r for r in result.by_subject()["B"].reasons}
    assert b["exclusions"].numbers == {"excluded": 1, "complaints": 2}
    assert b["unranked_ahead"].numbers == {"subjects": 1}
    # B's mean difficulty 1.0 against the pool's 7/6.
    assert b["easier_mix"].numbers == {"mean": 1.0, "pool": 1.17}
    assert b["easier_mix"].direction == "down"
    # The reasons pointing the way B moved (up) come first.
    assert result.by_subject()["B"].reasons[0].direction == "up"
    a = {r.code: r for r in result.by_subject()["A"].reasons}
    # A: 3 cases against a median of 2, with complaints; mean difficulty 4/3 vs 7/6.
    assert a["high_volume"].numbers == {"cases": 3, "median": 2, "complaints": 2}
    assert a["harder_mix"].numbers == {"mean": 1.33, "pool": 1.17}
    assert a["below_pool"].direction == "down"
    # A's complaints were on easy cases, so this reason does not apply.
    assert "complaints_on_hard_cases" not in a


def test_who_passed_whom_is_named():
    # X: no complaint but every first response late; Y: one unhappy rating, all on time.
    # Naive: X 1, Y 2. Fair (no shrinkage): X's response rate 0 against Y's 1, the rest
    # equal (satisfaction falls back to the pool's 0 for X), so Y 1, X 2.
    rows = [row(i, "X", resp=False) for i in range(10)]
    rows += [row(100 + i, "Y", rating=2 if i == 0 else None) for i in range(10)]
    result = assess(rows, Settings(prior_strength=0)).by_subject()
    assert (result["X"].naive_rank, result["X"].fair_rank) == (1, 2)
    assert (result["Y"].naive_rank, result["Y"].fair_rank) == (2, 1)
    assert result["Y"].reasons[0] == Reason("passed", "up", {"subjects": 1})
    assert result["X"].reasons[0] == Reason("passed_by", "down", {"subjects": 1})
    assert Reason("below_pool", "down", {"indicator": "response", "rate": 0.0,
                                         "pool": 0.5, "shrunk": 0.0}) in result["X"].reasons


def test_complaints_on_hard_cases_are_named():
    rows = [row(i, "H", 1.6, rating=1 if i < 3 else 5) for i in range(12)]
    rows += [row(100 + i, "E", 0.8, rating=5) for i in range(12)]
    h = assess(rows, Settings(prior_strength=10)).by_subject()["H"]
    codes = {r.code: r.numbers for r in h.reasons}
    # Pool mean difficulty (12·1.6 + 12·0.8)/24 = 1.2; H's three unhappy ratings are all
    # on cases harder than that.
    assert codes["complaints_on_hard_cases"] == {"hard": 3, "complaints": 3,
                                                 "pool_difficulty": 1.2}


def test_a_hard_mix_at_the_same_standard_rate_scores_the_same():
    """The weighting's promise: a worker with only hard cases (d = 2) who fails them at
    the rate a d = 2 case implies scores as one with only standard cases.

    Standard-case success odds 4 (rate 0.8); on d = 2 the odds halve to 2 (rate 2/3).
    Easy: 8 hits of 10 → 8/10. Hard: 8 hits of 12 → weighted 16/(16 + 4) = 0.8."""
    easy = [row(i, "easy", 1.0, resolved=i < 8) for i in range(10)]
    hard = [row(100 + i, "hard", 2.0, resolved=i < 8) for i in range(12)]
    result = assess(easy + hard, Settings(prior_strength=0)).by_subject()
    assert result["easy"].figures[RESOLUTION].rate == pytest.approx(0.8)
    assert result["hard"].figures[RESOLUTION].rate == pytest.approx(8 / 12)
    assert result["hard"].figures[RESOLUTION].weighted == pytest.approx(0.8)
    assert result["hard"].figures[RESOLUTION].weighted == pytest.approx(
        result["easy"].figures[RESOLUTION].weighted)


def test_three_perfect_cases_do_not_outrank_eighty_good_ones():
    few = [row(i, "few") for i in range(3)]
    many = [row(100 + i, "many", resp=i % 10 != 0, rating=1 if i < 2 else 5)
            for i in range(80)]
    others = [row(1000 + i, f"o{i % 3}", resp=i % 4 != 0) for i in range(60)]
    result = assess(few + many + others, Settings(minimum_cases=3)).by_subject()
    # 3 cases (at the minimum, so ranked) with a perfect record are pulled to the pool
    # mean; 80 cases at 90 % keep most of their own rate.
    assert result["many"].fair_rank < result["few"].fair_rank
    # The zero-complaints regime puts the three cases first: two unhappy ratings in 80
    # count against "many", none in 3 for "few".
    assert result["few"].naive_rank < result["many"].naive_rank


def test_the_prior_strength_by_the_method_of_moments():
    # Rates 0.5, 0.9, 0.7, 0.6, 0.8 on 20 cases each, mean 0.7. Case-weighted spread
    # 20·(0.04 + 0.04 + 0 + 0.01 + 0.01) = 2.0; noise (5 − 1)·0.21 = 0.84; divided by
    # 100 − 2000/100 = 80: τ² = 1.16/80 = 0.0145; m = 0.21/0.0145 − 1 = 13.4828.
    pairs = [(0.5, 20), (0.9, 20), (0.7, 20), (0.6, 20), (0.8, 20)]
    m = estimate_prior_strength(pairs, 0.7)
    assert m == pytest.approx(0.21 / 0.0145 - 1)
    assert m == pytest.approx(13.4828, abs=1e-3)
    # Subjects alike beyond noise: the pool mean weighs most.
    assert estimate_prior_strength([(0.7, 10)] * 5, 0.7) == MAX_PRIOR
    # Wildly different subjects: the least pull the method allows.
    assert estimate_prior_strength([(0.0, 50), (1.0, 50)] * 3, 0.5) == MIN_PRIOR
    # Too few subjects to say: the stated default.
    assert estimate_prior_strength(pairs[:4], 0.7) == DEFAULT_PRIOR
    assert estimate_prior_strength([(1.0, 10)] * 6, 1.0) == DEFAULT_PRIOR


def test_competition_ranks_share_a_place_on_ties():
    assert competition_ranks([(1, -5), (0, -2), (1, -5), (2, 0)]) == [2, 1, 2, 4]
    assert competition_ranks([]) == []


def test_it_refuses_nonsense_settings():
    with pytest.raises(ValueError):
        assess([row(1, "A", 0.0)])
    with pytest.raises(ValueError):
        assess([row(1, "A")], Settings(minimum_cases=0))
    with pytest.raises(ValueError):
        assess([row(1, "A")], Settings(prior_strength=-1))


def test_an_empty_pool_is_empty():
    result = assess([])
    assert result.subjects == [] and result.pool.cases == 0
    assert result.choices["indicators"] == []


def test_a_subject_with_every_case_excluded_is_shown_unranked():
    rows = [row(1, "X", excluded=True, rating=1)] + [row(10 + i, "Y") for i in range(10)]
    x = assess(rows).by_subject()["X"]
    assert (x.cases, x.excluded, x.complaints, x.ranked) == (0, 1, 1, False)
    assert x.mean_difficulty is None


# ---- properties -----------------------------------------------------------------------

rows_strategy = st.lists(
    st.builds(
        CaseRow,
        case_id=st.integers(1, 10**6),
        subject=st.sampled_from(["a", "b", "c", "d", "e"]),
        difficulty=st.sampled_from([0.8, 1.0, 1.2, 1.5, 1.6]),
        responded_on_time=st.one_of(st.none(), st.booleans()),
        resolved_on_time=st.one_of(st.none(), st.booleans()),
        resolved=st.booleans(),
        rating=st.one_of(st.none(), st.integers(1, 5)),
        reopens=st.integers(0, 2),
        misrouted=st.booleans(),
        excluded=st.booleans(),
    ),
    max_size=60,
)
prior_strategy = st.one_of(st.none(), st.floats(0, 100))


def _scores(result):
    return {s.subject: (s.fair_score, s.fair_rank, s.cases,
                        {k: (f.numerator, f.denominator, f.shrunk)
                         for k, f in s.figures.items()})
            for s in result.subjects if s.cases}


@settings(max_examples=150, deadline=None)
@given(rows=rows_strategy, extra=rows_strategy, prior=prior_strategy)
def test_adding_excluded_cases_never_changes_a_fair_figure(rows, extra, prior):
    excluded = [CaseRow(**{**r.__dict__, "excluded": True}) for r in extra]
    before = assess(rows, Settings(minimum_cases=3, prior_strength=prior))
    after = assess(rows + excluded, Settings(minimum_cases=3, prior_strength=prior))
    assert _scores(before) == _scores(after)
    assert after.pool.figures == before.pool.figures


@settings(max_examples=150, deadline=None)
@given(rows=rows_strategy, prior=prior_strategy)
def test_a_shrunk_rate_lies_between_the_subjects_rate_and_the_pool_mean(rows, prior):
    result = assess(rows, Settings(prior_strength=prior))
    for subject in result.subjects:
        for ind in result.choices["indicators"]:
            figure, mean = subject.figures[ind], result.pool.mean(ind)
            own = figure.weighted if figure.weighted is not None else mean
            low, high = min(own, mean), max(own, mean)
            assert low - 1e-9 <= figure.shrunk <= high + 1e-9
        if subject.fair_score is not None:
            assert 0 <= subject.fair_score <= 100


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy)
def test_without_difficulty_differences_the_weighted_rate_is_the_raw_rate(rows):
    plain = [CaseRow(**{**r.__dict__, "difficulty": 1.0}) for r in rows]
    for subject in assess(plain).subjects:
        for ind in SCORED:
            figure = subject.figures[ind]
            assert figure.weighted == pytest.approx(figure.rate)


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy, minimum=st.integers(1, 15))
def test_only_subjects_with_enough_cases_are_ranked_and_naive_follows_complaints(rows,
                                                                                minimum):
    result = assess(rows, Settings(minimum_cases=minimum))
    for s in result.subjects:
        assert s.ranked == (s.cases >= minimum)
        assert (s.fair_rank is None) == (not s.ranked)
        assert s.reasons is not None
    for s in result.subjects:
        for t in result.subjects:
            if s.complaints < t.complaints:
                assert s.naive_rank < t.naive_rank
    ranked = sorted((s for s in result.subjects if s.ranked), key=lambda s: s.fair_rank)
    for better, worse in itertools.pairwise(ranked):
        assert better.fair_score >= worse.fair_score - 1e-9


@settings(max_examples=150, deadline=None)
@given(rows=rows_strategy, minimum=st.integers(1, 6))
def test_every_move_has_a_reason_pointing_its_way(rows, minimum):
    result = assess(rows, Settings(minimum_cases=minimum))
    for s in result.subjects:
        codes = {r.code for r in s.reasons}
        if s.moved and s.moved > 0:
            assert codes & {"unranked_ahead", "passed"}
            assert s.reasons[0].direction == "up"
        if s.moved and s.moved < 0:
            assert "passed_by" in codes
            assert s.reasons[0].direction == "down"
