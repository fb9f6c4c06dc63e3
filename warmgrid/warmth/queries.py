"""Reading warmth data, always within the reader's areas: waves and their progress, the
responses of a wave as a table, and the governance indicators per community and period —
from the platform's own records and the records staff enter: the level-2 predictors of
what moves temperature (docs/warmth.md).

Read-only and scoped: the caller passes the area paths the reader may see (None: all).
Each rate comes with the count it rests on, so a rate of 1.0 over two cases is not
mistaken for a record. Staff-entered records (organisations, meetings, funds, the
property-management model) come from the latest year not after the period. Indicators
the platform does not collect yet (care-plan coverage, participation, volunteer hours)
are listed as such, not guessed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, F, Q
from django.http import Http404

from warmgrid.accounts.models import Role, RoleAssignment
from warmgrid.accounts.scopes import (
    enclosing_paths,
    path_filter,
    paths_with_roles,
    scoped,
)
from warmgrid.cases.models import Case
from warmgrid.people.models import Resident
from warmgrid.places.models import Area
from warmgrid.warmth.models import (
    CommunityRecord,
    Invitation,
    Response,
    Wave,
    WaveCommunity,
)

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
    # Staff-entered records: the latest year not after the period's end.
    last_year = (end - dt.timedelta(microseconds=1)).year
    records: dict[int, CommunityRecord] = {}
    for record in (scoped(CommunityRecord.objects.filter(year__lte=last_year), paths)
                   .order_by("community_id", "year")):
        records[record.community_id] = record
    rows = []
    for community in communities:
        t = totals[community.pk]
        people, team = residents[community.pk], len(workers[community.pk])
        record = records.get(community.pk)
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
            "record_year": record.year if record else None,
            "organisations": record.organisations if record else None,
            "meetings": record.meetings if record else None,
            "funds_per_resident": (float(record.funds_yuan) / people
                                   if record and people else None),
            "property_company": (int(record.property_model
                                     == CommunityRecord.PropertyModel.COMPANY)
                                 if record else None),
            **{name: None for name in NOT_YET_COLLECTED},
        })
    return rows


# --- Waves ---

WAVE_READERS = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF,
                          Role.STREET_ADMIN, Role.DISTRICT_ADMIN, Role.RESEARCHER})
# Reports (figures across communities) and the researcher export.
REPORT_READERS = frozenset({Role.COMMUNITY_STAFF, Role.STREET_ADMIN, Role.DISTRICT_ADMIN,
                            Role.RESEARCHER})
EXPORTERS = frozenset({Role.DISTRICT_ADMIN, Role.RESEARCHER})


def wave_read_paths(user) -> list[str] | None:
    return paths_with_roles(user, WAVE_READERS)


def report_paths(user) -> list[str] | None:
    return paths_with_roles(user, REPORT_READERS)


def export_paths(user) -> list[str] | None:
    return paths_with_roles(user, EXPORTERS)


def _overlapping(queryset, paths: list[str] | None, field: str = "area_path"):
    """Rows whose area holds one of `paths` or lies inside one of them: a grid worker
    sees the waves that cover their grid, a street admin those inside their street."""
    if paths is None:
        return queryset
    if not paths:
        return queryset.none()
    inside = path_filter(paths, field)
    holding = Q()
    for path in paths:
        for prefix in enclosing_paths(path):
            holding |= Q(**{field: prefix})
    return queryset.filter(inside | holding)


def waves_for(user):
    """Waves with at least one community the user's areas overlap."""
    communities = _overlapping(WaveCommunity.objects.all(), wave_read_paths(user))
    return (Wave.objects.filter(pk__in=communities.values("wave_id"))
            .select_related("version__instrument"))


def access_wave_for_user(user, wave_id: int) -> Wave:
    """The wave, or 404 for a wave outside the user's areas (as if it did not exist)."""
    wave = waves_for(user).filter(pk=wave_id).first()
    if wave is None:
        raise Http404
    return wave


def wave_progress(wave: Wave, paths: list[str] | None) -> dict:
    """Invitations, used invitations and completed responses per community and grid in
    the reader's areas, against each community's quota."""
    invited = (scoped(wave.invitations.all(), paths)
               .values("community_id", "grid_id")
               .annotate(invited=Count("pk"), used=Count("pk", filter=Q(used=True))))
    completes = {row["grid_id"]: row["n"] for row in
                 scoped(wave.responses.all(), paths).values("grid_id")
                 .annotate(n=Count("pk"))}
    areas = {a.pk: a for a in Area.objects.filter(
        pk__in={row[k] for row in invited for k in ("community_id", "grid_id")})}
    quotas = dict(wave.communities.values_list("community_id", "quota"))
    communities: dict[int, dict] = {}
    for row in sorted(invited, key=lambda r: (areas[r["community_id"]].code,
                                              areas[r["grid_id"]].code)):
        entry = communities.setdefault(row["community_id"], {
            "community": areas[row["community_id"]], "quota": quotas.get(row["community_id"]),
            "invited": 0, "used": 0, "completes": 0, "grids": []})
        done = completes.get(row["grid_id"], 0)
        entry["grids"].append({"grid": areas[row["grid_id"]], "invited": row["invited"],
                               "used": row["used"], "completes": done})
        entry["invited"] += row["invited"]
        entry["used"] += row["used"]
        entry["completes"] += done
    rows = list(communities.values())
    for entry in rows:
        entry["response_rate"] = (entry["completes"] / entry["invited"]
                                  if entry["invited"] else None)
        entry["quota_met"] = bool(entry["quota"]) and entry["completes"] >= entry["quota"]
    return {"communities": rows,
            "invited": sum(r["invited"] for r in rows),
            "completes": sum(r["completes"] for r in rows),
            "quotas_met": sum(1 for r in rows if r["quota_met"])}


def quota_met(invitation: Invitation) -> bool:
    """Whether the invitation's community already has the completes it needs."""
    quota = (WaveCommunity.objects.filter(wave_id=invitation.wave_id,
                                          community_id=invitation.community_id)
             .values_list("quota", flat=True).first())
    done = Response.objects.filter(wave_id=invitation.wave_id,
                                   community_id=invitation.community_id).count()
    return quota is not None and done >= quota


def invitations_for_cards(wave: Wave, paths: list[str] | None, grid_id: int):
    """A grid's invitations with the addresses to print on the cards (the card goes to
    that door; the response never knows it)."""
    return (scoped(wave.invitations.filter(grid_id=grid_id), paths)
            .select_related("household__building", "grid")
            .order_by("household__building__name", "household__unit", "household__room"))


def response_table(wave: Wave) -> list[dict]:
    """Every response of the wave: its answers and the community and grid codes (the
    figures are computed over the whole wave; pages show only what is in scope)."""
    codes = dict(Area.objects.filter(
        pk__in=wave.communities.values("community_id")).values_list("pk", "code"))
    grid_codes = dict(Area.objects.filter(parent_id__in=codes).values_list("pk", "code"))
    return [{**answers, "community": codes[community], "grid": grid_codes.get(grid, ""),
             "mode": mode, "channel": channel, "language": language,
             "submitted_on": submitted_on, "duration_seconds": duration}
            for answers, community, grid, mode, channel, language, submitted_on, duration
            in wave.responses.order_by("submitted_on", "pk").values_list(
                "answers", "community_id", "grid_id", "mode", "channel", "language",
                "submitted_on", "duration_seconds")]


def community_records(paths: list[str] | None, community: Area | None = None):
    """Governance records staff entered, newest year first."""
    rows = scoped(CommunityRecord.objects.select_related("community", "entered_by"), paths)
    if community is not None:
        rows = rows.filter(community=community)
    return rows.order_by("community__code", "-year")
