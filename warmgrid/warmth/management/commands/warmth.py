"""`warmgrid warmth index`: a composite index from any indicator table, on plain files,
with no database (for researchers as much as for the platform).

The statistics are the pure functions of warmgrid.lib.warmth; this command reads the
files, turns their errors into messages and prints the result."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CHOICE_LABELS = {"normalisation": gettext_lazy("normalisation"),
                 "weighting": gettext_lazy("weighting"),
                 "aggregation": gettext_lazy("aggregation"),
                 "outliers": gettext_lazy("outlier treatment")}


class Command(BaseCommand):
    help = "Community warmth on plain files: build a composite index."
    requires_system_checks = []  # works without a database or a configured site

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        index = sub.add_parser(
            "index", help="A composite index (OECD/JRC) from an indicator table, with "
            "Monte Carlo rank bands; see docs/warmth.md.")
        index.add_argument("--indicators", type=Path, required=True,
                           help="CSV (UTF-8 or GBK) or .xlsx: one row per unit")
        index.add_argument("--spec", type=Path, required=True, help="JSON spec")
        index.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, subcommand: str, **options):
        self.index(options["indicators"], options["spec"], as_json=options["json"])

    def index(self, indicators_path: Path, spec_path: Path, *, as_json: bool):
        from warmgrid.lib.warmth import composite, files

        try:
            spec = json.loads(spec_path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s")
                               % {"path": spec_path, "error": exc.strerror}) from exc
        except json.JSONDecodeError as exc:
            raise CommandError(_("%(path)s is not valid JSON: %(error)s")
                               % {"path": spec_path, "error": exc}) from exc
        try:
            key, indicators, choices, monte_carlo = files.index_spec(spec)
            table = files.read_table(indicators_path)
            units, values, left_out = files.indicator_matrix(table, key, indicators)
            result = composite.build_index(units, values, indicators, choices, monte_carlo)
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s")
                               % {"path": indicators_path, "error": exc.strerror}) from exc
        except ValueError as exc:
            raise CommandError(_("The index cannot be built: %(reason)s")
                               % {"reason": exc}) from exc
        result["left_out"] = left_out
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        self._print(result)

    def _print(self, result: dict) -> None:
        banded = "monte_carlo" in result
        self.stdout.write(_("rank  unit  score  (rank band, 5th–95th percentile)") if banded
                          else _("rank  unit  score"))
        for row in sorted(result["units"], key=lambda r: (r["rank"], r["unit"])):
            line = f"{row['rank']:>4}  {row['unit']}  {row['score']:.1f}"
            if banded:
                low, high = row["rank_band"]
                line += f"  ({low:.0f}–{high:.0f})"
            self.stdout.write(line)
        if banded:
            mc = result["monte_carlo"]
            self.stdout.write(_("Monte Carlo: %(draws)s draws; the choice that moves ranks "
                                "most: %(choice)s")
                              % {"draws": mc["draws"],
                                 "choice": CHOICE_LABELS[mc["most_influential"]]})
        for row in result["left_out"]:
            self.stdout.write(_("Left out: row %(row)s (%(unit)s), missing %(columns)s")
                              % {"row": row["row"], "unit": row["unit"] or "?",
                                 "columns": ", ".join(row["missing"]) or "?"})
