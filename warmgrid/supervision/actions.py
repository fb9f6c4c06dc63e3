"""Every write of supervision: cluster alerts (detect, acknowledge) and the monthly tallies
behind trends and recurring problems. Atomic; alerts are audited."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Count, DateField
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmgrid.accounts.models import Role, RoleAssignment
from warmgrid.accounts.scopes import is_system_admin, may_dispatch_case
from warmgrid.audit.actions import do_record_audit
from warmgrid.cases.models import Case
from warmgrid.errors import Conflict, Forbidden
from warmgrid.lib import casestates
from warmgrid.lib.clusters import CaseSketch, Cluster, find_clusters
from warmgrid.notices.actions import do_notify
from warmgrid.supervision.models import CaseMonthTally, ClusterAlert
from warmgrid.supervision.queries import SHANGHAI, add_months, local_month, month_bounds

# Cluster rules (聚集预警). Several similar reports from one building within hours mostly
# share one cause (a burst pipe, a dead lift); the grid rule catches a cause spread over
# several buildings (a blocked drain, a power cut). "Similar": the same category family,
# or text at least as alike as the duplicate check asks (character-bigram Jaccard 0.3).
CLUSTER_WINDOW = dt.timedelta(hours=6)
BUILDING_CLUSTER_MIN = 3
GRID_CLUSTER_MIN = 5
CLUSTER_TEXT_SIMILARITY = 0.3
# Cases are read two windows back, so that a cluster still growing after one window
# finds its earlier cases, and with them its alert.
CLUSTER_LOOKBACK = 2 * CLUSTER_WINDOW
# Months of tallies kept: twelve for the trends chart, and three more so that a recurring
# problem can be judged for any of the last twelve full months.
TALLY_MONTHS = 15

# Transaction-scoped PostgreSQL advisory locks: one detector, one tally refresh at a time
# (SQLite serialises writers by itself).
_DETECT_LOCK = 0x5747_434C_5553_5452
_TALLY_LOCK = 0x5747_5441_4C4C_5953


def _serialise(key: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# ---- cluster alerts -----------------------------------------------------------------------


def _audit(alert: ClusterAlert, *, action: str, changes: dict, actor=None,
           ip_address: str = "") -> None:
    do_record_audit(action=action, actor=actor, actor_username="" if actor else "system",
                    ip_address=ip_address, object_type="cluster_alert", object_id=alert.pk,
                    object_repr=str(alert), area_path=alert.area_path, changes=changes)


def _grid_team(area_path: str, roles) -> list:
    """Holders of `roles` over the grid: assigned to it or to an area above it."""
    parts = [p for p in area_path.split("/") if p]
    prefixes = ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    grants = (RoleAssignment.objects.filter(role__in=roles, area__path__in=prefixes,
                                            user__is_active=True).select_related("user"))
    return [g.user for g in grants]


def _tell(alert: ClusterAlert, latest_case_id: int) -> None:
    """The grid leader and the community staff, once per alert. Staff open the alert on
    their board; a grid leader, who has no board, the newest case."""
    hours = int(CLUSTER_WINDOW.total_seconds() // 3600)
    if alert.kind == ClusterAlert.Kind.BUILDING:
        subject = _("%(count)s similar reports from %(place)s within %(hours)s hours")
        place = f"{alert.grid.name} {alert.building.name}"
    else:
        subject = _("%(count)s similar reports in %(place)s within %(hours)s hours")
        place = alert.grid.name
    params = {"count": alert.case_count, "place": place, "hours": hours}
    board = reverse("supervision:board") + f"#alert-{alert.pk}"
    do_notify(recipients=_grid_team(alert.area_path, [Role.COMMUNITY_STAFF]),
              kind="cluster_alert", subject=subject, params=params, url=board)
    do_notify(recipients=_grid_team(alert.area_path, [Role.GRID_LEADER]),
              kind="cluster_alert", subject=subject, params=params,
              url=reverse("cases:detail", args=[latest_case_id]))


def _record(kind: str, cluster: Cluster, places: dict[int, tuple], now: dt.datetime) -> str:
    """Make the cluster's alert, or grow the alert it already has; "" if nothing new."""
    grid_id, area_path, building_id = places[cluster.case_ids[-1]]
    alerts = ClusterAlert.objects.filter(kind=kind, cases__in=cluster.case_ids)
    if kind == ClusterAlert.Kind.BUILDING:
        alerts = alerts.filter(building_id=cluster.place)
    else:
        alerts = alerts.filter(grid_id=cluster.place)
    alert = alerts.order_by("-last_case_at", "-id").select_related("grid", "building").first()
    if alert is None:
        alert = ClusterAlert.objects.create(
            kind=kind, grid_id=grid_id, area_path=area_path,
            building_id=building_id if kind == ClusterAlert.Kind.BUILDING else None,
            category_id=cluster.family, case_count=len(cluster.case_ids),
            first_case_at=cluster.first_at, last_case_at=cluster.last_at,
            detected_at=now, updated_at=now, notified_at=now)
        alert.cases.set(cluster.case_ids)
        _audit(alert, action="create", changes={"cases": list(cluster.case_ids)})
        _tell(ClusterAlert.objects.select_related("grid", "building").get(pk=alert.pk),
              cluster.case_ids[-1])
        return "created"
    known = set(alert.cases.values_list("id", flat=True))
    new = [pk for pk in cluster.case_ids if pk not in known]
    if not new:
        return ""
    alert.cases.add(*new)
    before = alert.case_count
    alert.case_count = len(known) + len(new)
    alert.first_case_at = min(alert.first_case_at, cluster.first_at)
    alert.last_case_at = max(alert.last_case_at, cluster.last_at)
    if alert.category_id != cluster.family:
        alert.category_id = None  # the new cases only read alike: no one family any more
    alert.updated_at = now
    alert.save(update_fields=["case_count", "first_case_at", "last_case_at", "category",
                              "updated_at"])
    _audit(alert, action="update", changes={"case_count": [before, alert.case_count],
                                            "added": new})
    return "grown"


def do_detect_clusters(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Look for clusters among the cases reported lately: BUILDING_CLUSTER_MIN similar
    cases at one building, or GRID_CLUSTER_MIN in one grid, within CLUSTER_WINDOW.

    Safe to run twice: a cluster already alerted makes no second alert, and its people
    are told once; a cluster that grew adds its new cases to its alert. Merged
    duplicates are one report, not several, and do not count."""
    now = now or timezone.now()
    rows = (Case.objects.filter(created_at__gt=now - CLUSTER_LOOKBACK, created_at__lte=now,
                                grid__isnull=False)
            .exclude(state=casestates.MERGED).order_by("created_at", "id")
            .values_list("id", "created_at", "grid_id", "area_path", "building_id",
                         "category_id", "category__parent_id", "description"))
    places, by_building, by_grid = {}, [], []
    for pk, at, grid_id, area_path, building_id, category_id, parent_id, text in rows:
        places[pk] = (grid_id, area_path, building_id)
        family = parent_id or category_id
        if building_id:
            by_building.append(CaseSketch(pk, at, building_id, family, text))
        by_grid.append(CaseSketch(pk, at, grid_id, family, text))
    rules = dict(window=CLUSTER_WINDOW, text_threshold=CLUSTER_TEXT_SIMILARITY)
    found = [(ClusterAlert.Kind.BUILDING, c)
             for c in find_clusters(by_building, min_cases=BUILDING_CLUSTER_MIN, **rules)]
    for cluster in find_clusters(by_grid, min_cases=GRID_CLUSTER_MIN, **rules):
        buildings = {places[pk][2] for pk in cluster.case_ids}
        if len(buildings) == 1 and None not in buildings:
            continue  # all in one building: that building's alert says it already
        found.append((ClusterAlert.Kind.GRID, cluster))
    counts = {"cases": len(places), "clusters": len(found), "created": 0, "grown": 0}
    if not found:
        return counts
    with transaction.atomic():
        _serialise(_DETECT_LOCK)
        for kind, cluster in found:
            outcome = _record(kind, cluster, places, now)
            if outcome:
                counts[outcome] += 1
    return counts


def do_acknowledge_cluster_alert(*, actor, alert: ClusterAlert,
                                 ip_address: str = "") -> ClusterAlert:
    """A supervisor has seen the alert and taken it on; it leaves the board's list."""
    if not (is_system_admin(actor) or may_dispatch_case(actor, alert.area_path)):
        raise Forbidden(_("Your role does not supervise this area."))
    now = timezone.now()
    with transaction.atomic():
        updated = (ClusterAlert.objects.filter(pk=alert.pk, state=ClusterAlert.State.OPEN)
                   .update(state=ClusterAlert.State.ACKNOWLEDGED, acknowledged_by=actor,
                           acknowledged_at=now, updated_at=now))
        if not updated:
            raise Conflict(_("This alert was already acknowledged."),
                           code="already_acknowledged")
        _audit(alert, action="update", actor=actor, ip_address=ip_address,
               changes={"state": [ClusterAlert.State.OPEN, ClusterAlert.State.ACKNOWLEDGED]})
    alert.refresh_from_db()
    return alert


# ---- monthly tallies ----------------------------------------------------------------------


def _month_of(field: str):
    return TruncMonth(field, tzinfo=SHANGHAI, output_field=DateField())


def do_refresh_case_tallies(*, now: dt.datetime | None = None,
                            full: bool = False) -> dict[str, int]:
    """Recount the monthly tallies from the cases: the current month (hourly), or every
    kept month (nightly, `full`, and whenever no earlier month is tallied yet).

    Numbers derived from audited cases, rebuilt whole: not audited themselves."""
    now = now or timezone.now()
    current = local_month(now)
    oldest = add_months(current, -(TALLY_MONTHS - 1))
    if not full and CaseMonthTally.objects.filter(month__gte=oldest, month__lt=current).exists():
        oldest = current
    start, _ = month_bounds(oldest)
    _, end = month_bounds(current)
    fields = ("month", "area_path", "grid_id", "category_id", "category__parent_id")
    tallies: dict[tuple, CaseMonthTally] = {}

    def tally(row) -> CaseMonthTally:
        key = (row["month"], row["area_path"], row["category_id"])
        if key not in tallies:
            tallies[key] = CaseMonthTally(
                month=row["month"], area_path=row["area_path"], grid_id=row["grid_id"],
                category_id=row["category_id"],
                family_id=row["category__parent_id"] or row["category_id"], refreshed_at=now)
        return tallies[key]

    reported = (Case.objects.filter(created_at__gte=start, created_at__lt=end)
                .exclude(state=casestates.MERGED).annotate(month=_month_of("created_at"))
                .order_by().values(*fields).annotate(n=Count("id")))
    for row in reported:
        tally(row).reported += row["n"]
    closed = (Case.objects.filter(closed_at__gte=start, closed_at__lt=end)
              .annotate(month=_month_of("closed_at"))
              .order_by().values(*fields).annotate(n=Count("id")))
    for row in closed:
        tally(row).closed += row["n"]
    with transaction.atomic():
        _serialise(_TALLY_LOCK)
        CaseMonthTally.objects.filter(month__gte=oldest).delete()
        CaseMonthTally.objects.filter(month__lt=add_months(current, -(TALLY_MONTHS - 1))) \
            .delete()
        CaseMonthTally.objects.bulk_create(tallies.values(), batch_size=2000)
    return {"months": (current.year - oldest.year) * 12 + current.month - oldest.month + 1,
            "rows": len(tallies)}
