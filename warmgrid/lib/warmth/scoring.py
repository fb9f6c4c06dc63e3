"""Item → facet → dimension scores of a warmth survey, on 0–100.

Pure computation, no Django. The caller hands in one row per respondent and one column
per item (numbers, NaN where nothing was answered) and each item's spec; every choice made
is returned with the scores (`Scores.choices`):

- a "don't know" answer (any of the item's `missing_codes`) is missing, never a value;
- an answer outside the item's scale [low, high] is missing too (data quality flags it);
- a reverse-keyed item is turned round: x → low + high − x;
- each item is normalised to 0–100 by its own scale: 100 · (x − low) / (high − low), so
  items on different scales (1–5, 0–10) can share a facet;
- a facet score is the mean of its answered items, if the respondent answered at least
  `min_answered` of them (a share), else missing;
- a dimension score is the mean of its facets' scores, if at least `min_answered` of its
  facets have a score, else missing (facets weigh equally, whatever their item counts).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ItemSpec:
    name: str
    facet: str
    dimension: str
    low: float
    high: float
    reverse: bool = False
    missing_codes: frozenset[float] = field(default_factory=frozenset)

    def __post_init__(self):
        if not self.high > self.low:
            raise ValueError(f"Item {self.name!r}: the scale's high ({self.high}) must be "
                             f"above its low ({self.low}).")


@dataclass(frozen=True)
class Scores:
    items: np.ndarray  # respondents × items, keyed and 0–100, NaN where missing
    facets: dict[str, np.ndarray]  # facet → one 0–100 score per respondent (NaN: too few)
    dimensions: dict[str, np.ndarray]
    facet_dimension: dict[str, str]
    choices: dict


def _required(total: int, share: float) -> int:
    """How many of `total` parts a respondent must answer: ceil(share · total), at least 1."""
    return max(1, math.ceil(share * total - 1e-9))


def clean_items(values, items: Sequence[ItemSpec]) -> np.ndarray:
    """Answers as floats, with "don't know" and out-of-range answers made NaN, reverse
    keying applied and each item normalised to 0–100."""
    raw = np.array(values, dtype=float, copy=True)
    if raw.ndim != 2 or raw.shape[1] != len(items):
        raise ValueError(f"Expected one column per item ({len(items)}), got shape {raw.shape}.")
    out = np.full_like(raw, np.nan)
    for j, item in enumerate(items):
        column = raw[:, j]
        usable = ~np.isnan(column) & (column >= item.low) & (column <= item.high)
        if item.missing_codes:
            usable &= ~np.isin(column, list(item.missing_codes))
        keyed = item.low + item.high - column if item.reverse else column
        out[usable, j] = 100.0 * (keyed[usable] - item.low) / (item.high - item.low)
    return out


def _mean_if_enough(block: np.ndarray, required: int) -> np.ndarray:
    answered = (~np.isnan(block)).sum(axis=1)
    sums = np.nansum(block, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / answered
    means[answered < required] = np.nan
    return means


def score(values, items: Sequence[ItemSpec], *, min_answered: float = 0.5) -> Scores:
    """Scores of every respondent on every facet and dimension (see the module docstring)."""
    if not 0 < min_answered <= 1:
        raise ValueError("min_answered is a share of items: above 0 and at most 1.")
    names = [item.name for item in items]
    if len(set(names)) != len(names):
        raise ValueError("Item names must be unique.")
    cleaned = clean_items(values, items)
    facet_columns: dict[str, list[int]] = {}
    facet_dimension: dict[str, str] = {}
    for j, item in enumerate(items):
        facet_columns.setdefault(item.facet, []).append(j)
        known = facet_dimension.setdefault(item.facet, item.dimension)
        if known != item.dimension:
            raise ValueError(f"Facet {item.facet!r} is in two dimensions: {known!r} and "
                             f"{item.dimension!r}.")
    facets = {facet: _mean_if_enough(cleaned[:, cols], _required(len(cols), min_answered))
              for facet, cols in facet_columns.items()}
    dimension_facets: dict[str, list[str]] = {}
    for facet, dimension in facet_dimension.items():
        dimension_facets.setdefault(dimension, []).append(facet)
    dimensions = {}
    for dimension, members in dimension_facets.items():
        block = np.column_stack([facets[f] for f in members])
        dimensions[dimension] = _mean_if_enough(block, _required(len(members), min_answered))
    choices = {
        "scale": "each item normalised to 0-100 by its own range: 100*(x-low)/(high-low)",
        "reverse_keying": "x -> low + high - x before normalising",
        "dont_know": "the item's missing codes count as missing, never as a value",
        "out_of_range": "answers outside [low, high] count as missing",
        "facet": f"mean of answered items; missing unless at least {min_answered:.0%} of the "
                 "facet's items are answered",
        "dimension": f"mean of facet scores (facets weigh equally); missing unless at least "
                     f"{min_answered:.0%} of its facets have a score",
        "min_answered": min_answered,
    }
    return Scores(items=cleaned, facets=facets, dimensions=dimensions,
                  facet_dimension=facet_dimension, choices=choices)
