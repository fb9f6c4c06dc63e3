"""The supervisor board over 5,000,000 cases (`make bench`), on PostgreSQL.

Target: the board page (/supervision/), fully rendered through Django's test client
(session, second factor, scope, queries, template), p95 under 200 ms for a street admin
and for a district admin. Also timed: the trends fragment the board loads after itself,
the recurring-problems page, cluster detection and the monthly tally recount.

The district (10 streets × 10 communities × 8 grids, 15 buildings a grid) and a year of
cases are built once into their own database (default `warmgrid_board_bench`, or
BENCH_BOARD_DATABASE_URL) with INSERT … SELECT FROM generate_series, and reused;
`--rebuild` starts afresh. About 3.5 % of the cases are still open (12 % of those
overdue, 10 % nearly), the rest closed over the year.

Index: the board's counts and lists read only open cases, through the partial index
`case_open_board` that cases/models.py declares on Case (docs/supervision.md says why).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from common import ensure_database, percentile, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warmgrid_board_bench"
TARGET_MS = 200.0
STREETS, COMMUNITIES, GRIDS, BUILDINGS = 10, 10, 8, 15
OPEN_SHARE = 0.035
CHUNK = 500_000

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url",
                        default=os.environ.get("BENCH_BOARD_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--cases", type=int, default=5_000_000)
    parser.add_argument("--samples", type=int, default=200, help="timed requests per measure")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the district")
    parser.add_argument("--skip-jobs", action="store_true",
                        help="do not time the tally recount and cluster detection again")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def say(text: str) -> None:
    print(text, flush=True)


# ---- building the district ------------------------------------------------------------------


def rectangle(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def build_places():
    """Areas with rectangular outlines side by side, buildings, two supervisors."""
    from warmgrid.accounts.models import Department, Role, RoleAssignment, User
    from warmgrid.places.models import Area, Building

    west, south, size = 117.0, 36.6, 0.004  # a grid is about 350 m across
    district = Area.objects.create(level="district", code="370102", name="历下区",
                                   path="370102/", outline=rectangle(
                                       west, south, west + size * 40, south + size * 20))
    grids = []
    for s in range(STREETS):
        street_code = f"370102{s + 1:03d}"
        sx, sy = (s % 5) * 8, (s // 5) * 10
        street = Area.objects.create(
            level="street", code=street_code, name=f"第{s + 1}街道", parent=district,
            path=f"{district.path}{street_code}/", outline=rectangle(
                west + sx * size, south + sy * size, west + (sx + 8) * size,
                south + (sy + 10) * size))
        communities = []
        for c in range(COMMUNITIES):
            code = f"{street_code}{c + 1:03d}"
            cx, cy = sx + (c % 2) * 4, sy + (c // 2) * 2
            communities.append(Area(
                level="community", code=code, name=f"第{s + 1}街道第{c + 1}社区", parent=street,
                path=f"{street.path}{code}/", outline=rectangle(
                    west + cx * size, south + cy * size, west + (cx + 4) * size,
                    south + (cy + 2) * size)))
        for community in Area.objects.bulk_create(communities):
            c = int(community.code[-3:]) - 1
            cx, cy = sx + (c % 2) * 4, sy + (c // 2) * 2
            for g in range(GRIDS):
                code = f"{community.code}{g + 1:03d}"
                gx, gy = cx + g % 4, cy + g // 4
                grids.append(Area(
                    level="grid", code=code, name=f"{community.name}第{g + 1}网格",
                    parent=community, path=f"{community.path}{code}/",
                    outline=rectangle(west + gx * size, south + gy * size,
                                      west + (gx + 1) * size, south + (gy + 1) * size)))
    grids = Area.objects.bulk_create(grids, batch_size=1000)
    buildings = [Building(grid=grid, area_path=grid.path, code=f"{grid.code}-B{b + 1:02d}",
                          name=f"{b + 1}号楼") for grid in grids for b in range(BUILDINGS)]
    Building.objects.bulk_create(buildings, batch_size=2000)
    for kind, name in (("urban_management", "城管执法局"), ("property", "物业服务中心"),
                       ("fire", "消防救援大队"), ("police", "公安分局"), ("housing", "住建局")):
        Department.objects.create(code=f"bench-{kind}", name=name, kind=kind, area=district)
    street1 = Area.objects.get(code="370102001")
    users = {}
    for username, role, area in (("bench_street", Role.STREET_ADMIN, street1),
                                 ("bench_district", Role.DISTRICT_ADMIN, district)):
        user = User.objects.create_user(username=username, password=None, language="en")
        RoleAssignment.objects.create(user=user, role=role, area=area)
        users[username] = user
    return users


def case_columns(connection, given: dict[str, str]) -> tuple[list[str], list[str], list]:
    """Every column of cases_case: the SQL expression given, or the field's default (so a
    column another change adds still gets a value)."""
    from warmgrid.cases.models import Case

    columns, expressions, params = [], [], []
    for field in Case._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in given:
            expressions.append(given[field.column])
        elif field.null and not field.has_default():
            expressions.append("NULL")
        else:
            expressions.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    return columns, expressions, params


COMMON = {
    "description": "s.cat_name || '：' || s.bno || '号楼' || "
                   "(ARRAY['请尽快处理','已经好几天了','影响居民生活','希望尽快解决',"
                   "'邻居都很着急','上次反映过还没好'])[1 + floor(s.r5 * 6)::int]",
    "category_id": "s.cat_id", "suggested_category_id": "s.cat_id",
    "suggestion_confidence": "0.9", "urgent_reasons": "'[]'::jsonb",
    "priority": "s.cat_priority", "grid_id": "s.grid_id", "area_path": "s.path",
    "building_id": "s.first_building + floor(s.r1 * 15)::int",
    "channel": "(ARRAY['resident','grid_worker','phone','hotline_12345'])"
               "[1 + floor(s.r2 * 4)::int]",
    "lead_department_id": "CASE WHEN s.r3 < 0.5 THEN NULL ELSE s.dept_id END",
    "routing_note": "'category_default'", "updated_at": "now()",
}

SOURCE = """
FROM (
  SELECT n, r1, r2, r3, r4, r5, r6, bg.grid_id, bg.path, bg.first_building, bc.cat_id,
         bc.cat_name, bc.cat_priority, bc.resolve_days, 1 + floor(r1 * 15)::int AS bno,
         bd.dept_id
  FROM (
    SELECT n, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
           random() AS r5, random() AS r6,
           floor(%(grids)s * power(random(), 1.3))::int AS grid_idx,
           floor(random() * %(slots)s)::int AS cat_slot
    FROM generate_series(%(lo)s, %(hi)s) AS n
  ) raw
  JOIN bench_grid bg ON bg.idx = raw.grid_idx
  JOIN bench_category bc ON bc.slot = raw.cat_slot
  JOIN bench_department bd ON bd.idx = floor(raw.r4 * 5)::int
) s
"""

# Reported through the year in the order they are stored, as a live system stores them
# (a month's cases lie together on disk), a few hours' jitter apart.
REPORTED_AGO = ("((1 - s.n::float8 / %(closed)s) * 365 + s.r6 / 8) * interval '1 day'")

CLOSED = {
    **COMMON,
    # Closed within a week of being reported; one in a hundred merged into another.
    "created_at": f"now() - {REPORTED_AGO}",
    "state": "CASE WHEN s.r5 < 0.01 THEN 'merged' ELSE 'closed' END",
    "resolve_due": f"now() - {REPORTED_AGO} + s.resolve_days * interval '1.4 days'",
    "responded_at": f"now() - {REPORTED_AGO} + interval '1 hour'",
    "resolved_at": f"least(now(), now() - {REPORTED_AGO} + (0.2 + s.r3 * 6) * interval '1 day')",
    "closed_at": f"CASE WHEN s.r5 < 0.01 THEN NULL ELSE least(now(), now() - {REPORTED_AGO} "
                 "+ (0.3 + s.r3 * 6) * interval '1 day') END",
    "outcome": "CASE WHEN s.r5 < 0.01 THEN '' ELSE 'fixed' END",
    "result": "'已处理'",
    "rating": "CASE WHEN s.r2 < 0.4 THEN 4 + floor(s.r4 * 2)::int END",
}

OPEN = {
    **COMMON,
    # 12 % overdue (reported 5–40 days ago), 10 % nearly due, the rest in good time.
    "warning": "CASE WHEN s.r6 < 0.12 THEN 'red' WHEN s.r6 < 0.22 THEN 'yellow' ELSE '' END",
    "created_at": "now() - CASE WHEN s.r6 < 0.12 THEN (5 + s.r5 * 35) "
                  "WHEN s.r6 < 0.22 THEN (1 + s.r5 * 6) ELSE s.r5 * 7 END * interval '1 day'",
    "resolve_due": "now() + CASE WHEN s.r6 < 0.12 THEN -(0.1 + s.r3 * 4) "
                   "WHEN s.r6 < 0.22 THEN s.r3 ELSE 1 + s.r3 * 7 END * interval '1 day'",
    "state": "CASE WHEN s.r2 < 0.04 THEN 'triage' WHEN s.r2 < 0.29 THEN 'dispatched' "
             "WHEN s.r2 < 0.74 THEN 'in_progress' WHEN s.r2 < 0.84 THEN 'waiting_resident' "
             "ELSE 'resolved' END",
    "escalation_level": "CASE WHEN s.r6 < 0.12 THEN 1 + floor(s.r4 * 3)::int ELSE 0 END",
}


def build_cases(total: int) -> None:
    from django.db import connection

    from warmgrid.cases.models import Category

    categories = list(Category.objects.filter(is_active=True).order_by("sort_order", "code"))
    # A few categories make most of the reports (rubbish, noise, leaks …).
    weights = [max(1, round(40 / (i + 1) ** 0.8)) for i in range(len(categories))]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_grid, bench_category, bench_department")
        cursor.execute("CREATE TABLE bench_department AS SELECT row_number() OVER (ORDER BY id) "
                       "- 1 AS idx, id AS dept_id FROM accounts_department")
        cursor.execute("CREATE TABLE bench_grid AS SELECT row_number() OVER (ORDER BY a.path) - 1 "
                       "AS idx, a.id AS grid_id, a.path, min(b.id) AS first_building "
                       "FROM places_area a JOIN places_building b ON b.grid_id = a.id "
                       "WHERE a.level = 'grid' GROUP BY a.id, a.path")
        cursor.execute("CREATE UNIQUE INDEX ON bench_grid (idx)")
        cursor.execute("CREATE TABLE bench_category (slot int PRIMARY KEY, cat_id bigint, "
                       "cat_name text, cat_priority int, resolve_days int)")
        slot = 0
        for category, weight in zip(categories, weights, strict=True):
            for _ in range(weight):
                cursor.execute("INSERT INTO bench_category VALUES (%s, %s, %s, %s, %s)",
                               [slot, category.pk, category.name, category.priority,
                                category.resolve_days])
                slot += 1
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = "
                       "'cases_case' AND indexname <> 'cases_case_pkey'")
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        # Foreign keys point at rows made above; checking each of 5 million would take
        # longer than the load.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")
        opened = round(total * OPEN_SHARE)
        plans = [(CLOSED, lo, min(lo + CHUNK, total - opened) - 1)
                 for lo in range(0, total - opened, CHUNK)]
        plans += [(OPEN, lo, min(lo + CHUNK, total) - 1)
                  for lo in range(total - opened, total, CHUNK)]
        done, started = 0, time.perf_counter()
        for given, lo, hi in plans:
            columns, expressions, params = case_columns(connection, given)
            sql = (f"INSERT INTO cases_case ({', '.join(columns)}) SELECT "
                   f"{', '.join(expressions)} {SOURCE}")
            named = {f"p{i}": value for i, value in enumerate(params)}
            for i in range(len(params)):
                sql = sql.replace("%s", f"%(p{i})s", 1)
            cursor.execute(sql, {**named, "grids": STREETS * COMMUNITIES * GRIDS,
                                 "slots": slot, "lo": lo, "hi": hi,
                                 "closed": total - opened})
            done += hi - lo + 1
            print(f"\r  {done:,} / {total:,} cases ({time.perf_counter() - started:.0f} s)",
                  end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        cursor.execute("SET session_replication_role = origin")
        say(f"  recreating {len(indexes)} indexes …")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("DROP TABLE bench_grid, bench_category, bench_department")


def add_clusters(now) -> None:
    """A few bursts of similar reports in the last hours, for the cluster detector."""
    import random

    from warmgrid.cases.models import Case, Category
    from warmgrid.places.models import Building

    rng = random.Random(2026)
    leak = Category.objects.get(code="drainage")
    rubbish = Category.objects.get(code="garbage")
    buildings = list(Building.objects.select_related("grid").order_by("?")[:60])
    rows = []
    for n, building in enumerate(buildings):
        category = leak if n % 2 else rubbish
        for k in range(3 + n % 3):
            at = now - dt.timedelta(minutes=rng.randint(5, 300))
            rows.append(Case(description=f"{building.name}{category.name}，第{k + 1}户反映",
                             category=category, grid=building.grid,
                             area_path=building.area_path, building=building,
                             state=Case.State.DISPATCHED, channel=Case.Channel.RESIDENT,
                             created_at=at, resolve_due=at + dt.timedelta(days=3)))
    Case.objects.bulk_create(rows)


# ---- measuring --------------------------------------------------------------------------------


def verified_client(user):
    """Logged in once, second factor passed, as a real admin session is."""
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench",
                                                 defaults={"confirmed": True})
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def measure(client, url: str, samples: int, **headers) -> list[float]:
    for _ in range(5):  # warm the caches first, untimed
        response = client.get(url, **headers)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def main() -> int:
    args = parse_args()
    ensure_database(args.database_url, rebuild=args.rebuild)
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from warmgrid.accounts.models import User
    from warmgrid.supervision.actions import do_detect_clusters, do_refresh_case_tallies

    call_command("migrate", verbosity=0)
    figures: dict[str, object] = {}
    if not User.objects.filter(username="bench_street").exists():
        say(f"building a district of {STREETS * COMMUNITIES * GRIDS} grids and "
            f"{args.cases:,} cases …")
        started = time.perf_counter()
        build_places()
        build_cases(args.cases)
        add_clusters(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        figures["build_seconds"] = round(time.perf_counter() - started, 1)
        say(f"  built in {figures['build_seconds']} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_case")

    from warmgrid.supervision.models import CaseMonthTally

    jobs = not (args.skip_jobs and CaseMonthTally.objects.exists())
    tallies, detected = {"rows": CaseMonthTally.objects.count()}, {}
    if jobs:
        started = time.perf_counter()
        tallies = do_refresh_case_tallies(full=True)
        figures["tally_full_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        do_refresh_case_tallies()
        figures["tally_hourly_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        detected = do_detect_clusters()
        figures["detect_seconds"] = round(time.perf_counter() - started, 2)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE supervision_casemonthtally, supervision_clusteralert, "
                       "supervision_clusteralert_cases")
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE state IN ('reported', "
                       "'triage', 'dispatched', 'in_progress', 'waiting_resident', "
                       "'resolved')) FROM cases_case")
        total, still_open = cursor.fetchone()
    figures.update(cases=total, open_cases=still_open, tally_rows=tallies["rows"],
                   clusters=detected)

    measures = []
    for username, label in (("bench_street", "street admin"),
                            ("bench_district", "district admin")):
        client = verified_client(User.objects.get(username=username))
        for name, url, headers in (
            ("board", "/supervision/", {}),
            ("trends", "/supervision/trends/", {"HTTP_HX_REQUEST": "true"}),
            ("recurring", "/supervision/recurring/", {}),
        ):
            times = measure(client, url, args.samples, **headers)
            key = f"{name}_{username.removeprefix('bench_')}"
            figures[f"{key}_p50_ms"] = round(percentile(times, 50), 1)
            figures[f"{key}_p95_ms"] = round(percentile(times, 95), 1)
            figures[f"{key}_mean_ms"] = round(statistics.mean(times), 1)
            measures.append((f"{label}: {name}", key, len(times), name == "board"))

    pg_version = connection.cursor().connection.info.server_version
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, "
               f"PostgreSQL {pg_version // 10000}.{pg_version % 10000}, "
               f"Python {platform.python_version()}")
    figures["machine"] = machine
    say("")
    say(f"cases: {total:,} ({still_open:,} open) over {STREETS * COMMUNITIES * GRIDS} grids; "
        f"{machine}")
    say(f"{'measure':<34}{'p50 ms':>9}{'p95 ms':>9}{'target':>9}{'p95/target':>12}")
    for label, key, n, targeted in measures:
        p50, p95 = figures[f"{key}_p50_ms"], figures[f"{key}_p95_ms"]
        target = f"{TARGET_MS:>9.0f}{p95 / TARGET_MS:>12.2f}" if targeted else f"{'—':>9}{'':>12}"
        say(f"{label:<34}{p50:>9.1f}{p95:>9.1f}{target}   ({n} requests)")
    if jobs:
        say(f"monthly tallies: full recount {figures['tally_full_seconds']} s "
            f"({tallies['rows']:,} rows), hourly {figures['tally_hourly_seconds']} s")
        say(f"cluster detection: {figures['detect_seconds']} s ({detected})")
    if "build_seconds" in figures:
        say(f"build: {figures['build_seconds']} s")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    ok = all(figures[f"board_{who}_p95_ms"] < TARGET_MS for who in ("street", "district"))
    say("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
