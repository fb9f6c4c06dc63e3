"""Drawing a wave's sample of households from the registry: stratified by grid within
each community, reproducible from a seed, sized for reliable community means.

Pure, no Django. The caller hands in (household id, grid, community) rows; the result says
which households to invite and how the numbers were reached:

- **size**: a community needs `completes` completed responses (by default the
  Spearman–Brown size for ICC(2) = .70 at the expected ICC(1); 21 at .10) and invites
  completes / expected response rate, rounded up — all its households when it has fewer;
- **allocation**: a community's invitations are shared among its grids in proportion to
  their households (largest remainders), so every grid is represented;
- **draw**: within a grid, a simple random sample from a generator seeded by the wave's
  seed and the grid, so a grid's draw does not change when another grid's does, and the
  same seed gives the same sample.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Hashable, Iterable

from warmgrid.lib.warmth.groups import respondents_needed

MIN_COMMUNITIES = 30  # for the between-community model


def allocate(total: int, sizes: dict[Hashable, int]) -> dict[Hashable, int]:
    """Split `total` across strata in proportion to their sizes (largest remainders),
    never more than a stratum holds."""
    population = sum(sizes.values())
    if total >= population:
        return dict(sizes)
    quotas = {k: total * size / population for k, size in sizes.items()}
    counts = {k: min(sizes[k], math.floor(q)) for k, q in quotas.items()}
    order = sorted(sizes, key=lambda k: (-(quotas[k] - math.floor(quotas[k])), str(k)))
    left = total - sum(counts.values())
    while left > 0:
        for key in order:
            if left == 0:
                break
            if counts[key] < sizes[key]:
                counts[key] += 1
                left -= 1
    return counts


def draw_sample(households: Iterable[tuple[Hashable, Hashable, Hashable]], *, seed: int,
                expected_icc1: float = 0.10, reliability: float = 0.70,
                response_rate: float = 0.6, completes: int | None = None) -> dict:
    """Which households to invite, per community and grid, with the plan behind it."""
    if not 0 < response_rate <= 1:
        raise ValueError("The expected response rate is a share above 0 and at most 1.")
    wanted = completes or respondents_needed(expected_icc1, reliability)
    invite = math.ceil(wanted / response_rate)
    grids: dict[Hashable, dict[Hashable, list]] = defaultdict(lambda: defaultdict(list))
    for household, grid, community in households:
        grids[community][grid].append(household)
    chosen, plan = [], {}
    for community in sorted(grids, key=str):
        by_grid = grids[community]
        sizes = {g: len(ids) for g, ids in by_grid.items()}
        counts = allocate(invite, sizes)
        for grid in sorted(by_grid, key=str):
            ids = sorted(by_grid[grid], key=str)
            rng = random.Random(f"{seed}:{grid}")  # noqa: S311 (reproducible, not secret)
            chosen.extend(rng.sample(ids, counts[grid]))
        total = sum(sizes.values())
        plan[str(community)] = {
            "households": total, "invited": sum(counts.values()),
            "expected_completes": round(sum(counts.values()) * response_rate, 1),
            "by_grid": {str(g): counts[g] for g in sorted(counts, key=str)},
            "short": total * response_rate < wanted,
        }
    warnings = []
    if len(plan) < MIN_COMMUNITIES:
        warnings.append(f"{len(plan)} communities: the between-community model wants at "
                        f"least {MIN_COMMUNITIES}.")
    short = [c for c, p in plan.items() if p["short"]]
    if short:
        warnings.append(f"{len(short)} communities cannot be expected to reach {wanted} "
                        "completed responses even with every household invited.")
    return {
        "households": chosen, "plan": plan, "warnings": warnings,
        "choices": {"completes_per_community": wanted, "invitations_per_community": invite,
                    "expected_icc1": expected_icc1, "reliability": reliability,
                    "response_rate": response_rate, "seed": seed,
                    "method": "per community, proportional to grid size (largest "
                              "remainders); simple random sample within each grid"},
    }
