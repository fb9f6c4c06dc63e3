"""`warmgrid warmth analyse` on plain files with no database (no `db` fixture)."""

import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from warmgrid.lib.warmth.instrument import answer_values, read_instrument
from warmgrid.lib.warmth.reliability import reliability
from warmgrid.lib.warmth.scoring import clean_items

FACETS = {"needs": "interests", "services": "interests", "trust": "capital", "ties": "capital"}


def instrument_text() -> str:
    rows = ["| survey |",
            "| | type | name | label::Chinese (zh) | label::English (en) | dimension | facet "
            "| reverse |"]
    for facet, dimension in FACETS.items():
        for i in range(3):
            rows.append(f"| | select_one agree | {facet}{i} | 题{facet}{i} | Item {facet}{i} "
                        f"| {dimension} | {facet} | {'yes' if i == 2 else ''} |")
    rows += ["| choices |",
             "| | list_name | name | label::Chinese (zh) | label::English (en) | missing |"]
    rows += [f"| | agree | {v} | {v} | {v} | |" for v in range(1, 6)]
    rows += ["| | agree | 9 | 不知道 | Don't know | yes |",
             "| settings |", "| | form_title | form_id | version |", "| | 测试 | t | 1 |"]
    return "\n".join(rows)


@pytest.fixture
def survey(tmp_path):
    rng = np.random.default_rng(51)
    communities = [f"社区{j}" for j in range(30)]
    governance = {c: rng.normal() for c in communities}
    rows = []
    for c in communities:
        for _ in range(20):
            tenure = "owner" if rng.random() < 0.7 else "renter"
            level = governance[c] * 0.6 + (0.3 if tenure == "owner" else 0)
            row = {"community": c, "tenure": tenure}
            for facet in FACETS:
                facet_level = level + rng.normal() * 0.7
                for i in range(3):
                    value = int(np.clip(np.rint(3 + facet_level + rng.normal() * 0.6), 1, 5))
                    row[f"{facet}{i}"] = 6 - value if i == 2 else value
            rows.append(row)
    for _ in range(3):  # a community too small to be shown
        rows.append({"community": "小社区", "tenure": "owner",
                     **{f"{f}{i}": int(rng.integers(1, 6)) for f in FACETS for i in range(3)}})
    for _ in range(4):  # straight-liners: "agree" to every statement and to its opposite
        rows.append({"community": "社区0", "tenure": "owner",
                     **{f"{f}{i}": 4 for f in FACETS for i in range(3)}})
    rows.append(dict(rows[1]))  # a duplicate
    rows[0]["trust0"] = 9  # "don't know"
    responses = tmp_path / "responses.csv"
    pd.DataFrame(rows).to_csv(responses, index=False, encoding="gb18030")
    form = tmp_path / "form.md"
    form.write_text(instrument_text(), encoding="utf-8")
    level2 = tmp_path / "level2.csv"
    pd.DataFrame({"name": communities,
                  "governance": [governance[c] for c in communities]}).to_csv(level2, index=False)
    return responses, form, level2


def run(capsys, *args):
    call_command("warmth", "analyse", *[str(a) for a in args])
    return capsys.readouterr().out


def test_every_figure_keyed_by_the_instruments_own_names(survey, capsys):
    responses, form, level2 = survey
    result = json.loads(run(capsys, "--responses", responses, "--instrument", form,
                            "--group-by", "community", "--covariates", "tenure",
                            "--level2", level2, "--level2-key", "name", "--json"))
    assert set(result["scores"]["dimensions"]) == {"interests", "capital"}
    assert set(result["reliability"]) == set(FACETS)
    assert set(result["structure"]) == {"interests", "capital"}
    # The same alpha as the pure function on the same keyed answers.
    assert result["quality"]["counts"]["straight_lining"] == 4
    assert result["quality"]["counts"]["duplicate"] == 4  # three straight-liners, one copy
    assert result["quality"]["flagged"] == 5 and not result["quality"]["included"]
    assert result["n"] == 603
    instrument = read_instrument(form)
    matrix, _ = answer_values(instrument, pd.read_csv(responses, encoding="gb18030"))
    matrix = matrix[:603]  # the analysis leaves the flagged rows out
    keyed = clean_items(matrix, instrument.items)
    trust = [j for j, item in enumerate(instrument.items) if item.facet == "trust"]
    assert result["reliability"]["trust"]["alpha"] == pytest.approx(
        reliability(keyed[:, trust]).alpha)
    groups = result["groups"]
    assert result["suppressed_groups"] == 1 and groups["count"] == 30
    temperature = groups["by_outcome"]["temperature"]
    assert temperature["icc"]["groups"] == 30
    models = temperature["multilevel"]["models"]
    assert "tenure=renter" in models["residents"]["fixed"]
    assert "governance" in models["governance"]["fixed"]
    assert temperature["multilevel"]["tests"]["residents->governance"]["p"] < 0.001
    assert all(e["community"] != "小社区"
               for e in temperature["multilevel"]["community_estimates"])
    assert 0 <= groups["agreement"]["capital"]["median_rwg_j"] <= 1
    assert result["choices"]["missing"] == "pairwise"


def test_a_summary_for_people(survey, capsys):
    responses, form, _ = survey
    out = run(capsys, "--responses", responses, "--instrument", form, "--group-by", "community")
    assert "trust" in out and "ICC(1)" in out


@pytest.mark.parametrize(("extra", "message"), [
    (["--level2", "LEVEL2"], "level2-key"),
    (["--group-by", "nowhere"], "nowhere"),
    (["--covariates", "tenure"], "group-by"),
])
def test_wrong_options_are_refused_with_the_reason(survey, extra, message):
    responses, form, level2 = survey
    extra = [str(level2) if e == "LEVEL2" else e for e in extra]
    with pytest.raises(CommandError, match=message):
        call_command("warmth", "analyse", "--responses", str(responses),
                     "--instrument", str(form), *extra)


def test_flagged_responses_can_be_kept(survey, capsys):
    responses, form, _ = survey
    result = json.loads(run(capsys, "--responses", responses, "--instrument", form,
                            "--include-flagged", "--json"))
    assert result["n"] == 608 and result["quality"]["included"]


def test_fewer_than_five_respondents_are_not_analysed(survey, tmp_path):
    responses, form, _ = survey
    few = tmp_path / "few.csv"
    few.write_text("\n".join(responses.read_text(encoding="gb18030").splitlines()[:5]),
                   encoding="utf-8")
    with pytest.raises(CommandError, match="fewer than 5"):
        call_command("warmth", "analyse", "--responses", str(few), "--instrument", str(form))
