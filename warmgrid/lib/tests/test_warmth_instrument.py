"""Reading an XLSForm instrument through pyxform: groups, relevance, two languages, our
dimension / facet / reverse columns and the scale of each scored item."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from warmgrid.lib.warmth import instrument as xlsform
from warmgrid.lib.warmth.instrument import InstrumentError, answer_values, read_instrument

FORM = (Path(__file__).parent / "data" / "warmth_form.md").read_text(encoding="utf-8")


@pytest.fixture
def form(tmp_path):
    path = tmp_path / "form.md"
    path.write_text(FORM, encoding="utf-8")
    return read_instrument(path)


def test_questions_groups_relevance_and_languages(form):
    assert (form.title, form.form_id, form.version) == ("测试量表", "test_warmth", "2026.1")
    assert form.default_language == "Chinese (zh)"
    assert form.languages == ("Chinese (zh)", "English (en)")
    why = form.question("why")
    assert why.group == "life" and why.relevant == "${thermo} < 5"
    assert form.question("trust1").required and not form.question("trust2").required
    assert form.question("thermo").labels["English (en)"] == "Community thermometer (0–10)"


def test_scored_items_and_their_scales(form):
    items = {i.name: i for i in form.items}
    assert set(items) == {"trust1", "trust2", "thermo", "acts"}
    assert (items["trust1"].low, items["trust1"].high) == (1, 5)
    assert items["trust1"].missing_codes == frozenset({9.0})  # "don't know" is not a value
    assert items["trust2"].reverse and not items["trust1"].reverse
    assert (items["thermo"].low, items["thermo"].high) == (0, 10)
    assert (items["acts"].low, items["acts"].high) == (0, 3)  # "none" is not an activity


def test_answers_from_an_export_with_group_paths(form):
    table = pd.DataFrame({"trust1": [5, 9, None], "trust2": ["1", "dk", "4"],
                          "life/thermo": [7, 3, 11],
                          "life/acts": ["festival meeting", "none", None]})
    matrix, columns = answer_values(form, table)
    assert columns == ["trust1", "trust2", "life/thermo", "life/acts"]
    expected = np.array([[5, 1, 7, 2], [9, np.nan, 3, 0], [np.nan, 4, 11, np.nan]])
    assert np.allclose(matrix, expected, equal_nan=True)


@pytest.mark.parametrize(("row", "message"), [
    ("| | text | t | 文本 | Text | capital | trust | | | | |", "cannot be scored"),
    ("| | integer | n | 数 | Number | capital | trust | | | | |", "constraint"),
    ("| | integer | n | 数 | Number | capital | | | | | . >= 0 and . <= 3 |", "both"),
])
def test_forms_that_cannot_be_scored_say_which_question(tmp_path, row, message):
    path = tmp_path / "bad.md"
    lines = FORM.splitlines()
    at = next(i for i, line in enumerate(lines) if "trust2" in line)
    path.write_text("\n".join([*lines[:at + 1], row, *lines[at + 1:]]), encoding="utf-8")
    with pytest.raises(InstrumentError, match=message):
        read_instrument(path)


def test_group_labels_per_language(form):
    assert form.group_labels == {"life": {"Chinese (zh)": "生活", "English (en)": "Daily life"}}


def test_answers_are_checked_as_the_form_would(form):
    clean, problems = xlsform.check_answers(form, {
        "trust2": "7", "thermo": "11", "acts": ["festival", "festival", "meeting"],
        "why": "", "unknown": "x"})
    assert problems == {"trust1": xlsform.REQUIRED, "trust2": xlsform.NOT_A_CHOICE,
                        "thermo": xlsform.OUT_OF_RANGE}
    assert clean == {"acts": "festival meeting"}  # repeats dropped, unknown names too
    clean, problems = xlsform.check_answers(form, {"trust1": "9", "thermo": "4.5",
                                                   "acts": "festival dance"})
    assert problems == {"thermo": xlsform.NOT_A_NUMBER, "acts": xlsform.NOT_A_CHOICE}
    assert clean == {"trust1": "9"}  # "don't know" is an answer, scored as missing later


def test_a_question_with_a_condition_is_never_required_here(tmp_path):
    path = tmp_path / "form.md"
    row = "| | text | why | 为什么？ | Why? | | | | ${thermo} < 5 |"
    path.write_text(FORM.replace(f"{row} | |", f"{row} yes | |"), encoding="utf-8")
    conditional = read_instrument(path)
    assert conditional.question("why").required
    _clean, problems = xlsform.check_answers(conditional, {"trust1": "3"})
    assert "why" not in problems
