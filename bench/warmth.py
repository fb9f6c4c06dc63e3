"""Warmth analysis end to end (`make bench`): 100,000 responses × 48 items across 300
communities — scoring, reliability of every facet, KMO / Bartlett / EFA, the CFA of the facets,
ICC of every dimension, the null → residents → governance multilevel model, and the composite index
with 1,000 Monte Carlo draws. Prints each step's time, the total and the peak memory
(resident set size); target: under 30 s.

The answers are generated (no database): 4 dimensions × 4 facets × 3 items on a 1–5 scale,
one item in three reverse-keyed, 3 % "don't know", 2 % skipped; each community has its
own level, partly from a governance indicator, and each resident an owner/renter and an
age covariate that move their answers.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from warmgrid.lib.warmth import (
    cfa,
    composite,
    groups,
    multilevel,
    reliability,
    scoring,
    structure,
)

TARGET_SECONDS = 30.0
DONT_KNOW = 9
DIMENSIONS = ("interests", "governance", "culture", "social_capital")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--communities", type=int, default=300)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def make_items() -> list[scoring.ItemSpec]:
    items = []
    for dimension in DIMENSIONS:
        for f in range(4):
            for i in range(3):
                items.append(scoring.ItemSpec(
                    f"{dimension}_{f}_{i}", f"{dimension}_{f}", dimension, 1, 5,
                    reverse=(i == 2), missing_codes=frozenset({DONT_KNOW})))
    return items


def make_answers(args, items):
    rng = np.random.default_rng(args.seed)
    n, c = args.responses, args.communities
    community = rng.integers(0, c, size=n)
    governance = rng.normal(size=c)
    level = 0.5 * governance + rng.normal(size=c) * 0.4
    owner = rng.integers(0, 2, size=n).astype(float)
    age = rng.integers(1, 6, size=n).astype(float)  # age band 1–5
    person = (level[community] + 0.3 * owner + 0.05 * age)[:, None]
    facets = person + rng.normal(size=(n, 16)) * 0.8
    latent = np.repeat(facets, 3, axis=1) + rng.normal(size=(n, 48)) * 0.7
    answers = np.clip(np.rint(3 + latent), 1, 5)
    reverse = np.array([item.reverse for item in items])
    answers[:, reverse] = 6 - answers[:, reverse]  # reverse-keyed items are asked the other way
    roll = rng.random(size=answers.shape)
    answers[roll < 0.03] = DONT_KNOW
    answers[(roll >= 0.03) & (roll < 0.05)] = np.nan
    return answers, community, owner, age, governance


def timed(figures: dict, name: str, function):
    started = time.perf_counter()
    value = function()
    figures[name] = round(time.perf_counter() - started, 2)
    print(f"  {name:<44} {figures[name]:>7.2f} s", flush=True)
    return value


def main() -> int:
    args = parse_args()
    items = make_items()
    answers, community, owner, age, governance = make_answers(args, items)
    print(f"{args.responses:,} responses × {len(items)} items, {args.communities} "
          f"communities; {platform.machine()}, Python {platform.python_version()}")
    steps: dict[str, float] = {}
    started = time.perf_counter()
    scores = timed(steps, "scoring (items → facets → dimensions)",
                   lambda: scoring.score(answers, items, min_answered=0.5))
    facet_names = list(scores.facets)

    def facet_reliability():
        out = {}
        for facet in facet_names:
            columns = [j for j, item in enumerate(items) if item.facet == facet]
            out[facet] = reliability.reliability(scores.items[:, columns],
                                                 [items[j].name for j in columns])
        return out

    timed(steps, "reliability: alpha, Feldt CI, omega (16 facets)", facet_reliability)
    timed(steps, "KMO, Bartlett, EFA (48 items, 4 factors)",
          lambda: structure.structure(scores.items, n_factors=4))
    facets = {facet: [item.name for item in items if item.facet == facet]
              for facet in facet_names}
    fit = timed(steps, "CFA (16 facets as factors, 48 items)",
                lambda: cfa.cfa(scores.items, [item.name for item in items], facets))
    labels = community.astype(str)
    timed(steps, "ICC(1), ICC(2) (4 dimensions)",
          lambda: {d: groups.icc_oneway(values, labels)
                   for d, values in scores.dimensions.items()})
    temperature = np.nanmean(np.column_stack(list(scores.dimensions.values())), axis=1)
    model = timed(steps, "multilevel: null → residents → governance",
                  lambda: multilevel.random_intercept_models(
                      temperature, labels, residents={"owner": owner, "age_band": age},
                      governance={"governance": {str(j): g
                                                 for j, g in enumerate(governance)}}))
    by_community = np.array([[np.nanmean(values[community == j])
                              for values in scores.dimensions.values()]
                             for j in range(args.communities)])
    indicators = [composite.Indicator(d) for d in DIMENSIONS]
    monte_carlo = composite.MonteCarlo(
        draws=args.draws, seed=1,
        options={"normalisation": ["minmax", "zscore", "rank"],
                 "weighting": ["equal", "pca"], "aggregation": ["arithmetic", "geometric"],
                 "outliers": ["winsorise", "none"]})
    timed(steps, f"composite index, {args.draws:,} Monte Carlo draws",
          lambda: composite.build_index([str(j) for j in range(args.communities)],
                                        by_community, indicators, composite.Choices(),
                                        monte_carlo))
    total = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = total < TARGET_SECONDS and model["converged"]
    print(f"end to end: {total:.1f} s (target < {TARGET_SECONDS:.0f} s, ratio "
          f"{total / TARGET_SECONDS:.2f}); peak memory {peak_mib:,.0f} MiB; models "
          f"{'converged' if model['converged'] else 'DID NOT CONVERGE'}; governance explains "
          f"{model['between_variance_explained_by_governance']:.0%} of the between-community "
          f"variance; CFA CFI {fit['cfi']:.3f}, RMSEA {fit['rmsea']:.3f}, SRMR "
          f"{fit['srmr']:.3f}")
    if args.json:
        args.json.write_text(json.dumps({"steps": steps, "total_seconds": round(total, 2),
                                         "peak_mib": round(peak_mib)}, indent=2))
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
