"""Clusters of similar cases at one place within hours (聚集预警). Pure: no Django.

Two cases at the same place are linked when they were reported at most `window` apart and
either share a category family or read alike (character-bigram Jaccard, as duplicate
detection does). A connected group of linked cases is a cluster when some stretch of
`window` holds at least `min_cases` of them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from warmgrid.lib.similarity import shingles


@dataclass(frozen=True)
class CaseSketch:
    """What clustering needs of a case."""

    id: int
    at: dt.datetime
    place: int  # a building's or a grid's id
    family: int | None  # the top-level category, when known
    text: str


@dataclass(frozen=True)
class Cluster:
    place: int
    family: int | None  # shared by every case that has one; None when only text links them
    case_ids: tuple[int, ...]  # in the order reported
    first_at: dt.datetime
    last_at: dt.datetime


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def most_in_window(times: list[dt.datetime], window: dt.timedelta) -> int:
    """The largest number of the (sorted) times that fit in one stretch of `window`."""
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _groups(cases: list[CaseSketch], window: dt.timedelta, text_threshold: float
            ) -> list[list[CaseSketch]]:
    """Connected groups of linked cases at one place (union-find over the pairs)."""
    parent = list(range(len(cases)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    grams = [shingles(c.text) for c in cases]
    for i, first in enumerate(cases):
        for j in range(i + 1, len(cases)):
            second = cases[j]
            if second.at - first.at > window:
                break  # sorted by time: nothing later is close enough either
            alike = (first.family is not None and first.family == second.family) \
                or _jaccard(grams[i], grams[j]) >= text_threshold
            if alike:
                parent[root(j)] = root(i)
    grouped: dict[int, list[CaseSketch]] = defaultdict(list)
    for i, case in enumerate(cases):
        grouped[root(i)].append(case)
    return list(grouped.values())


def find_clusters(cases: Iterable[CaseSketch], *, window: dt.timedelta, min_cases: int,
                  text_threshold: float) -> list[Cluster]:
    """Every cluster among `cases`, per place, oldest first."""
    by_place: dict[int, list[CaseSketch]] = defaultdict(list)
    for case in cases:
        by_place[case.place].append(case)
    found = []
    for place, at_place in by_place.items():
        if len(at_place) < min_cases:
            continue
        at_place.sort(key=lambda c: (c.at, c.id))
        for group in _groups(at_place, window, text_threshold):
            if len(group) < min_cases:
                continue
            if most_in_window([c.at for c in group], window) < min_cases:
                continue
            families = Counter(c.family for c in group if c.family is not None)
            family = next(iter(families)) if len(families) == 1 else None
            found.append(Cluster(place=place, family=family,
                                 case_ids=tuple(c.id for c in group),
                                 first_at=group[0].at, last_at=group[-1].at))
    return sorted(found, key=lambda c: (c.first_at, c.place))
