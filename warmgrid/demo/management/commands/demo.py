"""`warmgrid demo`: build the demo district (暖城区) with residents, tags, accounts and a
year of cases."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from warmgrid.demo.assessment import add_demo_exclusions
from warmgrid.demo.generator import (
    DEMO_PASSWORD,
    build_demo_district,
    existing_data,
    wipe_demo_data,
)
from warmgrid.demo.people import REFERENCE_DATE
from warmgrid.demo.plan import MIN_HOUSEHOLDS
from warmgrid.demo.warmth import write_demo_waves


class ProgressLine:
    """Households done, rate and time left on stderr, about once a second."""

    def __init__(self, stream, interval: float = 1.0) -> None:
        self.stream = stream
        self.interval = interval
        self.started = time.perf_counter()
        self.last = 0.0
        # On a terminal the line rewrites itself; in a log each report is its own line.
        self.end = "\r" if stream.isatty() else "\n"

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self.last < self.interval and done < total:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-6)
        rate = done / elapsed
        left = (total - done) / rate if rate else 0.0
        self.stream.write(
            _("Households %(done)s / %(total)s (%(percent)d%%), %(rate)s per second, "
              "about %(left)d s left")
            % {"done": f"{done:,}", "total": f"{total:,}", "percent": done * 100 // total,
               "rate": f"{rate:,.0f}", "left": round(left)},
            ending=self.end, style_func=str,
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.end == "\r":
            self.stream.write("")


class Command(BaseCommand):
    help = ("Build the demo district: streets, communities, grids, buildings on the map, "
            "households, residents with vulnerable-group tags, demo accounts listed in "
            "var/demo-logins.csv, and a year of cases with their histories. The same seed "
            "always builds the same district.")

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=20000,
                            help="How many households to build (default 20000).")
        parser.add_argument("--seed", type=int, default=2026,
                            help="Seed of the district; the same seed builds the same data.")
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing if the database already has a district.")
        parser.add_argument("--force", action="store_true",
                            help="Delete the existing district (all areas, buildings, "
                                 "households, residents, cases) and the demo accounts, then "
                                 "build again. Accounts that are not demo accounts are kept.")

    def handle(self, *args, households: int, seed: int, if_empty: bool, force: bool,
               **options):
        if households < MIN_HOUSEHOLDS:
            raise CommandError(_("The demo district needs at least %(n)d households.")
                               % {"n": MIN_HOUSEHOLDS})
        found = existing_data()
        if if_empty and found.areas:
            self.stdout.write(_("The database already has a district (%(areas)d areas); "
                                "the demo district is not built again.")
                              % {"areas": found.areas})
            return
        # `--if-empty` is what `make run` calls: a superuser made beforehand is no reason
        # to stop, as long as there is no district yet.
        holds_data = found.areas or (found.other_users and not if_empty)
        if holds_data and not force:
            raise CommandError(
                _("This database already holds data (%(areas)d areas, %(users)d accounts "
                  "that are not demo accounts). The demo district is built only into an "
                  "empty database. Run with --force to delete the existing district and the "
                  "demo accounts and build the demo again; other accounts are kept.")
                % {"areas": found.areas, "users": found.other_users}
            )
        if found.areas or found.demo_users:
            self.stderr.write(_("Deleting the existing district and demo accounts…"),
                              style_func=str)
            wipe_demo_data()

        progress = ProgressLine(self.stderr)
        summary = build_demo_district(households=households, seed=seed, progress=progress)
        progress.finish()
        exclusions = add_demo_exclusions(seed=seed)
        warmth = write_demo_waves(seed=seed)
        self.stdout.write(
            _("Demo district built in %(seconds).1f s (%(rate)s households per second): "
              "%(areas)d areas (%(streets)d streets, %(communities)d communities, "
              "%(grids)d grids), %(buildings)s buildings, %(households)s households, "
              "%(residents)s residents, %(tags)s vulnerable-group tags, "
              "%(accounts)d accounts.")
            % {"seconds": summary.seconds, "rate": f"{summary.households_per_second:,.0f}",
               "areas": summary.areas, "streets": summary.streets,
               "communities": summary.communities, "grids": summary.grids,
               "buildings": f"{summary.buildings:,}", "households": f"{summary.households:,}",
               "residents": f"{summary.residents:,}", "tags": f"{summary.tags:,}",
               "accounts": summary.accounts}
        )
        self.stdout.write(
            _("%(cases)s cases reported in the year before %(date)s (%(open)s still open), "
              "with %(events)s history entries.")
            % {"cases": f"{summary.cases:,}", "date": REFERENCE_DATE.isoformat(),
               "open": f"{summary.open_cases:,}", "events": f"{summary.case_events:,}"}
        )
        self.stdout.write(_("%(count)d unreasonable-demand exclusions for the assessment "
                            "(%(approved)d approved by two reviewers, %(pending)d waiting).")
                          % {"count": exclusions.total, "approved": exclusions.approved,
                             "pending": exclusions.pending})
        self.stdout.write(_("%(waves)d community temperature survey waves: %(responses)s "
                            "anonymous responses to %(invitations)s invitations, and "
                            "%(records)d community governance records.")
                          % {"waves": warmth.waves, "responses": f"{warmth.responses:,}",
                             "invitations": f"{warmth.invitations:,}",
                             "records": warmth.records})
        self.stdout.write(_("Demo accounts are listed in %(path)s; every one signs in with "
                            "the password %(password)s.")
                          % {"path": summary.logins_path, "password": DEMO_PASSWORD})
