"""The default instrument 社区温度量表: it reads, covers what the warmth model measures in
both languages, keys some items in reverse, takes about 15 minutes, and its scores behave
on answers generated from it."""

import collections

import numpy as np

from warmgrid.lib.warmth.analysis import analyse
from warmgrid.lib.warmth.instrument import estimated_minutes, read_instrument
from warmgrid.warmth.instruments import DEFAULT_INSTRUMENT

LANGUAGES = ("Chinese (zh)", "English (en)")


def test_it_covers_the_warmth_model():
    form = read_instrument(DEFAULT_INSTRUMENT)
    assert form.title == "社区温度量表" and form.default_language == "Chinese (zh)"
    facets = {(i.dimension, i.facet) for i in form.items}
    assert facets == {
        ("interests", "needs"), ("interests", "services"),
        ("governance", "efficacy"), ("governance", "social_control"),
        ("governance", "guides"), ("governance", "participation"),
        ("culture", "connection"), ("culture", "activities"),
        ("social_capital", "trust"), ("social_capital", "ties"), ("social_capital", "norms"),
        ("outcomes", "belonging"), ("outcomes", "thermometer")}
    assert form.outside_temperature == {"outcomes"}  # validity checks, not the temperature
    names = {q.name for q in form.questions}
    assert {"age_band", "tenure", "ownership", "hukou", "education"} <= names
    thermometer = next(i for i in form.items if i.facet == "thermometer")
    assert (thermometer.low, thermometer.high) == (0, 10)


def test_reflective_facets_have_three_items_and_some_are_reverse_keyed():
    form = read_instrument(DEFAULT_INSTRUMENT)
    by_facet = collections.defaultdict(list)
    for item in form.items:
        if form.item_types[item.name] == "select one":
            by_facet[item.facet].append(item)
    assert all(len(items) >= 3 for items in by_facet.values()), by_facet
    reversed_facets = {f for f, items in by_facet.items() if any(i.reverse for i in items)}
    assert len(reversed_facets) >= 8
    assert all(i.missing_codes == frozenset({9.0}) for items in by_facet.values() for i in items)


def test_every_label_in_both_languages_and_about_fifteen_minutes():
    form = read_instrument(DEFAULT_INSTRUMENT)
    for question in form.questions:
        assert all(question.labels.get(lang, "").strip() for lang in LANGUAGES), question.name
        for choice in question.choices:
            assert all(choice["label"].get(lang, "").strip() for lang in LANGUAGES), choice
    assert 12 <= estimated_minutes(form) <= 18


def test_scores_on_answers_generated_from_it():
    form = read_instrument(DEFAULT_INSTRUMENT)
    rng = np.random.default_rng(61)
    n = 400
    warmth = rng.normal(size=n)
    columns = []
    for item in form.items:
        if form.item_types[item.name] == "select one":
            value = np.clip(np.rint(3 + warmth + rng.normal(size=n) * 0.8), 1, 5)
            columns.append(6 - value if item.reverse else value)
        elif form.item_types[item.name] == "integer":
            columns.append(np.clip(np.rint(5 + 2 * warmth + rng.normal(size=n)), 0, 10))
        else:
            columns.append(np.clip(np.rint(2 + warmth + rng.normal(size=n)), 0, 6))
    result = analyse(form, np.column_stack(columns), missing="pairwise")
    assert all(r["alpha"] > 0.7 for f, r in result["reliability"].items())
    assert result["validity"]["thermometer"]["r_with_temperature"] > 0.7
    assert result["validity"]["belonging"]["r_with_temperature"] > 0.7
    assert "outcomes" not in result["choices"]["temperature"]
    # The instrument's own structure, one factor per reflective facet (10 of them).
    assert result["cfa"]["factors"] == 10 and result["cfa"]["converged"]
    assert result["cfa"]["srmr"] < 0.1
