"""Survey instruments are XLSForms: read one (an .xlsx, or the markdown form pyxform
reads) into the questions and the scored items the statistics need.

Pure, no Django. pyxform parses the survey, choices and settings sheets, groups,
`relevant`, `constraint`, `required` and the labels per language; it keeps our own columns:

- `dimension` and `facet`: a question with both is a scored item;
- `reverse`: yes / true / 1 for a reverse-keyed item;
- `temperature`: no for the items of a dimension kept out of the temperature (outcomes
  such as belonging and the 0–10 thermometer, which check the temperature's validity);
  a dimension is in or out as a whole;
- on the choices sheet, `missing`: yes for a choice that counts as missing ("don't know",
  "refused") although its name is a number.

The scale of a scored item: for `select_one`, the numeric choice names not marked missing
(low = the smallest, high = the largest; a choice whose name is not a number, such as
`dk`, is always missing); for `integer` and `decimal`, the bounds of a constraint of the
form `. >= a and . <= b`; for `select_multiple` (a checklist), the number of options
chosen, 0 to the number of options not marked missing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from warmgrid.lib.warmth.scoring import ItemSpec

SCORED_TYPES = ("select one", "select all that apply", "integer", "decimal")
_YES = {"yes", "true", "1", "y"}
_BOUND = re.compile(r"\.\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)")


class InstrumentError(ValueError):
    """The form cannot be used as an instrument; the message names the question."""


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    labels: dict[str, str]
    group: str = ""  # the enclosing groups' names, joined by "/"
    dimension: str = ""
    facet: str = ""
    reverse: bool = False
    in_temperature: bool = True
    relevant: str = ""
    constraint: str = ""
    required: bool = False
    choices: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Instrument:
    title: str
    form_id: str
    version: str
    default_language: str
    languages: tuple[str, ...]
    questions: tuple[Question, ...]
    items: tuple[ItemSpec, ...] = field(default=())
    item_types: dict[str, str] = field(default_factory=dict)
    outside_temperature: frozenset[str] = frozenset()  # dimensions that check validity
    group_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # path → labels

    def question(self, name: str) -> Question:
        return next(q for q in self.questions if q.name == name)


def _number(text) -> float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _missing(choice: dict) -> bool:
    return str(choice.get("missing", "")).strip().lower() in _YES


def _walk(children, group=""):
    for child in children:
        if child.get("type") in ("group", "repeat"):
            if child.get("name") == "meta":
                continue
            inner = f"{group}/{child['name']}" if group else child["name"]
            yield from _walk(child.get("children", []), inner)
        else:
            yield group, child


def _group_labels(children, group="") -> dict[str, dict[str, str]]:
    found = {}
    for child in children:
        if child.get("type") in ("group", "repeat") and child.get("name") != "meta":
            inner = f"{group}/{child['name']}" if group else child["name"]
            found[inner] = _labels(child.get("label"))
            found.update(_group_labels(child.get("children", []), inner))
    return found


def _labels(value) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {"default": str(value)} if value else {}


def _scale(question: Question) -> tuple[float, float, frozenset[float]]:
    if question.type == "select one":
        numbers = [(_number(c["name"]), _missing(c)) for c in question.choices]
        scale = [v for v, missing in numbers if v is not None and not missing]
        if len(scale) < 2:
            raise InstrumentError(f"{question.name}: a scored select_one needs at least two "
                                  "choices named by numbers.")
        codes = frozenset(v for v, missing in numbers if v is not None and missing)
        return min(scale), max(scale), codes
    if question.type == "select all that apply":
        options = [c for c in question.choices if not _missing(c)]
        return 0.0, float(len(options)), frozenset()
    bounds = dict(_BOUND.findall(question.constraint))
    low = _number(bounds.get(">=", bounds.get(">")))
    high = _number(bounds.get("<=", bounds.get("<")))
    if low is None or high is None or not high > low:
        raise InstrumentError(f"{question.name}: a scored {question.type} needs a constraint "
                              "such as `. >= 0 and . <= 10` for its range.")
    return low, high, frozenset()


def read_instrument(path: str | Path) -> Instrument:
    """Parse an XLSForm (.xlsx, .xls or .md) with pyxform and collect its scored items."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import parse_file_to_json

    path = Path(path)
    try:
        form = parse_file_to_json(str(path))
    except PyXFormError as exc:
        raise InstrumentError(f"{path.name}: {exc}") from exc
    questions, items, types = [], [], {}
    languages: set[str] = set()
    for group, child in _walk(form.get("children", [])):
        bind = child.get("bind", {})
        labels = _labels(child.get("label"))
        languages.update(k for k in labels if k != "default")
        question = Question(
            name=child["name"], type=child.get("type", ""), labels=labels, group=group,
            dimension=str(child.get("dimension", "")).strip(),
            facet=str(child.get("facet", "")).strip(),
            reverse=str(child.get("reverse", "")).strip().lower() in _YES,
            in_temperature=str(child.get("temperature", "")).strip().lower()
            not in {"no", "false", "0", "n"},
            relevant=bind.get("relevant", ""), constraint=bind.get("constraint", ""),
            required=str(bind.get("required", "")).strip().lower() in _YES,
            choices=tuple(child.get("choices", ())))
        questions.append(question)
        if bool(question.dimension) != bool(question.facet):
            raise InstrumentError(f"{question.name}: give both a dimension and a facet, or "
                                  "neither.")
        if not question.dimension:
            continue
        if question.type not in SCORED_TYPES:
            raise InstrumentError(f"{question.name}: a {question.type} question cannot be "
                                  "scored; use select_one, select_multiple, integer or "
                                  "decimal.")
        low, high, codes = _scale(question)
        items.append(ItemSpec(question.name, question.facet, question.dimension, low, high,
                              reverse=question.reverse, missing_codes=codes))
        types[question.name] = question.type
    if not items:
        raise InstrumentError(f"{path.name}: no question has a dimension and a facet.")
    inside: dict[str, set[bool]] = {}
    for question in questions:
        if question.dimension:
            inside.setdefault(question.dimension, set()).add(question.in_temperature)
    mixed = sorted(d for d, flags in inside.items() if len(flags) > 1)
    if mixed:
        raise InstrumentError(f"Dimension {', '.join(mixed)}: the temperature column must be "
                              "the same for all its items.")
    return Instrument(
        title=str(form.get("title", "")), form_id=str(form.get("id_string", "")),
        version=str(form.get("version", "")),
        default_language=str(form.get("default_language", "default")),
        languages=tuple(sorted(languages)), questions=tuple(questions), items=tuple(items),
        item_types=types,
        outside_temperature=frozenset(d for d, flags in inside.items() if flags == {False}),
        group_labels=_group_labels(form.get("children", [])))


# Seconds a respondent needs, by question type: a rough rule for the length of a form.
SECONDS = {"note": 20, "select one": 15, "select all that apply": 25, "integer": 15,
           "decimal": 15, "text": 40}


def estimated_minutes(instrument: Instrument) -> float:
    """The form's length by SECONDS (relevance ignored: every question counted)."""
    return sum(SECONDS.get(q.type, 15) for q in instrument.questions) / 60


def answer_values(instrument: Instrument, table) -> tuple:
    """The answers of a response table (one column per item, named as the question; ODK
    and Kobo exports may prefix a group path, `group/name`, which is accepted) as floats:
    a select_multiple answer (space-separated choice names) counts its options not marked
    missing; anything that is not a number is missing. Returns (matrix, column names
    used)."""
    import numpy as np
    import pandas as pd

    columns = []
    for item in instrument.items:
        candidates = [c for c in table.columns
                      if c == item.name or str(c).rsplit("/", 1)[-1] == item.name]
        if not candidates:
            raise InstrumentError(f"The responses have no column for item {item.name}.")
        columns.append(candidates[0])
    matrix = np.empty((len(table), len(columns)))
    for j, (item, column) in enumerate(zip(instrument.items, columns, strict=True)):
        raw = table[column]
        if instrument.item_types[item.name] == "select all that apply":
            counted = {str(c["name"]) for c in instrument.question(item.name).choices
                       if not _missing(c)}
            matrix[:, j] = [np.nan if pd.isna(v) else
                            float(sum(1 for part in str(v).split() if part in counted))
                            for v in raw]
        else:
            matrix[:, j] = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    return matrix, columns


def to_xform(path: str | Path) -> str:
    """The XForm XML of an XLSForm, for ODK Collect, KoboCollect and Enketo (pyxform)."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    try:
        return convert(str(path), pretty_print=True).xform
    except PyXFormError as exc:
        raise InstrumentError(f"{Path(path).name}: {exc}") from exc


def to_xlsx(path: str | Path, out: str | Path) -> Path:
    """The XLSForm as an .xlsx workbook (a markdown form is converted, an .xlsx copied)."""
    import shutil

    from pyxform.xls2json_backends import md_table_to_workbook

    path, out = Path(path), Path(out)
    if path.suffix.lower() == ".md":
        md_table_to_workbook(path.read_text(encoding="utf-8")).save(out)
    else:
        shutil.copyfile(path, out)
    return out


# Why an answer was refused; the platform words these for people.
REQUIRED, NOT_A_CHOICE, NOT_A_NUMBER, OUT_OF_RANGE, TOO_LONG = (
    "required", "not_a_choice", "not_a_number", "out_of_range", "too_long")
ANSWERED_TYPES = frozenset({"select one", "select all that apply", "integer", "decimal",
                            "text"})
MAX_TEXT = 2000


def _in_bounds(value: float, constraint: str) -> bool:
    for operator, bound in _BOUND.findall(constraint):
        limit = float(bound)
        if not {">=": value >= limit, "<=": value <= limit, ">": value > limit,
                "<": value < limit}[operator]:
            return False
    return True


def check_answers(instrument: Instrument, answers: dict) -> tuple[dict[str, str], dict]:
    """The answers a form may store, as text keyed by question name, and the problems as
    {question name: reason}. Unknown names are dropped. A question with a `relevant`
    condition is never required here (the condition is the client's to evaluate); a
    constraint is enforced only in the bounds form `. >= a and . <= b`."""
    clean: dict[str, str] = {}
    problems: dict[str, str] = {}
    for question in instrument.questions:
        if question.type not in ANSWERED_TYPES:
            continue
        raw = answers.get(question.name)
        text = " ".join(raw) if isinstance(raw, (list, tuple)) else str(raw or "").strip()
        if not text:
            if question.required and not question.relevant:
                problems[question.name] = REQUIRED
            continue
        names = {str(c["name"]) for c in question.choices}
        if question.type == "select one" and text not in names:
            problems[question.name] = NOT_A_CHOICE
        elif question.type == "select all that apply" and not set(text.split()) <= names:
            problems[question.name] = NOT_A_CHOICE
        elif question.type in ("integer", "decimal"):
            value = _number(text)
            if value is None or (question.type == "integer" and value != int(value)):
                problems[question.name] = NOT_A_NUMBER
            elif not _in_bounds(value, question.constraint):
                problems[question.name] = OUT_OF_RANGE
        elif question.type == "text" and len(text) > MAX_TEXT:
            problems[question.name] = TOO_LONG
        if question.name not in problems:
            clean[question.name] = (" ".join(dict.fromkeys(text.split()))
                                    if question.type == "select all that apply" else text)
    return clean, problems
