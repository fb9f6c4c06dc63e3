"""The demo's generating model: answers a form would accept, reproducible from a seed, and
the statistics recover what was planted — the between-community share, the governance
effect and its sign, reliable facets, the low-quality responses and the change between
waves."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import warmgrid
from warmgrid.lib.warmth import quality, scoring
from warmgrid.lib.warmth.analysis import analyse
from warmgrid.lib.warmth.instrument import answer_values, read_instrument
from warmgrid.lib.warmth.multilevel import random_intercept_models
from warmgrid.lib.warmth.simulate import (
    COMMUNITY,
    DURATION,
    SPEEDER,
    STRAIGHT_LINER,
    GeneratingModel,
    draw_wave,
    simulate_wave,
    true_parameters,
)

FORM = Path(warmgrid.__file__).parent / "warmth" / "data" / "shequ_wendu.md"
GOVERNANCE = ("response_on_time_rate", "satisfaction_rate", "residents_per_grid_worker")


@pytest.fixture(scope="module")
def instrument():
    return read_instrument(FORM)


def district(count=40, seed=7):
    rng = np.random.default_rng(seed)
    return [(f"C{j:02d}", {"response_on_time_rate": float(rng.beta(8, 2)),
                           "satisfaction_rate": float(rng.beta(6, 3)),
                           "residents_per_grid_worker": float(rng.normal(450, 100)),
                           "cases_reported": float(rng.poisson(80))})  # a count: weight 0
            for j in range(count)]


def table(instrument, rows):
    frame = pd.DataFrame(rows)
    return frame, answer_values(instrument, frame)[0]


def temperature(instrument, answers):
    scores = scoring.score(answers, list(instrument.items))
    inside = [d for d in scores.dimensions if d not in instrument.outside_temperature]
    return np.nanmean(np.column_stack([scores.dimensions[d] for d in inside]), axis=1)


@pytest.fixture(scope="module")
def wave1(instrument):
    return draw_wave(instrument, district(), 25, wave=1, rng=np.random.default_rng(1))


@pytest.fixture(scope="module")
def analysed(instrument, wave1):
    frame, answers = table(instrument, wave1.rows)
    level2 = {k: {code: values[k] for code, values in district()} for k in GOVERNANCE}
    return analyse(instrument, answers, group_labels=frame[COMMUNITY].tolist(),
                   level2=level2, durations=frame[DURATION].tolist())


def test_the_same_seed_gives_the_same_answers(instrument):
    def draw(seed):
        return simulate_wave(instrument, district(6), {"C00": 8, "C03": 5}, wave=2,
                             rng=np.random.default_rng(seed))
    first = draw(3)
    assert first == draw(3)
    assert first != draw(4)
    assert [row[COMMUNITY] for row in first] == ["C00"] * 8 + ["C03"] * 5
    # A community's truth is the district's, whatever the caller's generator or order.
    reordered = true_parameters(district(6)[::-1], waves=2)["communities"]
    for code, truth in true_parameters(district(6), waves=2)["communities"].items():
        assert reordered[code]["levels"] == pytest.approx(truth["levels"])
        assert reordered[code]["owner_share"] == truth["owner_share"]


def test_every_answer_is_one_a_form_accepts(instrument, wave1):
    bounds = re.compile(r"\.\s*>=\s*(\d+)\s*and\s*\.\s*<=\s*(\d+)")
    scored = {item.name for item in instrument.items}
    dont_know = 0
    for row in wave1.rows:
        assert scored <= set(row)  # every scored question answered
        assert isinstance(row[DURATION], int) and row[DURATION] > 0
        for question in instrument.questions:
            if question.name not in row:
                continue
            answer, names = row[question.name], {str(c["name"]) for c in question.choices}
            assert isinstance(answer, str)
            if question.type == "select one":
                assert answer in names, (question.name, answer)
                dont_know += answer == "9"
            elif question.type == "select all that apply":
                parts = answer.split()
                assert parts and set(parts) <= names and len(set(parts)) == len(parts)
                assert "none" not in parts or parts == ["none"]
            elif question.type == "integer":
                low, high = map(int, bounds.search(question.constraint).groups())
                assert low <= int(answer) <= high
    answered = len(wave1.rows) * sum(1 for i in instrument.items if i.missing_codes)
    assert 0.005 < dont_know / answered < 0.06  # a little "don't know", not much
    frame = pd.DataFrame(wave1.rows)
    for covariate in ("age_band", "tenure", "ownership", "hukou", "education"):
        assert frame[covariate].nunique() == len(instrument.question(covariate).choices)
    assert 0.55 < (frame["ownership"] == "owner").mean() < 0.8
    assert pd.crosstab(frame["ownership"], frame["hukou"], normalize="index").loc[
        "owner", "local"] > 0.75  # renters more often hold hukou elsewhere


def test_reverse_keyed_items_run_against_the_rest_of_their_facet(instrument, wave1):
    _, answers = table(instrument, wave1.rows)
    ordinary = np.array([kind == "ordinary" for kind in wave1.kinds])
    values = np.where(answers == 9, np.nan, answers)[ordinary]
    items = list(instrument.items)
    reverse = [j for j, item in enumerate(items) if item.reverse]
    assert len(reverse) == 8
    for j in reverse:
        others = [k for k, item in enumerate(items)
                  if item.facet == items[j].facet and not item.reverse]
        both = ~np.isnan(values[:, j]) & ~np.isnan(values[:, others]).any(axis=1)
        rest = np.nanmean(values[both][:, others], axis=1)
        assert np.corrcoef(values[both, j], rest)[0, 1] < -0.3, items[j].name


def test_the_analysis_recovers_the_generating_model(analysed, wave1):
    outcome = analysed["groups"]["by_outcome"]["temperature"]
    assert 0.05 <= outcome["icc"]["icc1"] <= 0.18
    model = outcome["multilevel"]
    assert model["converged"]
    assert model["between_variance_explained_by_governance"] > 0.25  # planted: 0.61
    assert model["tests"]["null->governance"]["p"] < 0.01
    fixed = model["models"]["governance"]["fixed"]
    for name in GOVERNANCE:
        assert np.sign(fixed[name]["estimate"]) == np.sign(
            wave1.truth["coefficients"][name]["per_unit"]), name
    reflective = ("needs", "services", "efficacy", "social_control", "guides",
                  "connection", "trust", "ties", "norms", "belonging")
    for facet in reflective:
        assert analysed["reliability"][facet]["alpha"] > 0.6, facet
    assert analysed["cfa"]["converged"] and analysed["cfa"]["cfi"] > 0.9
    assert analysed["validity"]["thermometer"]["r_with_temperature"] > 0.3


def test_quality_flags_catch_the_planted_low_quality_responses(instrument, wave1):
    frame, answers = table(instrument, wave1.rows)
    items = list(instrument.items)
    flags = quality.flag_responses(
        answers, items, durations=frame[DURATION].to_numpy(),
        single_choice=[instrument.item_types[i.name] == "select one" for i in items],
        row_keys=[tuple(sorted(row.items())) for row in wave1.rows])["flags"]
    kinds = np.array(wave1.kinds)
    liners, speeders = kinds == STRAIGHT_LINER, kinds == SPEEDER
    assert liners.sum() >= 8 and speeders.sum() >= 8
    assert flags["straight_lining"][liners].mean() >= 0.9
    assert flags["speeding"][speeders].mean() >= 0.9
    assert not flags["straight_lining"][~liners].any()
    assert flags["speeding"][~liners & ~speeders].mean() < 0.01
    assert not flags["duplicate"].any()  # none planted: whole rows never repeat


def test_change_between_waves_follows_the_planted_change(instrument, wave1):
    wave2 = draw_wave(instrument, district(), 25, wave=2, rng=np.random.default_rng(2))
    means = []
    for wave in (wave1, wave2):
        frame, answers = table(instrument, wave.rows)
        means.append(pd.Series(temperature(instrument, answers)).groupby(
            frame[COMMUNITY].to_numpy()).mean())
    observed = means[1] - means[0]
    truth = wave2.truth["communities"]
    planted = pd.Series({code: truth[code]["changes"][0] for code in observed.index})
    assert np.corrcoef(observed, planted)[0, 1] > 0.4
    governance = pd.Series({code: truth[code]["governance"] for code in observed.index})
    assert np.corrcoef(observed, governance)[0, 1] > 0.2
    # The first wave's levels are the same truth in both draws.
    assert [truth[c]["levels"][0] for c in observed.index] == [
        wave1.truth["communities"][c]["levels"][0] for c in observed.index]


def test_true_parameters_state_the_planted_governance_effect():
    communities = district()
    truth = true_parameters(communities, waves=3)
    coefficients = truth["coefficients"]
    assert coefficients["cases_reported"]["per_sd"] == 0  # not named: no effect
    assert coefficients["response_on_time_rate"]["per_sd"] > 0
    assert coefficients["residents_per_grid_worker"]["per_unit"] < 0
    g = np.array([truth["communities"][c]["governance"] for c, _ in communities])
    assert g.std(ddof=1) == pytest.approx(1)
    effect = sum(v["per_unit"] * (np.array([x[k] for _, x in communities]) - v["mean"])
                 for k, v in coefficients.items())
    assert effect == pytest.approx(GeneratingModel().governance_sd * g)
    assert all(len(c["levels"]) == 3 and len(c["changes"]) == 2
               for c in truth["communities"].values())
    assert truth["governance_share"] == pytest.approx(0.0625 / 0.1025)
    with pytest.raises(ValueError, match="from 1"):
        true_parameters(communities, waves=0)


def test_without_a_governance_effect_the_model_finds_none(instrument):
    """The recovery test above could fail: with γ = 0 the same analysis finds no
    governance effect, and reversed weights give reversed signs."""
    communities = district()
    level2 = {k: {code: values[k] for code, values in communities} for k in GOVERNANCE}
    for params, check in [
        (GeneratingModel(governance_sd=0.0),
         lambda m: m["tests"]["null->governance"]["p"] > 0.05),
        (GeneratingModel(governance_weights={"response_on_time_rate": -1.0}),
         lambda m: m["models"]["governance"]["fixed"]["response_on_time_rate"]["estimate"]
         < 0),
    ]:
        wave = draw_wave(instrument, communities, 25, wave=1, rng=np.random.default_rng(1),
                         params=params)
        frame, answers = table(instrument, wave.rows)
        model = random_intercept_models(temperature(instrument, answers),
                                        frame[COMMUNITY].to_numpy(), governance=level2)
        assert check(model)
