"""Survey weights: post-stratification and raking to the registry's margins, and Kish's
effective sample size.

Pure computation, no Django. A respondent's weight says how many residents they stand
for. Post-stratification makes the weighted count of each cell (e.g. grid × age band)
equal its population count; raking (iterative proportional fitting, Deming & Stephan
1940) does that for several margins at once (age band, tenure, hukou…) when the joint
cells are too thin. Unequal weights cost precision: Kish's n_eff = (Σw)² / Σw².
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np


def kish_effective_n(weights: Sequence[float]) -> float:
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or (w < 0).any() or w.sum() == 0:
        raise ValueError("Weights must be non-negative and not all zero.")
    return float(w.sum() ** 2 / np.sum(w ** 2))


def post_stratify(cells: Sequence[Hashable], population: Mapping[Hashable, float]) -> dict:
    """Weights making each cell's weighted count equal its population count."""
    labels = list(cells)
    counts: dict[Hashable, int] = {}
    for cell in labels:
        counts[cell] = counts.get(cell, 0) + 1
    unknown = sorted(str(c) for c in counts if c not in population)
    if unknown:
        raise ValueError(f"Respondents in cells with no population count: {', '.join(unknown)}.")
    empty = sorted(str(c) for c, size in population.items() if size > 0 and c not in counts)
    weights = np.array([population[c] / counts[c] for c in labels], dtype=float)
    return {"weights": weights, "kish_effective_n": kish_effective_n(weights),
            "empty_cells": empty,
            "choices": {"method": "post-stratification: weight = population / respondents "
                                  "of the cell",
                        "empty_cells": "population cells with no respondent are reported, "
                                       "their people unrepresented"}}


def rake(variables: Mapping[str, Sequence[Hashable]],
         margins: Mapping[str, Mapping[Hashable, float]], *,
         base_weights: Sequence[float] | None = None, max_iterations: int = 100,
         tolerance: float = 1e-8) -> dict:
    """Raking: adjust weights to each variable's margin in turn until every weighted
    margin is within `tolerance` (relative) of its target. Margins must share one total."""
    names = list(margins)
    if not names or set(names) != set(variables):
        raise ValueError("Give one margin for each raking variable, and nothing else.")
    n = len(next(iter(variables.values())))
    totals = {name: float(sum(margins[name].values())) for name in names}
    if max(totals.values()) - min(totals.values()) > 1e-6 * max(totals.values()):
        raise ValueError(f"The margins' totals differ: {totals}.")
    codes = {}
    for name in names:
        values = list(variables[name])
        if len(values) != n:
            raise ValueError("Every raking variable needs one value per respondent.")
        missing = sorted({str(v) for v in values if v not in margins[name]})
        if missing:
            raise ValueError(f"{name}: respondents in categories with no margin: "
                             f"{', '.join(missing)}.")
        categories = list(margins[name])
        index = {c: i for i, c in enumerate(categories)}
        codes[name] = (np.array([index[v] for v in values]),
                       np.array([margins[name][c] for c in categories], dtype=float))
    weights = (np.ones(n) if base_weights is None
               else np.asarray(base_weights, dtype=float).copy())
    converged, iterations, worst = False, 0, np.inf
    while iterations < max_iterations:
        iterations += 1
        for code, target in codes.values():
            current = np.bincount(code, weights=weights, minlength=target.size)
            if (current[target > 0] == 0).any():
                raise ValueError("A category with a target has no respondent to carry it.")
            with np.errstate(invalid="ignore", divide="ignore"):
                factor = np.where(current > 0, target / current, 0.0)
            weights *= factor[code]
        worst = max(float(np.max(np.abs(
            np.bincount(code, weights=weights, minlength=target.size) - target)
            / np.maximum(target, 1e-12))) for code, target in codes.values())
        if worst <= tolerance:
            converged = True
            break
    return {"weights": weights, "converged": converged, "iterations": iterations,
            "largest_relative_gap": worst, "kish_effective_n": kish_effective_n(weights),
            "choices": {"method": "raking (iterative proportional fitting) to "
                                  + ", ".join(names),
                        "tolerance": tolerance, "max_iterations": max_iterations}}
