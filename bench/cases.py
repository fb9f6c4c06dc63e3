"""Case intake throughput (`make bench`): report → classify → urgent rules → route →
assign → deadlines → history → audit → notices, on PostgreSQL. Target: at least 200
cases/s on the 2-core machine (a city of 10 million people peaks near 10/s).

Three measures, each through the same `do_report_case` every channel uses:
  * in one process, one request after another (the latency-bound floor);
  * in one process with several threads, as one app-server process serves requests;
  * over HTTP under load: gunicorn serving the JSON API (`POST /api/v1/cases` with a
    bearer token) on loopback, driven by wrk (Debian package `wrk`) for a fixed time.

Uses the benchmark district (bench/run.py builds it into `warmgrid_bench`). The cases it
makes carry the external number `bench-intake`; before each measure those of earlier
measures and runs are closed in bulk, so that every measure starts from the district's own
open load (left open, they would pile thousands of cases on the demo's one handler per
department and each run would be slower than the last). Notice tasks go to a Redis
database of the bench's own (BENCH_REDIS_URL, default redis://127.0.0.1:6379/1), emptied
at the end: their delivery by a worker is not part of the measure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import common

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warmgrid_bench"
TARGET_PER_SECOND = 200
ROOT = Path(__file__).resolve().parent.parent
TEXTS = (
    "{b}{u}单元楼道堆放杂物，堵住了消防通道", "{b}电梯又停了，老人上下楼很困难",
    "{b}门口垃圾好几天没人清运，味道很大", "小区{b}旁边路灯晚上不亮", "{b}{u}单元楼上漏水到我家",
    "{b}楼下每天晚上广场舞太吵", "{b}有人私自在楼顶搭建彩钢房", "楼道里闻到煤气味，{b}{u}单元",
    "{b}{u}单元门禁坏了一个星期", "{b}前面的井盖松动，晚上有人差点摔倒",
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--cases", type=int, default=1000, help="cases per in-process measure")
    parser.add_argument("--threads", type=int, default=4, help="threads for the threaded measure")
    parser.add_argument("--seconds", type=int, default=20, help="length of the HTTP load")
    # Two sync workers, not the usual 2 × cores + 1: the work is CPU-bound and PostgreSQL,
    # Redis and wrk share the two cores (3 workers and 16 connections gave 115–119 cases/s
    # with a p95 over a second; 2 and 8 gave 133–139 with a p95 of 0.3–0.4 s).
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def setup_django(database_url: str) -> None:
    # Notices are queued on Redis, as in production, but on the bench's own database:
    # nobody is to deliver them, and main() empties that queue at the end.
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
    common.setup_django(database_url)


def make_plan(count: int, seed: int) -> list[tuple]:
    """(grid worker, household in their grid, text) triples, drawn reproducibly."""
    from warmgrid.accounts.models import Role, RoleAssignment
    from warmgrid.people.models import Household

    grants = list(RoleAssignment.objects.filter(role=Role.GRID_WORKER, user__is_active=True)
                  .select_related("user", "area").order_by("pk")[:200])
    if not grants:
        raise SystemExit("no benchmark district: run `python bench/run.py` first")
    rng = random.Random(seed)
    households = {}
    for grant in grants:
        households[grant.area_id] = list(
            Household.objects.filter(grid=grant.area).select_related("building")
            .order_by("pk")[:50])
    plan = []
    grants = [g for g in grants if households[g.area_id]]
    for _ in range(count):
        grant = rng.choice(grants)
        household = rng.choice(households[grant.area_id])
        text = rng.choice(TEXTS).format(b=household.building.name, u=household.unit)
        plan.append((grant.user, household, text))
    return plan


BENCH_MARK = "bench-intake"


def report(plan) -> None:
    from warmgrid.cases.actions import CaseInput, do_report_case
    from warmgrid.cases.models import Case

    for user, household, text in plan:
        do_report_case(actor=user, data=CaseInput(description=text, household=household,
                                                  external_id=BENCH_MARK),
                       channel=Case.Channel.GRID_WORKER)


def close_earlier_bench_cases() -> int:
    """Close what earlier measures made (not timed): every measure starts alike."""
    from django.utils import timezone

    from warmgrid.cases.models import Case

    return (Case.objects.filter(external_id=BENCH_MARK).exclude(state=Case.State.CLOSED)
            .update(state=Case.State.CLOSED, closed_at=timezone.now(), warning=""))


def measure_in_process(plan, threads: int) -> dict:
    from django.db import connections

    from warmgrid.cases.models import Case

    before = Case.objects.count()
    started = time.perf_counter()
    if threads == 1:
        report(plan)
    else:
        def work(part):
            try:
                report(part)
            finally:
                connections.close_all()

        workers = [threading.Thread(target=work, args=(plan[i::threads],))
                   for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    seconds = time.perf_counter() - started
    made = Case.objects.count() - before
    return {"cases": made, "seconds": round(seconds, 2), "per_second": round(made / seconds, 1)}


WRK_SCRIPT = """
local bodies = {}
local tokens = {}
for line in io.lines("%(requests)s") do
  local token, body = line:match("^(%%S+)\\t(.*)$")
  tokens[#tokens + 1] = token
  bodies[#bodies + 1] = body
end
local counter = 0
request = function()
  counter = counter + 1
  local i = (counter %% #bodies) + 1
  return wrk.format("POST", "/api/v1/cases", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[i],
  }, bodies[i])
end
local failed = 0
response = function(status, headers, body)
  if status ~= 201 then failed = failed + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("WRK %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.duration))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the app server did not start on port {port}")


def measure_http(plan, args) -> dict:
    """gunicorn (WSGI, `--workers` processes) + wrk on loopback, both on this machine."""
    from warmgrid.accounts.actions import do_issue_api_token
    from warmgrid.cases.models import Case

    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (Debian), or --skip-http")
    tokens = {}
    with tempfile.TemporaryDirectory() as tmp:
        requests_file = Path(tmp) / "requests.tsv"
        with requests_file.open("w") as out:
            for user, household, text in plan:
                if user.pk not in tokens:
                    tokens[user.pk] = do_issue_api_token(user=user)
                body = json.dumps({"description": text, "household_id": household.pk,
                                   "external_id": BENCH_MARK}, ensure_ascii=False)
                out.write(f"{tokens[user.pk]}\t{body}\n")
        script = Path(tmp) / "report.lua"
        script.write_text(WRK_SCRIPT % {"requests": requests_file})
        port = free_port()
        env = {**os.environ, "WARMGRID_LOG_LEVEL": "WARNING"}
        # Fixed command lines of the bench's own tools, nothing from outside.
        server = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).parent / "gunicorn"), "warmgrid.wsgi",
             "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
             "--worker-class", "sync", "--preload", "--log-level", "warning"],
            cwd=ROOT, env=env)
        try:
            wait_for(port)
            # Warm every worker (the classifier loads on first use) before timing.
            subprocess.run(  # noqa: S603
                [wrk, "-t1", "-c", str(args.workers * 2), "-d2s", "-s", str(script),
                 f"http://127.0.0.1:{port}"], check=True, capture_output=True)
            before = Case.objects.count()
            result = subprocess.run(  # noqa: S603
                [wrk, "-t2", "-c", str(args.connections), "-d", f"{args.seconds}s",
                 "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"],
                check=True, capture_output=True, text=True)
            made = Case.objects.count() - before
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    line = next(x for x in result.stdout.splitlines() if x.startswith("WRK "))
    requests, errors, p50, p95, p99, micros = (int(x) for x in line.split()[1:])
    seconds = micros / 1e6
    return {"requests": requests, "errors": errors, "cases": made,
            "seconds": round(seconds, 1), "per_second": round(made / seconds, 1),
            "latency_ms": {"p50": round(p50 / 1000, 1), "p95": round(p95 / 1000, 1),
                           "p99": round(p99 / 1000, 1)},
            "workers": args.workers, "connections": args.connections}


def main() -> int:
    args = parse_args()
    setup_django(args.database_url)
    from django.core.management import call_command

    from warmgrid.cases.classification import suggest_category

    call_command("migrate", verbosity=0)

    suggest_category("预热")  # load the model before timing
    figures = {}
    ok = True
    plan = make_plan(args.cases, seed=7)
    for threads in (1, args.threads):
        close_earlier_bench_cases()
        result = measure_in_process(plan, threads)
        figures[f"in_process_{threads}_thread"] = result
        rate = result["per_second"]
        label = "one thread" if threads == 1 else f"{threads} threads"
        print(f"case intake in one process, {label}: {result['cases']} cases in "
              f"{result['seconds']} s = {rate:.0f} cases/s "
              f"(target {TARGET_PER_SECOND}/s, ratio {rate / TARGET_PER_SECOND:.2f})")
        if threads > 1:
            ok = ok and rate >= TARGET_PER_SECOND
    if not args.skip_http:
        close_earlier_bench_cases()
        result = measure_http(make_plan(5000, seed=8), args)
        figures["http"] = result
        rate = result["per_second"]
        print(f"case intake over HTTP (gunicorn {result['workers']} workers, wrk "
              f"{result['connections']} connections, {result['seconds']} s): "
              f"{result['cases']} cases = {rate:.0f} cases/s, {result['errors']} errors, "
              f"latency p50 {result['latency_ms']['p50']} ms / p95 "
              f"{result['latency_ms']['p95']} ms "
              f"(target {TARGET_PER_SECOND}/s, ratio {rate / TARGET_PER_SECOND:.2f})")
        ok = ok and rate >= TARGET_PER_SECOND and result["errors"] == 0
    close_earlier_bench_cases()
    from warmgrid.celery import app

    dropped = app.control.purge()
    print(f"(dropped the {dropped:,} notice tasks the bench queued; nobody delivers them)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
