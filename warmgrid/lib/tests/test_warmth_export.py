"""The researcher export of a wave: codebook from the instrument, the analysis-ready table,
CSV for Excel, SPSS and Stata files read back with pyreadstat, and the refusals that keep
identifying columns and spreadsheet formulas out."""

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from warmgrid.lib.warmth import export
from warmgrid.lib.warmth.instrument import read_instrument

DEFAULT_FORM = Path(__file__).parents[2] / "warmth" / "data" / "shequ_wendu.md"
SMALL_FORM = Path(__file__).parent / "data" / "warmth_form.md"
ZH, EN = "Chinese (zh)", "English (en)"
STATA_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")


@pytest.fixture(scope="module")
def form():
    return read_instrument(DEFAULT_FORM)


@pytest.fixture(scope="module")
def answers(form):
    """Twelve responses as the platform hands them over: raw answers as text."""
    rng = np.random.default_rng(7)
    n = 12
    frame = {}
    for question in form.questions:
        names = [str(c["name"]) for c in question.choices]
        if question.type == "select one":
            frame[question.name] = [None if rng.random() < 0.1 else str(rng.choice(names))
                                    for _ in range(n)]
        elif question.type == "select all that apply":
            frame[question.name] = [
                None if rng.random() < 0.15 else " ".join(
                    names[j] for j in range(len(names)) if rng.random() < 0.4) or names[-1]
                for _ in range(n)]
        elif question.type == "integer":
            frame[question.name] = [str(rng.integers(0, 11)) for _ in range(n)]
    frame["needs_shopping"] = ["9", "4", None, "1", "5", "9", "3", "2", "4", "4", "9", "1"]
    frame["ownership"] = ["owner", "renter", "other", None, *["owner"] * 8]
    frame["participation"] = ["council volunteer", "none", None, "election",
                              *["suggest"] * 8]
    frame |= {
        "wave": ["2026-秋"] * n,
        "community": ["东风社区"] * 8 + ["西湖社区"] * 4,
        "grid": [f"G{i % 3}" for i in range(n)],
        "mode": ["self", "interviewer"] * 6,
        "channel": ["web", "openrosa", "web"] * 4,
        "language": ["zh-hans"] * 10 + ["en"] * 2,
        "submitted_on": [dt.date(2026, 10, 1 + i) for i in range(n)],
        "duration_seconds": [600 + 30 * i for i in range(n)],
        "quality_flags": ["", "speeding", "", "straight_lining;duplicate", *[""] * 8],
    }
    return pd.DataFrame(frame)


def exported_questions(form):
    return [q for q in form.questions if q.type != "note"]


def test_codebook_covers_every_question_each_choice_and_the_meta_columns(form):
    rows = export.codebook(form)
    names = [r["variable"] for r in rows]
    expected = list(export.META_COLUMNS)
    for question in exported_questions(form):
        expected.append(question.name)
        if question.type == "select all that apply":
            expected += [f"{question.name}__{c['name']}" for c in question.choices]
    assert names == expected
    by_name = {r["variable"]: r for r in rows}
    for question in exported_questions(form):
        row = by_name[question.name]
        assert (row["label"], row["label_zh"], row["label_en"]) == (
            question.labels[ZH], question.labels[ZH], question.labels[EN])
        assert row["dimension"] == question.dimension and row["group"] == question.group
    shopping = form.question("needs_shopping")
    assert by_name["needs_shopping"]["value_labels"] == "; ".join(
        f"{c['name']}={c['label'][ZH]}" for c in shopping.choices)
    assert by_name["needs_shopping"]["missing_codes"] == "9"
    assert by_name["needs_shopping"]["stata_missing"] == "9=.a"
    assert by_name["needs_hassle"]["reverse"] == "yes"
    assert by_name["needs_shopping"]["reverse"] == "no"
    assert by_name["belonging_proud"]["in_temperature"] == "no"
    assert by_name["trust_most"]["in_temperature"] == "yes"
    assert by_name["age_band"]["in_temperature"] == "no"  # a covariate is not scored
    assert by_name["participation__council"]["type"] == "dummy"
    assert by_name["participation__council"]["label_en"].startswith("Residents' council")


def test_word_named_choices_are_numbered_and_the_codebook_says_how(form):
    row = {r["variable"]: r for r in export.codebook(form)}["ownership"]
    names = [c["name"] for c in form.question("ownership").choices]
    assert row["choice_names"] == "; ".join(f"{i}={n}" for i, n in enumerate(names, 1))
    assert row["missing_codes"] == ""  # not scored: a word is a category, not "don't know"


def test_codebook_in_english(form):
    rows = {r["variable"]: r for r in export.codebook(form, language="en")}
    assert rows["trust_most"]["label"] == form.question("trust_most").labels[EN]
    assert rows["community"]["label"] == "Community code"
    assert "Strongly disagree" in rows["trust_most"]["value_labels"]
    with pytest.raises(ValueError, match="no language fr"):
        export.codebook(form, language="fr")


def test_names_are_valid_for_stata_and_spss_and_unique(form):
    names = [r["variable"] for r in export.codebook(form)]
    assert all(STATA_NAME.match(n) for n in names)
    assert len({n.lower() for n in names}) == len(names)


def test_long_and_odd_names_are_shortened_deterministically():
    long = "participation_in_residents_council_meetings__volunteer"
    odd = ["1st-answer", "in", "名字", "a.b", long, long + "x", "age", "Age"]
    taken: set[str] = set()
    made = [export.safe_name(n, taken) for n in odd]
    assert all(STATA_NAME.match(n) and len(n) <= 32 for n in made)
    assert len({n.lower() for n in made}) == len(made)
    assert made[1].lower() != "in"
    again: set[str] = set()
    assert [export.safe_name(n, again) for n in odd] == made
    assert made[4][:25] == long[:25] != made[5]


def test_export_frame_numbers_dummies_and_meta(form, answers):
    table = export.export_frame(form, answers)
    assert list(table.columns) == [r["variable"] for r in export.codebook(form)]
    assert len(table) == len(answers)
    for i, raw in enumerate(answers["needs_shopping"]):
        value = table["needs_shopping"].iloc[i]
        assert pd.isna(value) if pd.isna(raw) else value == int(raw)
    owners = [c["name"] for c in form.question("ownership").choices]
    for i, raw in enumerate(answers["ownership"]):
        value = table["ownership"].iloc[i]
        assert pd.isna(value) if pd.isna(raw) else value == owners.index(raw) + 1
    for choice in form.question("participation").choices:
        column = table[f"participation__{choice['name']}"]
        for i, raw in enumerate(answers["participation"]):
            expected = None if pd.isna(raw) else int(choice["name"] in raw.split())
            assert pd.isna(column.iloc[i]) if expected is None else column.iloc[i] == expected
    assert table["thermometer"].tolist() == [int(v) for v in answers["thermometer"]]
    assert table["submitted_on"].tolist() == answers["submitted_on"].tolist()
    assert pd.isna(table["quality_flags"].iloc[0])  # empty is missing, not ""


def test_a_time_of_day_is_dropped_from_the_submission_date(form, answers):
    frame = answers.copy()
    frame["submitted_on"] = [dt.datetime(2026, 10, 3, 14, 25)] * len(frame)
    table = export.export_frame(form, frame)
    assert set(table["submitted_on"]) == {dt.date(2026, 10, 3)}


@pytest.mark.parametrize("column", ["phone", "name", "household_id", "needs_shopping_x"])
def test_a_column_not_a_question_nor_meta_is_refused(form, answers, column):
    frame = answers.assign(**{column: ["x"] * len(answers)})
    with pytest.raises(ValueError, match=column):
        export.export_frame(form, frame)
    with pytest.raises(ValueError, match=column):
        export.write_spss(form, frame, "unused.sav")


def test_identifying_question_types_are_not_exported(tmp_path):
    text = SMALL_FORM.read_text(encoding="utf-8").replace(
        "| | text | why |", "| | geopoint | home | 住址位置 | Location of home | | | | | | |\n"
        "| | text | why |")
    path = tmp_path / "form.md"
    path.write_text(text, encoding="utf-8")
    small = read_instrument(path)
    assert small.question("home").type == "geopoint"
    assert "home" not in [r["variable"] for r in export.codebook(small)]
    frame = pd.DataFrame({"trust1": ["4"], "home": ["31.2 121.4 0 0"]})
    with pytest.raises(ValueError, match="home"):
        export.export_frame(small, frame)


def test_an_answer_not_among_the_choices_is_refused(form, answers):
    with pytest.raises(ValueError, match="ownership"):
        export.export_frame(form, answers.assign(ownership="landlord"))
    with pytest.raises(ValueError, match="participation"):
        export.export_frame(form, answers.assign(participation="council picnic"))
    kept = export.export_frame(form, answers.assign(needs_medical="7"))
    assert set(kept["needs_medical"]) == {7}  # a number stays; quality flags mark it


def test_csv_round_trip_keeps_chinese_for_excel(form, answers, tmp_path):
    table = export.export_frame(form, answers)
    path = export.write_csv(table, tmp_path / "responses.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns) == list(table.columns)
    assert back["community"].tolist() == answers["community"].tolist()
    assert back["wave"].tolist() == answers["wave"].tolist()
    assert back["needs_shopping"].tolist() == answers["needs_shopping"].fillna("").tolist()
    assert back["submitted_on"].tolist() == [d.isoformat() for d in answers["submitted_on"]]


DANGEROUS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
HARMLESS = ["好的", "a=b", "'quoted", " x"]


def test_formula_injection_is_neutralised_in_the_csv(tmp_path):
    path = export.write_csv(pd.DataFrame({"text": DANGEROUS + HARMLESS,
                                          "number": [-5] * 10}), tmp_path / "t.csv")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["text"].tolist() == [f"'{v}" for v in DANGEROUS] + HARMLESS
    assert set(back["number"]) == {"-5"}  # a number is not text


def test_free_text_answers_reach_the_csv_neutralised(tmp_path):
    small = read_instrument(SMALL_FORM)
    frame = pd.DataFrame({"why": [" =1+1", "-2+3", "@SUM(A1)", "好的"],
                          "community": ["=1+1", *["东风社区"] * 3]})
    path = export.write_csv(export.export_frame(small, frame), tmp_path / "r.csv")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["why"].tolist() == ["'=1+1", "'-2+3", "'@SUM(A1)", "好的"]
    assert back["community"].iloc[0] == "'=1+1"


def test_codebook_csv_and_markdown(form, tmp_path):
    rows = export.codebook(form)
    path = export.write_codebook_csv(rows, tmp_path / "codebook.csv")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["variable"].tolist() == [r["variable"] for r in rows]
    assert back["label"].tolist() == [r["label"] for r in rows]
    text = export.codebook_markdown([*rows, {"variable": "x", "label": "a|b"}])
    assert text.count("\n") == len(rows) + 3
    assert "| x | a\\|b |" in text


def _floats(column) -> np.ndarray:
    return pd.to_numeric(pd.Series(column), errors="coerce").to_numpy(dtype=float)


def test_spss_file_reads_back_with_labels_and_declared_missing(form, answers, tmp_path):
    table = export.export_frame(form, answers)
    rows = {r["variable"]: r for r in export.codebook(form)}
    path = export.write_spss(form, answers, tmp_path / "responses.sav")
    back, meta = pyreadstat.read_sav(path, user_missing=True)
    assert list(back.columns) == list(table.columns)
    for name, row in rows.items():
        if row["storage"] == "numeric":
            np.testing.assert_array_equal(_floats(back[name]), _floats(table[name]), name)
        elif row["storage"] == "string":
            assert back[name].tolist() == table[name].fillna("").tolist(), name
    assert back["submitted_on"].tolist() == answers["submitted_on"].tolist()
    assert meta.column_names_to_labels["trust_most"] == rows["trust_most"]["label"]
    shopping = form.question("needs_shopping").choices
    assert meta.variable_value_labels["needs_shopping"] == {
        float(c["name"]): c["label"][ZH] for c in shopping}
    assert meta.variable_value_labels["participation__council"] == {0.0: "未选", 1.0: "选中"}
    assert meta.missing_ranges["needs_shopping"] == [{"lo": 9.0, "hi": 9.0}]
    assert "ownership" not in meta.missing_ranges
    plain, _ = pyreadstat.read_sav(path)  # SPSS's own reading: 9 is missing
    dont_know = table["needs_shopping"].eq(9).fillna(False).to_numpy()
    assert dont_know.sum() == 3 and plain["needs_shopping"][dont_know].isna().all()


def test_spss_labels_in_english(form, answers, tmp_path):
    path = export.write_spss(form, answers, tmp_path / "en.sav", language="en")
    _, meta = pyreadstat.read_sav(path, metadataonly=True)
    assert meta.column_names_to_labels["trust_most"] == form.question("trust_most").labels[EN]
    assert meta.variable_value_labels["needs_shopping"][1.0] == "Strongly disagree"


def test_stata_file_reads_back_with_labels_and_extended_missing(form, answers, tmp_path):
    table = export.export_frame(form, answers)
    rows = {r["variable"]: r for r in export.codebook(form)}
    path = export.write_stata(form, answers, tmp_path / "responses.dta")
    back, meta = pyreadstat.read_dta(path, user_missing=True)
    assert list(back.columns) == list(table.columns)
    for name, row in rows.items():
        if row["storage"] == "numeric":
            expected = table[name].astype("object")
            if row["stata_missing"]:
                codes = dict(pair.split("=.") for pair in row["stata_missing"].split("; "))
                expected = expected.map(lambda v, c=codes: c.get(str(v), v))
            assert _same(back[name].tolist(), expected.tolist()), name
        elif row["storage"] == "string":
            assert back[name].tolist() == table[name].fillna("").tolist(), name
    assert back["submitted_on"].tolist() == answers["submitted_on"].tolist()
    for name, label in meta.column_names_to_labels.items():
        full = rows[name]["label"]
        assert label == full or (len(label) == 80 and full.startswith(label[:-1]))
    shopping = form.question("needs_shopping").choices
    assert meta.variable_value_labels["needs_shopping"] == {
        **{int(c["name"]): c["label"][ZH] for c in shopping if c["name"] != "9"},
        "a": "不知道 / 不适用"}
    plain, _ = pyreadstat.read_dta(path)  # Stata's own reading: .a is missing
    dont_know = table["needs_shopping"].eq(9).fillna(False).to_numpy()
    assert plain["needs_shopping"][dont_know].isna().all()
    assert not plain["needs_shopping"][~dont_know & table["needs_shopping"].notna()
                                       .to_numpy()].isna().any()


def _same(got, expected) -> bool:
    def key(v):
        return v if isinstance(v, str) else "nan" if pd.isna(v) else float(v)
    return [key(v) for v in got] == [key(v) for v in expected]


def test_bundle_writes_the_five_files_and_names_small_communities(form, answers, tmp_path):
    paths = export.write_bundle(form, answers, tmp_path / "wave")
    assert sorted(p.name for p in paths) == sorted(
        ["responses.csv", "codebook.csv", "responses.sav", "responses.dta", "README.txt"])
    assert all(p.exists() and p.stat().st_size for p in paths)
    readme = (tmp_path / "wave" / "README.txt").read_text(encoding="utf-8")
    counts = answers["community"].value_counts()
    small = [c for c, n in counts.items() if n < 5]
    assert small and all(f"{c} ({counts[c]})" in readme for c in small)
    assert not any(c in readme for c, n in counts.items() if n >= 5)
    assert "少于 5" in readme and "fewer than 5" in readme
    assert f"{len(answers)} responses" in readme
