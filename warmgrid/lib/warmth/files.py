"""Reading researchers' plain files: tables (CSV as Excel saves them, in UTF-8 or GBK)
and the composite index's JSON spec. Pure, no Django; errors are ValueError with the
file's own words (column and key names), for the command line to show."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from warmgrid.lib.warmth.composite import Choices, Indicator, MonteCarlo

ENCODINGS = ("utf-8-sig", "gb18030")  # Excel on a Chinese Windows saves CSV as GBK


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV (UTF-8 with or without BOM, or GBK/GB18030) or an .xlsx sheet (the first)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pd.read_excel(path)
    raw = path.read_bytes()
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return pd.read_csv(io.StringIO(text))
    raise ValueError(f"{path.name}: neither UTF-8 nor GBK text.")


def index_spec(spec: Mapping) -> tuple[str, list[Indicator], Choices, MonteCarlo | None]:
    """The key column, indicators, nominal choices and Monte Carlo settings of a spec:

    {"key": "community",
     "indicators": [{"name": "on_time_rate", "polarity": 1, "target": 0.9, "weight": 2}, …],
     "normalisation": "minmax", "weighting": "equal", "aggregation": "arithmetic",
     "outliers": "winsorise",
     "monte_carlo": {"draws": 1000, "seed": 1, "weight_jitter": 0.25,
                     "normalisation": ["minmax", "rank"], "weighting": ["equal", "pca"],
                     "aggregation": ["arithmetic", "geometric"],
                     "outliers": ["winsorise", "none"]}}
    """
    if not isinstance(spec, Mapping):
        raise ValueError("The spec is a JSON object.")
    key = spec.get("key")
    if not isinstance(key, str) or not key:
        raise ValueError('The spec needs "key": the column that names each unit.')
    rows = spec.get("indicators")
    if not isinstance(rows, list) or len(rows) < 2:
        raise ValueError('The spec needs "indicators": a list of at least two.')
    indicators = []
    for row in rows:
        if isinstance(row, str):
            row = {"name": row}
        if not isinstance(row, Mapping) or not row.get("name"):
            raise ValueError(f"Each indicator needs a name: {row!r}.")
        unknown = set(row) - {"name", "polarity", "target", "weight"}
        if unknown:
            raise ValueError(f"Indicator {row['name']}: unknown keys {sorted(unknown)}.")
        indicators.append(Indicator(name=str(row["name"]), polarity=row.get("polarity", 1),
                                    target=row.get("target"), weight=row.get("weight")))
    choices = Choices(**{name: spec[name] for name in
                         ("normalisation", "weighting", "aggregation", "outliers")
                         if name in spec})
    monte_carlo = None
    if spec.get("monte_carlo"):
        mc = dict(spec["monte_carlo"])
        options = {name: mc.pop(name) for name in
                   ("normalisation", "weighting", "aggregation", "outliers") if name in mc}
        unknown = set(mc) - {"draws", "seed", "weight_jitter"}
        if unknown:
            raise ValueError(f"monte_carlo: unknown keys {sorted(unknown)}.")
        for name, value in options.items():
            if not isinstance(value, list) or not value:
                raise ValueError(f"monte_carlo {name}: a non-empty list of options.")
        draws = int(mc.get("draws", 1000))
        if not 1 <= draws <= 100_000:
            raise ValueError("monte_carlo draws: between 1 and 100000.")
        monte_carlo = MonteCarlo(draws=draws, seed=int(mc.get("seed", 0)),
                                 weight_jitter=float(mc.get("weight_jitter", 0.25)),
                                 options=options)
    return key, indicators, choices, monte_carlo


def indicator_matrix(table: pd.DataFrame, key: str, indicators: list[Indicator]
                     ) -> tuple[list[str], list, list[dict]]:
    """Units, their indicator values, and the rows left out (with why)."""
    missing = [name for name in [key, *(i.name for i in indicators)] if name not in table]
    if missing:
        raise ValueError(f"Columns not in the table: {', '.join(missing)}.")
    names = [i.name for i in indicators]
    values = table[names].apply(pd.to_numeric, errors="coerce")
    complete = ~values.isna().any(axis=1) & table[key].notna()
    left_out = [{"row": int(i) + 2, "unit": None if pd.isna(table[key].iloc[i])
                 else str(table[key].iloc[i]),
                 "missing": [n for n in names if pd.isna(values[n].iloc[i])]}
                for i in range(len(table)) if not complete.iloc[i]]
    units = table.loc[complete, key].astype(str).tolist()
    if len(set(units)) != len(units):
        raise ValueError(f"The key column {key} names a unit twice.")
    return units, values.loc[complete].to_numpy(dtype=float), left_out


def covariate_columns(table: pd.DataFrame, names: list[str]) -> dict[str, list[float]]:
    """Respondent covariates as numbers: a numeric column as it is; any other is
    dummy-coded, `column=value` for each value but the most common (the reference)."""
    out: dict[str, list[float]] = {}
    for name in names:
        if name not in table:
            raise ValueError(f"The responses have no column {name}.")
        column = table[name]
        numeric = pd.to_numeric(column, errors="coerce")
        if numeric.notna().sum() == column.notna().sum():
            out[name] = numeric.astype(float).tolist()
            continue
        values = column.astype("string")
        counts = values.value_counts()
        for value in counts.index[1:]:
            out[f"{name}={value}"] = [float("nan") if pd.isna(v) else float(v == value)
                                      for v in values]
    return out


def level2_indicators(table: pd.DataFrame, key: str) -> dict[str, dict[str, float]]:
    """Community indicators by community name, every numeric column but the key."""
    if key not in table:
        raise ValueError(f"The level-2 table has no column {key}.")
    keys = table[key].astype(str)
    if keys.duplicated().any():
        raise ValueError(f"The level-2 column {key} names a community twice.")
    out = {}
    for name in table.columns:
        if name == key:
            continue
        values = pd.to_numeric(table[name], errors="coerce")
        if values.notna().any():
            out[str(name)] = {k: float(v) for k, v in zip(keys, values, strict=True)
                              if pd.notna(v)}
    if not out:
        raise ValueError("The level-2 table has no numeric column.")
    return out
