"""`warmgrid warmth index` on plain files, with no database (no `db` fixture: any query
would fail these tests)."""

import json

import pytest
from django.core.management import CommandError, call_command

from warmgrid.lib.warmth import composite
from warmgrid.lib.warmth.files import index_spec

TABLE = """community,on_time_rate,satisfaction,residents_per_worker
东风社区,0.92,4.5,310
西湖社区,0.71,3.9,520
南山社区,0.85,4.1,400
北岸社区,0.64,3.2,610
中心社区,,4.0,350
"""
SPEC = {
    "key": "community",
    "indicators": [{"name": "on_time_rate"}, {"name": "satisfaction"},
                   {"name": "residents_per_worker", "polarity": -1}],
    "outliers": "none",
    "monte_carlo": {"draws": 200, "seed": 3, "weighting": ["equal", "pca"],
                    "normalisation": ["minmax", "rank"]},
}


@pytest.fixture
def files(tmp_path):
    table = tmp_path / "indicators.csv"
    table.write_bytes(TABLE.encode("gb18030"))  # as Excel on a Chinese Windows saves it
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    return table, spec


def test_index_prints_one_json_object_with_scores_ranks_and_bands(files, capsys):
    table, spec = files
    call_command("warmth", "index", "--indicators", str(table), "--spec", str(spec), "--json")
    result = json.loads(capsys.readouterr().out)
    ranks = {row["unit"]: row["rank"] for row in result["units"]}
    assert ranks == {"东风社区": 1, "南山社区": 2, "西湖社区": 3, "北岸社区": 4}
    assert result["left_out"] == [{"row": 6, "unit": "中心社区", "missing": ["on_time_rate"]}]
    assert result["monte_carlo"]["draws"] == 200
    assert all(len(row["rank_band"]) == 2 for row in result["units"])
    # The same figures as the pure function on the same rows.
    _key, indicators, choices, mc = index_spec(SPEC)
    direct = composite.build_index(
        ["东风社区", "西湖社区", "南山社区", "北岸社区"],
        [[0.92, 4.5, 310], [0.71, 3.9, 520], [0.85, 4.1, 400], [0.64, 3.2, 610]],
        indicators, choices, mc)
    assert [r["score"] for r in direct["units"]] == [r["score"] for r in result["units"]]


def test_index_prints_a_table_for_people(files, capsys):
    table, spec = files
    call_command("warmth", "index", "--indicators", str(table), "--spec", str(spec))
    out = capsys.readouterr().out
    assert "东风社区" in out and "Monte Carlo" in out and "中心社区" in out


@pytest.mark.parametrize(("spec", "message"), [
    ({"indicators": ["a", "b"]}, '"key"'),
    ({"key": "community", "indicators": ["on_time_rate", "nonexistent"]}, "nonexistent"),
    ({**SPEC, "normalisation": "log"}, "normalisation"),
    ({**SPEC, "monte_carlo": {"draws": 0}}, "draws"),
])
def test_bad_specs_are_refused_with_the_reason(files, tmp_path, spec, message):
    table, _ = files
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("warmth", "index", "--indicators", str(table), "--spec", str(bad))


def test_unreadable_files_are_refused(tmp_path, files):
    table, spec = files
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("warmth", "index", "--indicators", str(tmp_path / "nope.csv"),
                     "--spec", str(spec))
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("warmth", "index", "--indicators", str(table), "--spec", str(broken))
