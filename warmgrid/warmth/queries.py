"""Governance indicators per community and period, from the platform's own records: the
level-2 predictors of what moves temperature (docs/warmth.md).

Read-only and scoped: the caller passes the area paths the reader may see (None: all).
Each rate comes with the count it rests on, so a rate of 1.0 over two cases is not
mistaken for a record. Indicators the platform does not collect yet (care-plan
coverage, participation, volunteer hours) are listed as such, not guessed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, F, Q

from warmgrid.accounts.models import Role, RoleAssignment
from warmgrid.accounts.scopes import scoped
from warmgrid.cases.models import Case
from warmgrid.people.models import Resident
from warmgrid.places.models import Area

NOT_YET_COLLECTED = ("care_plan_coverage", "participation", "volunteer_hours")


def _rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


def governance_indicators(paths: list[str] | None, *, start: dt.datetime,
                          end: dt.datetime) -> list[dict]:
    """One row per community in scope, for cases reported (response) or closed
    (resolution, satisfaction) in [start, end), and the registry as it is now."""
    communities = list(scoped(Area.objects.filter(level=Area.Level.COMMUNITY), paths,
                               "path").order_by("path"))
    grid_community = {}
    for grid in scoped(Area.objects.filter(level=Area.Level.GRID), paths, "path"):
        grid_community[grid.pk] = grid.parent_id
    reported = (scoped(Case.objects.filter(created_at__gte=start, created_at__lt=end,
                                            grid__isnull=False), paths)
                .values("grid_id")
                .annotate(n=Count("pk"),
                          due=Count("pk", filter=Q(first_response_due__isnull=False)
                                    & (Q(responded_at__isnull=False)
                                       | Q(first_response_due__lt=end))),
                          on_time=Count("pk", filter=Q(
                              responded_at__lte=F("first_response_due")))))
    closed = (scoped(Case.objects.filter(closed_at__gte=start, closed_at__lt=end,
                                          grid__isnull=False), paths)
              .values("grid_id")
              .annotate(n=Count("pk"),
                        with_due=Count("pk", filter=Q(resolve_due__isnull=False,
                                                      resolved_at__isnull=False)),
                        on_time=Count("pk", filter=Q(resolved_at__lte=F("resolve_due"))),
                        rated=Count("pk", filter=Q(rating__isnull=False)),
                        satisfied=Count("pk", filter=Q(rating__gte=4))))
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in reported:
        community = grid_community.get(row["grid_id"])
        for key in ("n", "due", "on_time"):
            totals[community][f"reported_{key}"] += row[key]
    for row in closed:
        community = grid_community.get(row["grid_id"])
        for key in ("n", "with_due", "on_time", "rated", "satisfied"):
            totals[community][f"closed_{key}"] += row[key]
    residents = defaultdict(int)
    for row in (scoped(Resident.objects.all(), paths).values("grid_id")
                .annotate(n=Count("pk"))):
        residents[grid_community.get(row["grid_id"])] += row["n"]
    workers: dict[int, set[int]] = defaultdict(set)
    grants = scoped(RoleAssignment.objects.filter(role=Role.GRID_WORKER,
                                                   user__is_active=True,
                                                   area__level=Area.Level.GRID),
                     paths, "area__path").values_list("area_id", "user_id")
    for grid_id, user_id in grants:
        workers[grid_community.get(grid_id)].add(user_id)
    rows = []
    for community in communities:
        t = totals[community.pk]
        people, team = residents[community.pk], len(workers[community.pk])
        rows.append({
            "community": community.code, "name": community.name,
            "cases_reported": t["reported_n"],
            "response_on_time_rate": _rate(t["reported_on_time"], t["reported_due"]),
            "response_due_cases": t["reported_due"],
            "cases_closed": t["closed_n"],
            "resolved_on_time_rate": _rate(t["closed_on_time"], t["closed_with_due"]),
            "satisfaction_rate": _rate(t["closed_satisfied"], t["closed_rated"]),
            "rated_cases": t["closed_rated"],
            "residents": people, "grid_workers": team,
            "residents_per_grid_worker": people / team if team else None,
            **{name: None for name in NOT_YET_COLLECTED},
        })
    return rows
