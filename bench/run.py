"""WarmGrid benchmarks (`make bench`): a 1,000,000-resident district on PostgreSQL.

Measures, through the whole stack (HTTP client → auth → scope → query → JSON):
  * a grid worker's resident search (name, initials, building and room, last four ID digits);
  * a street admin's count of residents by vulnerable group;
and the demo build time per 100,000 households. Prints p50/p95 and the ratio to target.

The district is built once into its own database (default `warmgrid_bench` on the local
PostgreSQL) and reused; `--rebuild` starts afresh.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

from common import ensure_database, percentile, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warmgrid_bench"
TARGET_MS = 50.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--households", type=int, default=400_000,
                        help="households in the district (400,000 ≈ 1,000,000 residents)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--samples", type=int, default=400, help="timed requests per measure")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the district")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def timed(call, samples: list[float]) -> object:
    started = time.perf_counter()
    result = call()
    samples.append((time.perf_counter() - started) * 1000)
    return result


def main() -> int:
    args = parse_args()
    ensure_database(args.database_url, rebuild=args.rebuild)
    setup_django(args.database_url)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from warmgrid.accounts.actions import do_issue_api_token
    from warmgrid.accounts.models import Role, RoleAssignment
    from warmgrid.demo.generator import build_demo_district
    from warmgrid.people.actions import do_refresh_grid_tallies
    from warmgrid.people.identifiers import open_id_number
    from warmgrid.people.models import Resident
    from warmgrid.places.models import Area

    call_command("migrate", verbosity=0)
    figures: dict[str, object] = {}
    if not Area.objects.exists():
        print(f"building a district of {args.households:,} households (seed {args.seed}) …",
              flush=True)
        started = time.perf_counter()

        def progress(done, total, *rest):
            print(f"\r  {done:,} / {total:,} households", end="", file=sys.stderr, flush=True)

        # Its own logins file: the bench must not overwrite the embedded demo's.
        summary = build_demo_district(households=args.households, seed=args.seed,
                                      progress=progress,
                                      logins_path=settings.VAR_DIR / "bench-logins.csv")
        seconds = time.perf_counter() - started
        print(file=sys.stderr)
        figures["build_seconds"] = round(seconds, 1)
        figures["build_seconds_per_100k_households"] = round(seconds / args.households * 1e5, 1)
        print(f"built in {seconds:.0f} s: {summary}")
    # The nightly refresh of the per-grid counts, timed over the whole district.
    started = time.perf_counter()
    do_refresh_grid_tallies()
    figures["tally_refresh_seconds"] = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    residents = Resident.objects.count()
    figures["residents"] = residents
    figures["households"] = args.households
    rng = random.Random(args.seed)
    client = Client()

    workers = list(RoleAssignment.objects.filter(role=Role.GRID_WORKER)
                   .select_related("user", "area"))
    rng.shuffle(workers)
    workers = workers[:60]
    tokens = {a.user_id: do_issue_api_token(user=a.user) for a in workers}

    def queries_for(assignment) -> list[str]:
        people = list(Resident.objects.filter(grid=assignment.area)
                      .select_related("household__building").order_by("?")[:3])
        out = []
        for person in people:
            out += [person.name, person.name_initials[:2], person.name[:1],
                    f"{person.household.building.name}{person.household.room}"]
            if person.id_number_cipher:
                out.append(open_id_number(person.id_number_cipher)[-4:])
        return out

    plan = [(a, q) for a in workers for q in queries_for(a)]
    rng.shuffle(plan)
    plan = (plan * (args.samples // max(1, len(plan)) + 1))[: args.samples]
    search_ms: list[float] = []
    for assignment, query in plan[:20]:  # warm the caches first, untimed
        client.get("/api/v1/residents", {"q": query},
                   HTTP_AUTHORIZATION=f"Bearer {tokens[assignment.user_id]}")
    misses = 0
    for assignment, query in plan:
        response = timed(lambda a=assignment, q=query: client.get(
            "/api/v1/residents", {"q": q}, HTTP_AUTHORIZATION=f"Bearer {tokens[a.user_id]}"),
            search_ms)
        assert response.status_code == 200, response.content[:200]
        misses += response.json()["count"] == 0
    figures["search_p50_ms"] = round(percentile(search_ms, 50), 1)
    figures["search_p95_ms"] = round(percentile(search_ms, 95), 1)
    figures["search_empty_results"] = misses

    admins = list(RoleAssignment.objects.filter(role=Role.STREET_ADMIN)
                  .select_related("user", "area"))
    admin_tokens = {a.user_id: do_issue_api_token(user=a.user) for a in admins}
    count_ms: list[float] = []
    per_admin = max(1, args.samples // max(1, len(admins)))
    for assignment in admins:  # warm-up
        client.get(f"/api/v1/areas/{assignment.area_id}/tag-counts",
                   HTTP_AUTHORIZATION=f"Bearer {admin_tokens[assignment.user_id]}")
    for _ in range(per_admin):
        for assignment in admins:
            response = timed(lambda a=assignment: client.get(
                f"/api/v1/areas/{a.area_id}/tag-counts",
                HTTP_AUTHORIZATION=f"Bearer {admin_tokens[a.user_id]}"), count_ms)
            assert response.status_code == 200, response.content[:200]
    street_residents = [Resident.objects.filter(area_path__startswith=a.area.path).count()
                        for a in admins]
    figures["street_residents_mean"] = round(statistics.mean(street_residents))
    figures["tag_count_p50_ms"] = round(percentile(count_ms, 50), 1)
    figures["tag_count_p95_ms"] = round(percentile(count_ms, 95), 1)

    pg_version = connection.cursor().connection.info.server_version
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, "
               f"PostgreSQL {pg_version // 10000}.{pg_version % 10000}, "
               f"Python {platform.python_version()}")
    figures["machine"] = machine
    print()
    print(f"district: {residents:,} residents, {args.households:,} households; {machine}")
    print(f"{'measure':<44}{'p50 ms':>9}{'p95 ms':>9}{'target':>9}{'p95/target':>12}")
    for label, key, n in (
        ("grid worker: resident search (API)", "search", len(search_ms)),
        ("street admin: residents by tag (API)", "tag_count", len(count_ms)),
    ):
        p50, p95 = figures[f"{key}_p50_ms"], figures[f"{key}_p95_ms"]
        print(f"{label:<44}{p50:>9.1f}{p95:>9.1f}{TARGET_MS:>9.0f}{p95 / TARGET_MS:>12.2f}"
              f"   ({n} requests)")
    print(f"nightly refresh of the per-grid counts: {figures['tally_refresh_seconds']} s")
    if "build_seconds_per_100k_households" in figures:
        print(f"demo build: {figures['build_seconds']} s in all, "
              f"{figures['build_seconds_per_100k_households']} s per 100,000 households")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    ok = figures["search_p95_ms"] < TARGET_MS and figures["tag_count_p95_ms"] < TARGET_MS
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
