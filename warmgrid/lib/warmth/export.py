"""The researcher export of a survey wave: de-identified responses as CSV, SPSS (.sav) and
Stata (.dta), with a codebook made from the instrument, so a researcher outside the
platform can analyse a wave with the labels, codes and missing values the form declares.

Pure, no Django. The platform hands over a table with one column per question (the raw
form answers as text) and the de-identified meta columns in META_COLUMNS; any other
column is refused (ValueError), so nothing identifying can slip into an export by a
column added upstream. Question types that can identify a respondent (locations,
photos, device ids, calculations, …) are not exported: only EXPORTED_TYPES are.

Variables, in codebook order: the meta columns, then the questions in the form's order;
a select_multiple gives its raw column (space-separated choice names) and one 0/1 dummy
per choice (`participation__vote`). Names are valid for Stata and SPSS (letters, digits,
underscore, a letter first, at most 32 characters, unique ignoring case).

Codes: a select_one's value is its choice name when that is a whole number; otherwise
(`owner`, `dk`) choices are numbered after the largest whole-number name in the form's
order (the codebook's `choice_names` says how). A choice marked `missing` (and, for a
scored item, a choice named by a word) is a missing code: kept as its number in the CSV,
declared user-missing in the .sav, and written as Stata's extended missing .a (.b, … for
a second and third) in the .dta, with its value label.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from warmgrid.lib.warmth.analysis import MIN_GROUP
from warmgrid.lib.warmth.instrument import Instrument, Question, _missing

EXPORTED_TYPES = ("select one", "select all that apply", "integer", "decimal", "range",
                  "text")
FORM_TYPES = {"select one": "select_one", "select all that apply": "select_multiple"}

# What the platform adds to each response: nothing that names a person or a household.
META_COLUMNS: dict[str, dict[str, str]] = {
    "wave": {"zh": "调查轮次", "en": "Survey wave"},
    "community": {"zh": "社区代码", "en": "Community code"},
    "grid": {"zh": "网格代码", "en": "Grid code"},
    "mode": {"zh": "作答方式", "en": "Mode"},
    "channel": {"zh": "提交渠道", "en": "Channel"},
    "language": {"zh": "作答语言", "en": "Language answered in"},
    "submitted_on": {"zh": "提交日期（只到日）", "en": "Date submitted (day only)"},
    "duration_seconds": {"zh": "作答用时（秒）", "en": "Time taken (seconds)"},
    "quality_flags": {"zh": "数据质量标记（分号分隔）",
                      "en": "Data-quality flags (semicolon-separated)"},
}
META_VALUES: dict[str, dict[str, str]] = {
    "mode": {"zh": "self=自填; interviewer=访员代填",
             "en": "self=self-completed; interviewer=interviewer-administered"},
    "channel": {"zh": "web=网页; openrosa=ODK/Kobo 客户端",
                "en": "web=web page; openrosa=ODK/Kobo client"},
    "quality_flags": {"zh": "straight_lining=直线作答; speeding=作答过快; duplicate=重复; "
                            "out_of_range=超出范围",
                      "en": "straight_lining=straight-lining; speeding=speeding; "
                            "duplicate=duplicate; out_of_range=out of range"},
}
DUMMY_LABELS = {"zh": ("未选", "选中"), "en": ("not chosen", "chosen")}

MAX_NAME = 32  # Stata's limit (SPSS allows 64 bytes)
# Words Stata or SPSS will not take as a variable name (SPSS ignores case).
RESERVED = frozenset({
    "all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with",
    "byte", "double", "float", "if", "in", "int", "long", "using", "strl"})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
STATA_LABEL_CHARS = 80  # Stata refuses longer variable labels
SPSS_LABEL_BYTES = 256  # SPSS cuts longer variable labels; value labels at 120 bytes
SPSS_VALUE_LABEL_BYTES = 120


@dataclass(frozen=True)
class Variable:
    """One exported column: a meta column, a question's own column or a dummy."""

    name: str
    kind: str  # meta, select_one, select_multiple, dummy, integer, decimal, text
    question: Question | None = None
    choice: dict | None = None
    codes: dict[str, int] = field(default_factory=dict)  # select_one: choice name → code
    missing: tuple[int, ...] = ()  # select_one codes that are missing, not values


# Names ---------------------------------------------------------------------------------

def safe_name(name: str, taken: set[str]) -> str:
    """A Stata and SPSS variable name for `name`, not in `taken` (compared ignoring case),
    which it joins. Other characters become `_`, a name not starting with a letter gets
    a `v`, a reserved word an `_`; a name over 32 characters keeps its first 25 and a hash
    of the whole, so the same form always gives the same names."""
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not clean[:1].isalpha():
        clean = f"v{clean}"
    if clean.lower() in RESERVED or re.fullmatch(r"str\d+", clean.lower()):
        clean = f"{clean}_"
    if len(clean) > MAX_NAME:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]
        clean = f"{clean[:MAX_NAME - 7]}_{digest}"
    candidate, counter = clean, 1
    while candidate.lower() in taken:
        counter += 1
        suffix = f"_{counter}"
        candidate = f"{clean[:MAX_NAME - len(suffix)]}{suffix}"
    taken.add(candidate.lower())
    return candidate


def _is_whole(text: str) -> int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value == int(value) else None


def choice_codes(question: Question) -> dict[str, int]:
    """A select_one's choice names → integer codes: a whole-number name is its own code;
    the others are numbered after the largest, in the form's order."""
    codes: dict[str, int] = {}
    for choice in question.choices:
        number = _is_whole(str(choice["name"]))
        if number is not None and number not in codes.values():
            codes[str(choice["name"])] = number
    following = max(codes.values(), default=0)
    for choice in question.choices:
        if str(choice["name"]) not in codes:
            following += 1
            codes[str(choice["name"])] = following
    return codes


def _missing_names(question: Question) -> list[str]:
    # As the scoring reads the form: a scored item's word-named choice is missing too.
    return [str(c["name"]) for c in question.choices
            if _missing(c) or (question.dimension and _is_whole(str(c["name"])) is None
                               and question.type == "select one")]


def variables(instrument: Instrument) -> list[Variable]:
    """The exported variables, in codebook order."""
    taken: set[str] = set()
    out = [Variable(safe_name(name, taken), "meta") for name in META_COLUMNS]
    for question in instrument.questions:
        if question.type not in EXPORTED_TYPES:
            continue
        if question.name in META_COLUMNS:
            raise ValueError(f"{question.name}: a question cannot share its name with a meta "
                             "column of the export.")
        name = safe_name(question.name, taken)
        if question.type == "select one":
            codes = choice_codes(question)
            out.append(Variable(name, "select_one", question, codes=codes, missing=tuple(
                codes[n] for n in _missing_names(question))))
        elif question.type == "select all that apply":
            out.append(Variable(name, "select_multiple", question))
            out.extend(Variable(safe_name(f"{question.name}__{c['name']}", taken), "dummy",
                                question, choice=c) for c in question.choices)
        else:
            kind = "decimal" if question.type == "range" else question.type
            out.append(Variable(name, kind, question))
    return out


# Labels --------------------------------------------------------------------------------

def language_code(language: str) -> str:
    """`Chinese (zh)` → `zh`: the code XLSForms put in brackets (else the name, slugged)."""
    found = re.search(r"\(([A-Za-z][\w-]*)\)\s*$", language)
    return (found.group(1) if found else re.sub(r"\W+", "_", language)).lower()


def _resolve_language(instrument: Instrument, language: str | None) -> str:
    if language is None:
        return instrument.default_language
    for known in instrument.languages:
        if language in (known, language_code(known)):
            return known
    if language == "default" or not instrument.languages:
        return "default"
    raise ValueError(f"The form has no language {language}; it has "
                     f"{', '.join(instrument.languages)}.")


def _pick(labels, language: str, fallback: str) -> str:
    if not isinstance(labels, dict):
        return str(labels or "")
    for key in (language, fallback, "default"):
        if labels.get(key):
            return str(labels[key])
    return str(next(iter(labels.values()), ""))


def _fixed(texts: dict[str, str], language: str) -> str:
    return texts.get(language_code(language), texts["en"])


def variable_label(variable: Variable, language: str, fallback: str) -> str:
    if variable.kind == "meta":
        return _fixed(META_COLUMNS[variable.name], language)
    question_label = _pick(variable.question.labels, language, fallback)
    if variable.kind == "dummy":  # the choice first, so a cut label still tells them apart
        return f"{_pick(variable.choice.get('label'), language, fallback)} — {question_label}"
    return question_label


def value_labels(variable: Variable, language: str, fallback: str) -> dict:
    """Code → label: select_one codes, dummies' 0/1, a checklist's choice names."""
    if variable.kind == "select_one":
        return {variable.codes[str(c["name"])]: _pick(c.get("label"), language, fallback)
                for c in variable.question.choices}
    if variable.kind == "dummy":
        return dict(enumerate(_fixed(DUMMY_LABELS, language)))
    if variable.kind == "select_multiple":
        return {str(c["name"]): _pick(c.get("label"), language, fallback)
                for c in variable.question.choices}
    return {}


def _joined(pairs: dict) -> str:
    return "; ".join(f"{code}={label}" for code, label in pairs.items())


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _stata_missing(variable: Variable) -> dict[int, str]:
    return {code: chr(ord("a") + i) for i, code in enumerate(variable.missing)}


def codebook(instrument: Instrument, language: str | None = None) -> list[dict]:
    """One row per exported variable: its name, the question and choice it comes from,
    its label in `language` (default: the form's) and in each of the form's languages
    (`label_zh`, `label_en`), type, storage, group, dimension, facet, reverse,
    in_temperature, required, the scale of a scored item, value labels, missing codes
    (and their Stata extended missing values) and, where codes were assigned, which
    choice name each stands for."""
    language = _resolve_language(instrument, language)
    fallback = instrument.default_language
    languages = instrument.languages or ("default",)
    scales = {item.name: item for item in instrument.items}
    rows = []
    for variable in variables(instrument):
        question = variable.question
        row = {"variable": variable.name,
               "question": question.name if question else variable.name,
               "choice": str(variable.choice["name"]) if variable.choice else "",
               "label": variable_label(variable, language, fallback)}
        for each in languages:
            row[f"label_{language_code(each)}"] = variable_label(variable, each, fallback)
        row["type"] = ("meta" if question is None else "dummy" if variable.kind == "dummy"
                       else FORM_TYPES.get(question.type, question.type))
        row["storage"] = _storage(variable)
        item = scales.get(question.name) if question else None
        row |= _form_columns(question) | {
            "scale": f"{item.low:g}–{item.high:g}" if item and variable.kind != "dummy"
            else "",
            "value_labels": _value_labels_text(variable, language, fallback),
            "missing_codes": _missing_text(variable),
            "stata_missing": "; ".join(f"{code}=.{letter}" for code, letter
                                       in _stata_missing(variable).items()),
            "choice_names": "; ".join(f"{code}={name}" for name, code in variable.codes.items())
            if _recoded(variable) else "",
        }
        rows.append(row)
    return rows


def _form_columns(question: Question | None) -> dict[str, str]:
    if question is None:
        return dict.fromkeys(("group", "dimension", "facet", "reverse", "in_temperature",
                              "required"), "")
    scored = bool(question.dimension)
    return {"group": question.group, "dimension": question.dimension,
            "facet": question.facet, "reverse": _yes_no(scored and question.reverse),
            "in_temperature": _yes_no(scored and question.in_temperature),
            "required": _yes_no(question.required)}


def _value_labels_text(variable: Variable, language: str, fallback: str) -> str:
    if variable.kind == "meta":
        texts = META_VALUES.get(variable.name)
        return _fixed(texts, language) if texts else ""
    return _joined(value_labels(variable, language, fallback))


def _missing_text(variable: Variable) -> str:
    if variable.kind == "select_one":
        return "; ".join(str(code) for code in variable.missing)
    if variable.kind == "select_multiple":
        return "; ".join(_missing_names(variable.question))
    return ""


def _recoded(variable: Variable) -> bool:
    """Whether some select_one code is not the choice's own name."""
    return any(name != str(code) for name, code in variable.codes.items())


def _storage(variable: Variable) -> str:
    if variable.kind in ("select_multiple", "text"):
        return "string"
    if variable.kind == "meta":
        return {"submitted_on": "date", "duration_seconds": "numeric"}.get(variable.name,
                                                                           "string")
    return "numeric"


# The table -----------------------------------------------------------------------------

def check_columns(instrument: Instrument, frame: pd.DataFrame) -> None:
    """Refuse a table with any column that is neither an exported question nor a meta
    column: an unknown column may identify someone."""
    allowed = set(META_COLUMNS) | {q.name for q in instrument.questions
                                   if q.type in EXPORTED_TYPES}
    names = [str(c) for c in frame.columns]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ValueError("Columns neither questions of the form nor meta columns, refused "
                         f"so that nothing identifying is exported: {', '.join(unknown)}.")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"Columns given twice: {', '.join(twice)}.")


def _answers(column: pd.Series) -> list[str | None]:
    out = []
    for value in column:
        text = None if value is None or (not isinstance(value, str) and pd.isna(value)) \
            else str(value).strip()
        out.append(text or None)
    return out


def _select_one(variable: Variable, answers: list[str | None]) -> pd.Series:
    numbered = not _recoded(variable)
    values = []
    for answer in answers:
        if answer is None:
            values.append(pd.NA)
        elif answer in variable.codes:
            values.append(variable.codes[answer])
        elif numbered and _is_whole(answer) is not None:
            values.append(_is_whole(answer))  # outside the scale: kept, quality flags it
        else:
            raise ValueError(f"{variable.question.name}: the answer {answer!r} is not one "
                             "of its choices.")
    return pd.Series(values, dtype="Int64")


def _select_multiple(variable: Variable, answers: list[str | None]) -> list[list[str] | None]:
    names = {str(c["name"]) for c in variable.question.choices}
    chosen = []
    for answer in answers:
        parts = answer.split() if answer else None
        unknown = sorted(set(parts or ()) - names)
        if unknown:
            raise ValueError(f"{variable.question.name}: {', '.join(unknown)} is not one of "
                             "its choices.")
        chosen.append(parts)
    return chosen


def _number(variable: Variable, answers: list[str | None]) -> pd.Series:
    values = pd.to_numeric(pd.Series(answers, dtype="object"), errors="coerce")
    if variable.kind != "integer":
        return values.astype("float64")
    fractional = values.notna() & (values != values.round())
    if fractional.any():
        raise ValueError(f"{variable.question.name}: {values[fractional].iloc[0]} is not a "
                         "whole number.")
    return values.astype("Int64")


def _day(value) -> dt.date | None:
    if value is None or (not isinstance(value, (str, dt.date)) and pd.isna(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    stamp = pd.Timestamp(value)
    return None if pd.isna(stamp) else stamp.date()  # a time of day is dropped


def _meta(name: str, column: pd.Series | None, n: int) -> pd.Series:
    if column is None:
        column = pd.Series([None] * n, dtype="object")
    column = column.reset_index(drop=True)
    if name == "submitted_on":
        return pd.Series([_day(v) for v in column], dtype="object")
    if name == "duration_seconds":  # whole seconds are all anyone needs
        return pd.to_numeric(column, errors="coerce").round().astype("Int64")
    return pd.Series(_answers(column), dtype="string")


def export_frame(instrument: Instrument, frame: pd.DataFrame) -> pd.DataFrame:
    """The analysis-ready table, columns in codebook order: select_one and integer as
    whole numbers (nullable), decimals as floats, a checklist's raw column (its choice
    names, single-spaced) and 0/1 dummies (empty when unanswered), text as text, the meta
    columns (submitted_on a date, the day only; duration in whole seconds). A column the
    table lacks is empty; an answer that is not one of a question's choices is refused,
    except a whole number to a question whose choices are numbers, kept as it is (the
    quality flags mark it)."""
    check_columns(instrument, frame)
    n = len(frame)
    columns: dict[str, pd.Series] = {}
    chosen: dict[str, list[list[str] | None]] = {}
    for variable in variables(instrument):
        if variable.kind == "meta":
            columns[variable.name] = _meta(variable.name, frame.get(variable.name), n)
            continue
        question = variable.question
        if variable.kind == "dummy":
            name = str(variable.choice["name"])
            columns[variable.name] = pd.Series(
                [pd.NA if parts is None else int(name in parts)
                 for parts in chosen[question.name]], dtype="Int64")
            continue
        raw = frame[question.name].reset_index(drop=True) if question.name in frame \
            else pd.Series([None] * n, dtype="object")
        answers = _answers(raw)
        if variable.kind == "select_one":
            columns[variable.name] = _select_one(variable, answers)
        elif variable.kind == "select_multiple":
            chosen[question.name] = _select_multiple(variable, answers)
            columns[variable.name] = pd.Series(
                [None if parts is None else " ".join(parts)
                 for parts in chosen[question.name]], dtype="string")
        elif variable.kind in ("integer", "decimal"):
            columns[variable.name] = _number(variable, answers)
        else:
            columns[variable.name] = pd.Series(answers, dtype="string")
    return pd.DataFrame(columns)


# Files ---------------------------------------------------------------------------------

def neutralise_formulas(value):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def write_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """A table as CSV in UTF-8 with a byte-order mark (Excel then reads Chinese), text
    cells that could run as formulas neutralised, dates as YYYY-MM-DD."""
    path = Path(path)
    out = table.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            out[name] = column.astype("object").map(neutralise_formulas, na_action="ignore")
    # CRLF as RFC 4180 and Excel have it; the csv module then quotes a lone \r in text too.
    out.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def write_codebook_csv(rows: Sequence[dict], path: str | Path) -> Path:
    return write_csv(pd.DataFrame(list(rows)), path)


def codebook_markdown(rows: Sequence[dict]) -> str:
    """The codebook as a markdown table: variable, label, type, value labels, missing."""
    keys = ("variable", "label", "type", "value_labels", "missing_codes")
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        cells = (str(row.get(k, "")).replace("|", "\\|").replace("\n", " ") for k in keys)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cut_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit - 1]}…"


def _cut_bytes(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[:limit - 3].decode("utf-8", errors="ignore") + "…"  # "…" is 3 bytes


def _prepared(instrument: Instrument, frame: pd.DataFrame, language: str | None):
    language = _resolve_language(instrument, language)
    return (variables(instrument), export_frame(instrument, frame), language,
            instrument.default_language)


def _file_label(instrument: Instrument) -> str:
    return _cut_bytes(f"{instrument.title} ({instrument.form_id} {instrument.version})", 64)


def _sav(instrument, variables_, table, path, language, fallback) -> Path:
    import pyreadstat

    labels, values, missing, measure, formats = {}, {}, {}, {}, {}
    for variable in variables_:
        name = variable.name
        labels[name] = _cut_bytes(variable_label(variable, language, fallback),
                                  SPSS_LABEL_BYTES)
        if variable.kind in ("select_one", "dummy"):
            values[name] = {float(code): _cut_bytes(text, SPSS_VALUE_LABEL_BYTES)
                            for code, text in value_labels(variable, language,
                                                           fallback).items()}
            measure[name] = "nominal" if variable.kind == "dummy" or _recoded(variable) \
                else "ordinal"
        if variable.missing:
            missing[name] = _spss_missing(variable)
        if variable.kind in ("select_one", "dummy", "integer") \
                or name == "duration_seconds":
            formats[name] = "F8.0"
        if variable.kind in ("integer", "decimal") or name == "duration_seconds":
            measure[name] = "scale"
    out = table.copy()
    for name in out.columns:  # pyreadstat takes plain floats
        if isinstance(out[name].dtype, pd.Int64Dtype):
            out[name] = out[name].astype("float64")
    pyreadstat.write_sav(out, str(path), file_label=_file_label(instrument),
                         column_labels=labels, variable_value_labels=values,
                         missing_ranges=missing, variable_measure=measure,
                         variable_format=formats)
    return Path(path)


def _spss_missing(variable: Variable) -> list:
    # SPSS takes three discrete missing values, or a range and one more.
    codes = sorted(variable.missing)
    if len(codes) <= 3:
        return [float(c) for c in codes]
    valid = set(variable.codes.values()) - set(codes)
    if not any(codes[0] <= v <= codes[-1] for v in valid):
        return [{"lo": float(codes[0]), "hi": float(codes[-1])}]
    raise ValueError(f"{variable.question.name}: SPSS cannot declare these missing codes "
                     f"({', '.join(map(str, codes))}) around its valid ones.")


def _dta(instrument, variables_, table, path, language, fallback) -> Path:
    import pyreadstat

    labels, values, missing = {}, {}, {}
    out = table.copy()
    for variable in variables_:
        name = variable.name
        labels[name] = _cut_chars(variable_label(variable, language, fallback),
                                  STATA_LABEL_CHARS)
        column = out[name]
        if isinstance(column.dtype, pd.Int64Dtype) or column.dtype == "float64":
            column = column.astype("float64")
            letters = _stata_missing(variable)
            if letters:  # don't know → .a: missing in every Stata command, still labelled
                column = pd.Series([letters.get(v, v) for v in column], dtype="object")
                missing[name] = sorted(letters.values())
            out[name] = column
        elif _storage(variable) == "string":
            # Stata has no missing text but "" (and pyreadstat fails on None in a strL).
            out[name] = column.astype("object").where(column.notna(), "")
        if variable.kind in ("select_one", "dummy"):
            letters = _stata_missing(variable)
            values[name] = {letters.get(code, code): text for code, text
                            in value_labels(variable, language, fallback).items()}
    pyreadstat.write_dta(out, str(path), file_label=_cut_chars(_file_label(instrument), 80),
                         column_labels=labels, variable_value_labels=values,
                         missing_user_values=missing)
    return Path(path)


def write_spss(instrument: Instrument, frame: pd.DataFrame, path: str | Path,
               language: str | None = None) -> Path:
    """The responses as an SPSS .sav: variable labels and value labels in `language`
    (default: the form's), "don't know" codes declared user-missing (so SPSS leaves them
    out of every statistic but still shows and counts them), measures set."""
    variables_, table, language, fallback = _prepared(instrument, frame, language)
    return _sav(instrument, variables_, table, path, language, fallback)


def write_stata(instrument: Instrument, frame: pd.DataFrame, path: str | Path,
                language: str | None = None) -> Path:
    """The responses as a Stata .dta (version 15, UTF-8): variable labels (cut to Stata's
    80 characters, the codebook has them whole) and value labels in `language`. Stata has
    no user-missing values: each "don't know" code is written as an extended missing
    value, .a for the first (.b, .c for further ones), labelled like the choice, so it
    drops out of every calculation yet stays apart from an unanswered question (.).
    Missing text is "" (Stata has no other)."""
    variables_, table, language, fallback = _prepared(instrument, frame, language)
    return _dta(instrument, variables_, table, path, language, fallback)


def small_groups(table: pd.DataFrame, column: str = "community") -> dict[str, int]:
    """Groups with fewer than MIN_GROUP respondents in the export, and their counts."""
    counts = table[column].dropna().astype(str).value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items()) if v < MIN_GROUP}


README = """\
{title}（{form_id}，版本 {version}）· 研究者导出
{title} ({form_id}, version {version}) · researcher export

答卷 {n} 份，社区 {communities} 个；标签语言：{language}。
{n} responses from {communities} communities; labels in {language}.

文件 Files
  responses.csv  答卷，UTF-8（带 BOM，Excel 可直接显示中文）
                 responses, UTF-8 with a byte-order mark so that Excel shows Chinese
  codebook.csv   变量说明：各语言标签、题型、维度、取值标签、缺失值代码
                 codebook: labels in each language, type, dimension, value labels,
                 missing codes
  responses.sav  SPSS：变量标签、取值标签；“不知道”等代码已声明为用户缺失值
                 SPSS: variable and value labels; don't-know codes declared user-missing
  responses.dta  Stata：变量标签、取值标签；“不知道”等代码写为扩展缺失值 .a（.b…）
                 Stata: variable and value labels; don't-know codes written as
                 extended missing values .a (.b …)

去标识 De-identified
  不含姓名、住址、电话、证件号、住户或设备编号；不导出位置、照片等
  可识别个人的题型；提交时间只保留到日（submitted_on）。
  No names, addresses, phone numbers, ID numbers, household or device
  identifiers; no location, photo or other identifying question types;
  submission times are kept to the day (submitted_on).
{free_text}
代码 Codes
  单选题的值是选项代码，含义见 codebook.csv 的 value_labels。
  missing_codes 中的代码（如 9 = 不知道 / 不适用）是缺失，不是数值：
  CSV 中保留代码，分析前须设为缺失。
  A single choice is its choice code (value_labels in codebook.csv). The codes
  in missing_codes (such as 9 = don't know / not applicable) are missing, not
  values: the CSV keeps them, so set them missing before analysis.
  多选题：一列原始答案（以空格分隔的选项名），另有每个选项一列 0/1
  （如 participation__vote）。
  A checklist: its raw column (choice names separated by spaces) and one 0/1
  column per choice (such as participation__vote).
  空白表示未作答或未显示该题。反向计分题（reverse = yes）保留原始答案。
  Empty means not answered or not shown. Reverse-keyed items (reverse = yes)
  are as answered, not reversed.
  quality_flags：数据质量标记（分号分隔，见 codebook.csv）；被标记的答卷
  也在其中，平台的分析默认不计入它们。
  quality_flags: data-quality flags (semicolon-separated, see codebook.csv);
  flagged responses are included, and the platform's analysis leaves them out.
  CSV 中以 = + - @ 开头的文字前加了一个单引号，以免电子表格把它当公式执行。
  In the CSV, text beginning with = + - @ carries a leading apostrophe so that
  a spreadsheet does not run it as a formula.

少于 {min_group} 人的群体 Groups of fewer than {min_group} respondents
  本导出包含每一位受访者的答卷，并带有社区和网格代码。发表或对外提供的
  任何结果中，不得报告少于 {min_group} 位受访者的群体（社区、网格或交叉表
  中的任何一格）的数字。
  This export holds every response at respondent level, with community and
  grid codes. In publications and any table shared outside, report no figure
  for a group of fewer than {min_group} respondents (a community, a grid or any
  cell of a cross-tabulation).
  本导出中少于 {min_group} 人的社区 Communities here with fewer than {min_group}:
  {small}
"""
FREE_TEXT = """\
  开放题按受访者原文导出，使用前请检查其中是否有可识别个人的内容。
  Free-text answers are exported as typed: check them for identifying details
  before use.
"""


def readme_text(instrument: Instrument, table: pd.DataFrame, language: str) -> str:
    """The bilingual README of a bundle: what is in it and how to use it responsibly."""
    small = small_groups(table)
    has_text = any(q.type == "text" for q in instrument.questions)
    return README.format(
        title=instrument.title, form_id=instrument.form_id, version=instrument.version,
        n=len(table), communities=table["community"].dropna().nunique(), language=language,
        free_text=FREE_TEXT if has_text else "", min_group=MIN_GROUP,
        small=", ".join(f"{k} ({v})" for k, v in small.items()) or "—")


def write_bundle(instrument: Instrument, frame: pd.DataFrame, folder: str | Path,
                 language: str | None = None) -> list[Path]:
    """responses.csv, codebook.csv, responses.sav, responses.dta and README.txt in
    `folder` (made if need be), from one check of the table."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    variables_, table, language, fallback = _prepared(instrument, frame, language)
    readme = folder / "README.txt"
    readme.write_text(readme_text(instrument, table, language), encoding="utf-8")
    return [
        write_csv(table, folder / "responses.csv"),
        write_codebook_csv(codebook(instrument, language), folder / "codebook.csv"),
        _sav(instrument, variables_, table, folder / "responses.sav", language, fallback),
        _dta(instrument, variables_, table, folder / "responses.dta", language, fallback),
        readme,
    ]

