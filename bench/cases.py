"""Case intake throughput (`make bench`): report → classify → urgent rules → route →
deadlines → history → audit → notices, in one process on PostgreSQL, through the same
action every channel uses. Target: at least 200 cases/s on the 2-core machine.

Uses the benchmark district (bench/run.py builds it into `warmgrid_bench`).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warmgrid_bench"
TARGET_PER_SECOND = 200
TEXTS = (
    "{b}{u}单元楼道堆放杂物，堵住了消防通道", "{b}电梯又停了，老人上下楼很困难",
    "{b}门口垃圾好几天没人清运，味道很大", "小区{b}旁边路灯晚上不亮", "{b}{u}单元楼上漏水到我家",
    "{b}楼下每天晚上广场舞太吵", "{b}有人私自在楼顶搭建彩钢房", "楼道里闻到煤气味，{b}{u}单元",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--cases", type=int, default=2000)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmgrid.settings")
    os.environ["WARMGRID_LOG_LEVEL"] = "WARNING"
    # Notices are queued on Redis for the worker, as in production.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
    import django

    django.setup()
    from django.core.management import call_command

    from warmgrid.accounts.models import Role, RoleAssignment
    from warmgrid.cases.actions import CaseInput, do_report_case
    from warmgrid.cases.classification import suggest_category
    from warmgrid.cases.models import Case
    from warmgrid.people.models import Household

    call_command("migrate", verbosity=0)
    grants = list(RoleAssignment.objects.filter(role=Role.GRID_WORKER)
                  .select_related("user", "area")[:200])
    if not grants:
        print("no benchmark district: run `python bench/run.py` first")
        return 1
    rng = random.Random(7)
    plan = []
    for _ in range(args.cases):
        grant = rng.choice(grants)
        household = (Household.objects.filter(grid=grant.area).select_related("building")
                     .order_by("?").first())
        text = rng.choice(TEXTS).format(b=household.building.name, u=household.unit)
        plan.append((grant.user, household, text))
    suggest_category("预热")  # load the model before timing
    before = Case.objects.count()
    started = time.perf_counter()
    for user, household, text in plan:
        do_report_case(actor=user, data=CaseInput(description=text, household=household),
                       channel=Case.Channel.GRID_WORKER)
    seconds = time.perf_counter() - started
    made = Case.objects.count() - before
    rate = made / seconds
    print(f"case intake in one process: {made} cases in {seconds:.1f} s = {rate:.0f} cases/s "
          f"(target {TARGET_PER_SECOND}/s, ratio {rate / TARGET_PER_SECOND:.2f})")
    return 0 if rate >= TARGET_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
