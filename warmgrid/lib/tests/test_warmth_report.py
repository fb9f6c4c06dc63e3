"""Community report cards and what moves temperature, on answers generated with known
community effects: every mean against a direct pandas computation, the anonymity rule,
change since the last wave, bootstrap rank bands, street averages, and what_moves on a
real analyse() of a district where governance truly raises temperature."""

import json
import math

import numpy as np
import pandas as pd
import pingouin
import pytest
from scipy import stats

from warmgrid.lib.warmth.analysis import analyse, jsonable
from warmgrid.lib.warmth.instrument import Instrument, Question
from warmgrid.lib.warmth.report import community_cards, what_moves
from warmgrid.lib.warmth.scoring import ItemSpec

# name, dimension, facet, type, low, high, reverse, offset (item points above the rest)
SPECS = [
    ("n1", "interests", "needs", "select one", 1, 5, False, 0.0),
    ("n2", "interests", "needs", "select one", 1, 5, False, 0.2),
    ("n3", "interests", "needs", "select one", 1, 5, True, -0.2),
    ("s1", "interests", "services", "select one", 1, 5, False, 1.0),
    ("s2", "interests", "services", "select one", 1, 5, False, 0.4),
    ("s3", "interests", "services", "select one", 1, 5, False, 0.0),
    ("t1", "capital", "trust", "select one", 1, 5, False, 0.3),
    ("t2", "capital", "trust", "select one", 1, 5, True, 0.0),
    ("t3", "capital", "trust", "select one", 1, 5, False, -1.0),
    ("e1", "governance", "efficacy", "select one", 1, 5, False, -0.5),
    ("e2", "governance", "efficacy", "select one", 1, 5, True, -0.3),
    ("e3", "governance", "efficacy", "select one", 1, 5, False, 0.1),
    ("acts", "culture", "activities", "select all that apply", 0, 4, False, 0.0),
    ("b1", "outcomes", "belonging", "select one", 1, 5, False, 1.5),
    ("b2", "outcomes", "belonging", "select one", 1, 5, False, 1.5),
    ("thermo", "outcomes", "thermometer", "integer", 0, 10, False, 0.0),
]
INSIDE = ["interests", "capital", "governance", "culture"]


def make_instrument() -> Instrument:
    items, questions, types = [], [], {}
    for name, dimension, facet, kind, low, high, reverse, _ in SPECS:
        codes = frozenset({9.0}) if kind == "select one" else frozenset()
        items.append(ItemSpec(name, facet, dimension, low, high, reverse=reverse,
                              missing_codes=codes))
        questions.append(Question(name=name, type=kind,
                                  labels={"Chinese (zh)": f"题目 {name}",
                                          "English (en)": f"Item {name}"},
                                  dimension=dimension, facet=facet, reverse=reverse,
                                  in_temperature=dimension != "outcomes"))
        types[name] = kind
    return Instrument(title="测试量表", form_id="test", version="1",
                      default_language="Chinese (zh)",
                      languages=("Chinese (zh)", "English (en)"), questions=tuple(questions),
                      items=tuple(items), item_types=types,
                      outside_temperature=frozenset({"outcomes"}))


def generate(effects: dict[str, float], sizes: dict[str, int], *, seed: int,
             missing: float = 0.04, spread: float = 0.7) -> tuple[np.ndarray, np.ndarray]:
    """Answers whose latent warmth is the community's effect (item points) plus noise."""
    rng = np.random.default_rng(seed)
    codes = np.repeat(np.array(list(effects), dtype=object), [sizes[c] for c in effects])
    latent = np.array([effects[c] for c in codes]) + rng.normal(size=codes.size) * spread
    columns = []
    for _, _, _, kind, low, high, reverse, offset in SPECS:
        noise = rng.normal(size=codes.size) * 0.8
        if kind == "select one":
            value = np.clip(np.rint(3 + latent + offset + noise), low, high)
            value = low + high - value if reverse else value
        elif kind == "integer":
            value = np.clip(np.rint(5 + 2 * latent + noise), low, high)
        else:
            value = np.clip(np.rint(2 + latent + noise), low, high)
        columns.append(value)
    answers = np.column_stack(columns)
    answers[rng.random(answers.shape) < missing] = np.nan
    single = [j for j, spec in enumerate(SPECS) if spec[3] == "select one"]
    dont_know = rng.random((answers.shape[0], len(single))) < missing / 2
    answers[:, single] = np.where(dont_know, 9.0, answers[:, single])
    return answers, codes


def direct_scores(answers: np.ndarray, codes, min_answered: float = 0.5) -> pd.DataFrame:
    """Item → facet → dimension → temperature written out again with pandas."""
    keyed = {}
    for j, (name, _, _, kind, low, high, reverse, _) in enumerate(SPECS):
        x = pd.Series(answers[:, j])
        if kind == "select one":
            x = x.where(x != 9)
        share = 100 * (x - low) / (high - low)
        keyed[name] = 100 - share if reverse else share
    keyed = pd.DataFrame(keyed)
    out = pd.DataFrame(index=keyed.index)
    facets: dict[str, list[str]] = {}
    dimension_of = {}
    for name, dimension, facet, *_ in SPECS:
        facets.setdefault(facet, []).append(name)
        dimension_of[facet] = dimension
    for facet, names in facets.items():
        block = keyed[names]
        enough = block.notna().sum(axis=1) >= max(1, math.ceil(min_answered * len(names)))
        out[facet] = block.mean(axis=1).where(enough)
    for dimension in dict.fromkeys(dimension_of.values()):
        members = [f for f, d in dimension_of.items() if d == dimension]
        block = out[members]
        enough = block.notna().sum(axis=1) >= max(1, math.ceil(min_answered * len(members)))
        out[dimension] = block.mean(axis=1).where(enough)
    out["temperature"] = out[INSIDE].mean(axis=1)
    out["community"] = codes
    return pd.concat([out, keyed.add_prefix("item:")], axis=1)


EFFECTS = {"c0": 0.0, "c1": 0.5, "c2": -1.2, "c3": 0.25, "c4": -0.5, "c5": 1.2}
SIZES = {"c0": 30, "c1": 25, "c2": 40, "c3": 12, "c4": 20, "c5": 18}


@pytest.fixture(scope="module")
def wave():
    answers, codes = generate(EFFECTS, SIZES, seed=71)
    return answers, codes, community_cards(make_instrument(), answers, codes, draws=300)


def test_it_matches_a_direct_computation(wave):
    answers, codes, result = wave
    assert result["quality"]["flagged"] == 0  # else the direct computation needs the flags
    direct = direct_scores(answers, codes)
    for code, group in direct.groupby("community"):
        card = result["communities"][code]
        warmth = group["temperature"].dropna()
        assert card["n"] == len(group)
        assert card["temperature"]["n"] == len(warmth)
        assert card["temperature"]["mean"] == pytest.approx(warmth.mean())
        assert card["temperature"]["sd"] == pytest.approx(warmth.std(ddof=1))
        half = stats.t.ppf(0.975, len(warmth) - 1) * warmth.std(ddof=1) / math.sqrt(len(warmth))
        assert card["temperature"]["ci"] == pytest.approx([warmth.mean() - half,
                                                           warmth.mean() + half])
        assert card["temperature"]["degrees"] == round(warmth.mean() * 0.4, 1)
        for dimension, row in card["dimensions"].items():
            assert row["mean"] == pytest.approx(group[dimension].mean())
            assert row["in_temperature"] == (dimension != "outcomes")
        for facet, row in card["facets"].items():
            assert row["mean"] == pytest.approx(group[facet].mean())
        item_means = (group.filter(like="item:").mean()
                      .rename(lambda c: c.removeprefix("item:")))
        inside = item_means[[s[0] for s in SPECS if s[1] != "outcomes"]]
        high = sorted(inside.index, key=lambda n: (-inside[n], n))  # ties by name
        low = sorted(inside.index, key=lambda n: (inside[n], n))
        assert [r["item"] for r in card["strongest"]] == high[:3]
        assert [r["item"] for r in card["weakest"]] == low[:3]
        assert card["strongest"][0]["mean"] == pytest.approx(inside[high[0]])
        assert card["strongest"][0]["labels"]["Chinese (zh)"].startswith("题目")
    ranked = sorted(result["communities"].values(), key=lambda c: c["rank"])
    assert [c["community"] for c in ranked] == result["ranking"]
    means = [c["temperature"]["mean"] for c in ranked]
    assert means == sorted(means, reverse=True)
    assert result["ranking"][0] == "c5" and result["ranking"][-1] == "c2"
    assert result["n"] == sum(SIZES.values())


def test_reliability_within_a_community_is_cronbachs_alpha(wave):
    answers, codes, result = wave
    direct = direct_scores(answers, codes)
    group = direct[direct["community"] == "c0"]
    card = result["communities"]["c0"]
    for dimension in ("interests", "capital", "governance"):
        names = [f"item:{s[0]}" for s in SPECS if s[1] == dimension]
        alpha, _ = pingouin.cronbach_alpha(group[names], nan_policy="pairwise")
        assert card["reliability"][dimension]["alpha"] == pytest.approx(alpha, abs=1e-9)
        assert card["reliability"][dimension]["k"] == len(names)
    assert card["reliability"]["culture"] == {"alpha": None, "unavailable": "single_item"}


def test_every_output_states_its_choices(wave):
    choices = wave[2]["choices"]
    assert choices["rank_band_method"] == "bootstrap"
    assert (choices["draws"], choices["seed"], choices["min_answered"]) == (300, 0, 0.5)
    assert "outcomes" not in choices["temperature"]
    assert all(d in choices["temperature"] for d in INSIDE)
    assert wave[2]["dimensions"]["outside_temperature"] == ["outcomes"]


def test_fewer_than_five_never_show_a_figure():
    effects = {**EFFECTS, "tiny": 2.0, "sparse": -2.0}
    sizes = {**SIZES, "tiny": 4, "sparse": 7}
    answers, codes = generate(effects, sizes, seed=72)
    sparse = np.flatnonzero(codes == "sparse")
    inside = [j for j, s in enumerate(SPECS) if s[1] != "outcomes"]
    answers[np.ix_(sparse[:3], inside)] = np.nan  # 7 respondents, 4 with a temperature
    parents = {"c0": "S1", "c1": "S1", "tiny": "S1", "sparse": "S2", "c2": "S2"}
    rates = {code: 0.5 for code in effects}
    form = make_instrument()
    result = community_cards(form, answers, codes, parents=parents, response_rates=rates,
                             draws=200)
    assert result["suppressed"] == {"count": 2, "communities": ["sparse", "tiny"]}
    assert set(result["communities"]) == set(EFFECTS)
    text = json.dumps(jsonable(result), ensure_ascii=False)
    assert text.count('"tiny"') == 1 and text.count('"sparse"') == 1
    # Other answers in the small communities change nothing else that is shown.
    changed = answers.copy()
    small = np.flatnonzero(np.isin(codes, ["tiny", "sparse"]))
    rng = np.random.default_rng(1)
    scored = ~np.isnan(changed[small])
    changed[small] = np.where(scored, rng.integers(1, 5, size=scored.shape), np.nan)
    again = community_cards(form, changed, codes, parents=parents, response_rates=rates,
                            draws=200)
    assert again["communities"]["c0"]["temperature"] == result["communities"]["c0"]["temperature"]
    del result["quality"], again["quality"]
    assert json.dumps(jsonable(again)) == json.dumps(jsonable(result))


def test_street_average_is_the_mean_of_its_communities_means(wave):
    answers, codes, _ = wave
    parents = {"c0": "S1", "c1": "S1", "c2": "S1", "c3": "S2", "c4": "S2"}
    result = community_cards(make_instrument(), answers, codes, parents=parents, draws=0)
    cards = result["communities"]
    for street, members in (("S1", ["c0", "c1", "c2"]), ("S2", ["c3", "c4"])):
        expected = np.mean([cards[c]["temperature"]["mean"] for c in members])
        assert result["streets"][street]["mean"] == pytest.approx(expected)
        assert result["streets"][street]["communities"] == len(members)
        for code in members:
            assert cards[code]["street"]["code"] == street
            assert cards[code]["street"]["mean"] == pytest.approx(expected)
    assert cards["c5"]["street"] is None
    assert cards["c0"]["rank_band"] is None  # no draws, no band
    assert cards["c0"]["response_rate"] is None


def test_change_since_the_previous_wave(wave):
    answers, codes, before = wave
    stored = json.loads(json.dumps(jsonable(before)))  # as a page would keep it
    later = answers.copy()
    rows = codes == "c0"
    for j, (_, _, _, kind, low, high, reverse, _) in enumerate(SPECS):
        if kind == "select one":  # one point warmer on every item, keyed
            step = -1 if reverse else 1
            column = later[rows, j]
            scored = ~np.isnan(column) & (column != 9)
            column[scored] = np.clip(column[scored] + step, low, high)
            later[rows, j] = column
    codes2 = codes.copy()
    codes2[codes == "c5"] = "new"
    after = community_cards(make_instrument(), later, codes2, previous=stored, draws=100)
    c0_then, c0_now = before["communities"]["c0"], after["communities"]["c0"]
    change = c0_now["change"]
    expected = c0_now["temperature"]["mean"] - c0_then["temperature"]["mean"]
    assert change["available"] and expected > 5
    assert change["temperature"] == pytest.approx(expected)
    assert change["degrees"] == round(expected * 0.4, 1)
    assert change["previous_rank"] == c0_then["rank"]
    for dimension, value in change["dimensions"].items():
        then = c0_then["dimensions"][dimension]["mean"]
        assert value == pytest.approx(c0_now["dimensions"][dimension]["mean"] - then)
    assert change["dimensions"]["culture"] == pytest.approx(0)  # a checklist, unchanged
    assert after["communities"]["c1"]["change"]["temperature"] == pytest.approx(0)
    new = after["communities"]["new"]["change"]
    assert new["available"] is False and new["temperature"] is None
    assert set(new["dimensions"].values()) == {None}
    assert after["previous"] == {"given": True, "comparable": True, "differences": []}
    other = community_cards(make_instrument(), later, codes2, previous=stored, draws=0,
                            min_answered=1.0)
    assert other["previous"]["differences"] == ["min_answered"]


def test_rank_bands_hold_the_rank_and_are_narrow_when_communities_are_far_apart():
    effects = {"hot": 2.0, "cold": -2.0, **{f"m{j}": 0.02 * j for j in range(5)}}
    answers, codes = generate(effects, dict.fromkeys(effects, 25), seed=73)
    result = community_cards(make_instrument(), answers, codes, draws=1000, seed=5)
    cards = result["communities"]
    for card in cards.values():
        low, high = card["rank_band"]
        assert low <= card["rank"] <= high
        assert low <= card["median_rank"] <= high
        assert card["of"] == 7
    assert cards["hot"]["rank_band"] == [1.0, 1.0]
    assert cards["cold"]["rank_band"] == [7.0, 7.0]
    middle = [cards[f"m{j}"]["rank_band"][1] - cards[f"m{j}"]["rank_band"][0]
              for j in range(5)]
    # Five communities alike: sampling alone reorders them.
    assert min(middle) > 0 and np.mean(middle) >= 2
    again = community_cards(make_instrument(), answers, codes, draws=1000, seed=5)
    assert again["communities"] == cards  # the seed fixes the draws


def district(seed: int, governance_effect: float, communities: int = 40):
    rng = np.random.default_rng(seed)
    governance = {f"c{j:02d}": float(rng.normal()) for j in range(communities)}
    effects = {c: governance_effect * g + 0.25 * rng.normal() for c, g in governance.items()}
    sizes = {c: int(rng.integers(12, 30)) for c in governance}
    answers, codes = generate(effects, sizes, seed=seed + 1, missing=0.02)
    owner = rng.integers(0, 2, size=codes.size).astype(float)
    return answers, codes, owner, governance


def test_what_moves_finds_the_governance_effect_in_a_real_analysis():
    answers, codes, owner, governance = district(seed=74, governance_effect=0.5)
    result = analyse(make_instrument(), answers, group_labels=codes,
                     covariates={"owner": owner}, level2={"gov": governance})
    moves = what_moves(jsonable(result))
    assert moves["available"] and moves["converged"]
    icc = result["groups"]["by_outcome"]["temperature"]["icc"]["icc1"]
    assert moves["between"]["icc1"] == pytest.approx(icc) and icc > 0.1
    # Between variance 0.25 + 0.0625 (item points²) of which governance is 0.25: ~80 %.
    assert moves["governance"]["explained"] > 0.5
    assert moves["governance"]["test"]["p"] < 1e-4
    (gov,) = moves["governance"]["indicators"]
    assert gov["name"] == "gov" and gov["direction"] == "positive" and gov["clear"]
    assert gov["ci"][0] > 0
    assert moves["residents"]["covariates"] == ["owner"]
    keys = [s["key"] for s in moves["sentences"]]
    assert "between_share" in keys and "indicator_raises" in keys
    explains = next(s for s in moves["sentences"] if s["key"] == "governance_explains")
    assert explains["share"] == pytest.approx(moves["governance"]["explained"])
    assert "not_converged" not in keys


def test_what_moves_says_an_unrelated_indicator_explains_little():
    answers, codes, owner, governance = district(seed=75, governance_effect=0.0)
    noise = {c: float(v) for c, v in zip(governance, np.random.default_rng(2).normal(
        size=len(governance)), strict=True)}
    result = analyse(make_instrument(), answers, group_labels=codes,
                     covariates={"owner": owner}, level2={"noise": noise})
    moves = what_moves(result)
    assert moves["governance"]["explained"] < 0.3
    assert not moves["governance"]["indicators"][0]["clear"]
    assert "indicator_raises" not in [s["key"] for s in moves["sentences"]]


def test_what_moves_handles_missing_pieces():
    assert what_moves({"n": 10})["available"] is False
    assert what_moves({"n": 10})["sentences"] == [{"key": "unavailable", "part": "groups"}]
    errors = {"groups": {"count": 2, "by_outcome": {"temperature": {
        "icc": {"error": "ICC needs at least two communities"},
        "multilevel": {"error": "A multilevel model needs at least 3 communities."}}}}}
    moves = what_moves(errors)
    assert [p["part"] for p in moves["problems"]] == ["icc", "multilevel"]
    assert moves["between"] is None and moves["governance"] is None
    null = {"fixed": {"intercept": {"estimate": 50, "se": 1}}, "tau2": 20.0, "sigma2": 80.0,
            "icc": 0.2, "loglik": -100.0, "converged": True, "warnings": []}
    only_null = {"groups": {"count": 9, "by_outcome": {"temperature": {
        "icc": {"icc1": 0.18, "icc2": 0.7, "p": 0.001},
        "multilevel": {"models": {"null": null}, "tests": {}, "converged": True}}}}}
    keys = [s["key"] for s in what_moves(only_null)["sentences"]]
    assert keys == ["between_share", "no_governance_data"]
    stuck = {**null, "tau2": 5.0, "converged": False, "warnings": ["did not converge"],
             "fixed": {**null["fixed"], "gov": {"estimate": 3.0, "se": 0.5}}}
    failed = {"groups": {"count": 9, "by_outcome": {"temperature": {
        "icc": {"icc1": 0.18, "p": 0.001},
        "multilevel": {"models": {"null": null, "governance": stuck},
                       "tests": {"null->governance": {"chi2": 9.0, "df": 1, "p": 0.003}},
                       "between_variance_explained_by_governance": 0.75,
                       "converged": False}}}}}
    moves = what_moves(failed)
    keys = [s["key"] for s in moves["sentences"]]
    assert {"key": "not_converged", "model": "governance"} in moves["sentences"]
    assert "governance_explains" not in keys and "indicator_raises" not in keys
    assert moves["governance"]["explained"] == 0.75  # the figure is kept, not phrased
    assert moves["models"]["governance"]["warnings"] == ["did not converge"]


def test_ranks_follow_the_shrunken_estimates_when_given():
    """A small community with an extreme raw mean is pulled toward the overall mean: by
    BLUP it no longer tops the list, and its band is wide."""
    effects = {"tiny": 1.6, "big_hot": 1.1, **{f"m{j}": 0.1 * j for j in range(6)}}
    sizes = {**dict.fromkeys(effects, 40), "tiny": 6}
    answers, codes = generate(effects, sizes, seed=81)
    form = make_instrument()
    fit = analyse(form, answers, group_labels=codes)
    estimates = fit["groups"]["by_outcome"]["temperature"]["multilevel"][
        "community_estimates"]
    raw = community_cards(form, answers, codes, draws=500, seed=2)
    shrunk = community_cards(form, answers, codes, draws=500, seed=2, shrunken=estimates)
    assert raw["choices"]["rank_band_method"] == "bootstrap"
    assert shrunk["choices"]["rank_band_method"] == "blup"
    by_blup = sorted(estimates, key=lambda e: -e["estimate"])
    assert shrunk["ranking"][0] == by_blup[0]["community"]
    for code, card in shrunk["communities"].items():
        estimate = next(e for e in estimates if e["community"] == code)
        assert card["shrunken"]["estimate"] == pytest.approx(estimate["estimate"])
        low, high = card["rank_band"]
        assert low <= card["rank"] <= high
    tiny = shrunk["communities"]["tiny"]
    assert tiny["shrunken"]["estimate"] < tiny["temperature"]["mean"]  # pulled down
    width = {c: card["rank_band"][1] - card["rank_band"][0]
             for c, card in shrunk["communities"].items()}
    assert width["tiny"] >= width["big_hot"]
    # Estimates missing a reported community: the bootstrap is used, not a partial ranking.
    partial = community_cards(form, answers, codes, draws=100, seed=2,
                              shrunken=estimates[1:])
    assert partial["choices"]["rank_band_method"] == "bootstrap"
