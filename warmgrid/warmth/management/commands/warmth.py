"""`warmgrid warmth analyse` (every figure of a survey's answers, from an XLSForm
instrument) and `warmgrid warmth index` (a composite index from any indicator table), on
plain files with no database — for researchers as much as for the platform.

The statistics are the pure functions of warmgrid.lib.warmth; this command reads the
files, turns their errors into messages and prints the result."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CHOICE_LABELS = {"normalisation": gettext_lazy("normalisation"),
                 "weighting": gettext_lazy("weighting"),
                 "aggregation": gettext_lazy("aggregation"),
                 "outliers": gettext_lazy("outlier treatment")}
FLAG_LABELS = {"straight_lining": gettext_lazy("straight-lining"),
               "speeding": gettext_lazy("speeding"),
               "duplicate": gettext_lazy("duplicate"),
               "out_of_range": gettext_lazy("out of range")}


@contextmanager
def failing_as(message):
    """Unreadable files and unusable contents become a CommandError: `message` names the
    step, with %(reason)s for what went wrong."""
    try:
        yield
    except OSError as exc:
        raise CommandError(_("Cannot read %(path)s: %(error)s")
                           % {"path": exc.filename, "error": exc.strerror}) from exc
    except ValueError as exc:
        raise CommandError(message % {"reason": exc}) from exc


class Command(BaseCommand):
    help = "Community warmth on plain files: analyse survey answers, build a composite index."
    # form, analyse and index work on plain files without a database; indicators reads it.
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        index = sub.add_parser(
            "index", help="A composite index (OECD/JRC) from an indicator table, with "
            "Monte Carlo rank bands; see docs/warmth.md.")
        index.add_argument("--indicators", type=Path, required=True,
                           help="CSV (UTF-8 or GBK) or .xlsx: one row per unit")
        index.add_argument("--spec", type=Path, required=True, help="JSON spec")
        index.add_argument("--json", action="store_true", help="Print one JSON object.")
        form = sub.add_parser(
            "form", help="Check an XLSForm instrument and export it as .xlsx or XForm XML "
            "(for ODK Collect, KoboCollect and Enketo).")
        form.add_argument("instrument", type=Path, nargs="?",
                          help="The XLSForm (.xlsx or .md); default: 社区温度量表")
        form.add_argument("--xlsx", type=Path, help="Write the form as an .xlsx workbook")
        form.add_argument("--xform", type=Path, help="Write the XForm XML")
        load = sub.add_parser(
            "import-form", help="Store an XLSForm as a version of its instrument (the same "
            "file again changes nothing; a published version is frozen).")
        load.add_argument("file", type=Path, help="The XLSForm (.xlsx, .xls or .md)")
        load.add_argument("--publish", action="store_true",
                          help="Publish (freeze) the version for collection")
        indicators = sub.add_parser(
            "indicators", help="Governance indicators per community from the platform's "
            "records, as a table for --level2 or the index (all areas: an operator's tool).")
        indicators.add_argument("--from", dest="start", required=True,
                                type=dt.date.fromisoformat, help="First day, YYYY-MM-DD")
        indicators.add_argument("--to", dest="end", required=True,
                                type=dt.date.fromisoformat, help="Last day, YYYY-MM-DD")
        indicators.add_argument("--out", type=Path, help="Write CSV here (default: print)")
        analyse = sub.add_parser(
            "analyse", help="Scores, reliability, structure and the between-community "
            "models of a survey's answers; see docs/warmth.md.")
        analyse.add_argument("--responses", type=Path, required=True,
                             help="CSV (UTF-8 or GBK) or .xlsx: one row per respondent, "
                                  "one column per question")
        analyse.add_argument("--instrument", type=Path, required=True,
                             help="The XLSForm (.xlsx or .md) the answers were collected with")
        analyse.add_argument("--group-by", help="Column naming each respondent's community")
        analyse.add_argument("--covariates", default="",
                             help="Comma-separated respondent columns (categories are "
                                  "dummy-coded)")
        analyse.add_argument("--level2", type=Path,
                             help="CSV or .xlsx of community indicators (governance)")
        analyse.add_argument("--level2-key", help="The column of --level2 naming the "
                                                  "community")
        analyse.add_argument("--missing", choices=("pairwise", "listwise"),
                             default="pairwise")
        analyse.add_argument("--min-answered", type=float, default=0.5,
                             help="Share of a facet's items a respondent must answer")
        analyse.add_argument("--duration-column",
                             help="Column of completion times in seconds (flags speeding)")
        analyse.add_argument("--include-flagged", action="store_true",
                             help="Keep responses that data quality flags (left out by "
                                  "default)")
        analyse.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "analyse":
            self.analyse(options)
        elif subcommand == "form":
            self.form(options)
        elif subcommand == "indicators":
            self.indicators(options)
        elif subcommand == "import-form":
            self.import_form(options)
        else:
            self.index(options["indicators"], options["spec"], as_json=options["json"])

    def import_form(self, options):
        from warmgrid.errors import DomainError
        from warmgrid.warmth.actions import do_import_instrument, do_publish_version

        path = options["file"]
        try:
            content = path.read_bytes()
            version, created = do_import_instrument(actor=None, name=path.name,
                                                    content=content)
            if options["publish"]:
                version = do_publish_version(actor=None, version=version)
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s")
                               % {"path": path, "error": exc.strerror}) from exc
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        state = _("published") if version.is_published else _("draft")
        self.stdout.write((_("Stored %(form)s version %(version)s (%(state)s).") if created
                           else _("%(form)s version %(version)s is already stored "
                                  "(%(state)s).")) % {"form": version.instrument.form_id,
                                                       "version": version.version,
                                                       "state": state})

    def indicators(self, options):
        import csv
        import io

        from django.utils import timezone

        from warmgrid.warmth.queries import governance_indicators

        if options["end"] < options["start"]:
            raise CommandError(_("--to must not be before --from."))
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(options["start"], dt.time(), tzinfo=zone)
        end = dt.datetime.combine(options["end"] + dt.timedelta(days=1), dt.time(),
                                  tzinfo=zone)
        rows = governance_indicators(None, start=start, end=end)
        if not rows:
            raise CommandError(_("There are no communities on the map yet."))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        if options["out"]:
            # With a byte-order mark, so that Excel opens the Chinese names correctly.
            options["out"].write_text(buffer.getvalue(), encoding="utf-8-sig")
            self.stdout.write(_("Written: %(path)s") % {"path": options["out"]})
        else:
            self.stdout.write(buffer.getvalue(), ending="")

    def form(self, options):
        from warmgrid.lib.warmth import instrument
        from warmgrid.warmth.instruments import DEFAULT_INSTRUMENT

        path = options["instrument"] or DEFAULT_INSTRUMENT
        with failing_as(_("The form cannot be used: %(reason)s")):
            form = instrument.read_instrument(path)
            if options["xform"]:
                options["xform"].write_text(instrument.to_xform(path), encoding="utf-8")
            if options["xlsx"]:
                instrument.to_xlsx(path, options["xlsx"])
        self.stdout.write(_("%(title)s (%(form_id)s, version %(version)s): %(questions)s "
                            "questions, %(items)s scored in %(facets)s facets; languages: "
                            "%(languages)s; about %(minutes)s minutes")
                          % {"title": form.title, "form_id": form.form_id,
                             "version": form.version, "questions": len(form.questions),
                             "items": len(form.items),
                             "facets": len({i.facet for i in form.items}),
                             "languages": ", ".join(form.languages),
                             "minutes": round(instrument.estimated_minutes(form))})
        for target in (options["xlsx"], options["xform"]):
            if target:
                self.stdout.write(_("Written: %(path)s") % {"path": target})

    def analyse(self, options):
        import pandas as pd

        from warmgrid.lib.warmth import analysis, files, instrument

        with failing_as(_("The answers cannot be analysed: %(reason)s")):
            form = instrument.read_instrument(options["instrument"])
            table = files.read_table(options["responses"])
            answers, _columns = instrument.answer_values(form, table)
            group_by = options["group_by"]
            labels = covariates = level2 = None
            if group_by:
                if group_by not in table:
                    raise ValueError(_("The responses have no column %(column)s.")
                                     % {"column": group_by})
                labels = table[group_by].astype(str).tolist()
            wanted = [c.strip() for c in options["covariates"].split(",") if c.strip()]
            if wanted:
                covariates = files.covariate_columns(table, wanted)
            if options["level2"]:
                if not options["level2_key"]:
                    raise ValueError(_("--level2 needs --level2-key."))
                level2 = files.level2_indicators(files.read_table(options["level2"]),
                                                 options["level2_key"])
            if (covariates or level2) and not group_by:
                raise ValueError(_("Covariates and --level2 need --group-by."))
            durations = None
            if options["duration_column"]:
                if options["duration_column"] not in table:
                    raise ValueError(_("The responses have no column %(column)s.")
                                     % {"column": options["duration_column"]})
                durations = pd.to_numeric(table[options["duration_column"]],
                                          errors="coerce").to_numpy(dtype=float)
            result = analysis.analyse(form, answers, group_labels=labels,
                                      covariates=covariates, level2=level2,
                                      missing=options["missing"],
                                      min_answered=options["min_answered"],
                                      durations=durations,
                                      include_flagged=options["include_flagged"],
                                      row_keys=_row_keys(table, options["duration_column"]))
        result = analysis.jsonable(result)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        self._print_analysis(result)

    def _print_analysis(self, result: dict) -> None:
        temperature = result["scores"]["temperature"]
        self.stdout.write(_("%(title)s: %(n)s respondents; temperature %(mean)s (0–100)")
                          % {"title": result["instrument"]["title"], "n": result["n"],
                             "mean": f"{temperature['mean']:.1f}"
                             if temperature["mean"] is not None else "—"})
        checked = result["quality"]
        self.stdout.write(_("  data quality: %(flagged)s responses flagged (%(what)s); "
                            "%(kept)s")
                          % {"flagged": checked["flagged"],
                             "what": ", ".join(f"{FLAG_LABELS[k]} {v}" for k, v in
                                               checked["counts"].items()),
                             "kept": _("kept in the analysis") if checked["included"]
                             else _("left out of the analysis")})
        for name, summary in result["scores"]["dimensions"].items():
            mean = f"{summary['mean']:.1f}" if summary["mean"] is not None else "—"
            self.stdout.write(f"  {name}: {mean} (n={summary['n']})")
        for facet, figures in result["reliability"].items():
            if "alpha" in figures:
                low, high = figures["alpha_ci"]
                self.stdout.write(_("  reliability of %(facet)s: alpha %(alpha).2f "
                                    "[%(low).2f, %(high).2f]")
                                  % {"facet": facet, "alpha": figures["alpha"],
                                     "low": low, "high": high})
        groups = result.get("groups")
        if groups:
            icc = groups["by_outcome"]["temperature"].get("icc", {})
            if "icc1" in icc:
                self.stdout.write(_("  %(count)s communities; ICC(1) %(icc1).3f, "
                                    "ICC(2) %(icc2).3f")
                                  % {"count": groups["count"], "icc1": icc["icc1"],
                                     "icc2": icc["icc2"] or 0})

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
        with failing_as(_("The index cannot be built: %(reason)s")):
            key, indicators, choices, monte_carlo = files.index_spec(spec)
            table = files.read_table(indicators_path)
            units, values, left_out = files.indicator_matrix(table, key, indicators)
            result = composite.build_index(units, values, indicators, choices, monte_carlo)
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


def _row_keys(table, duration_column: str | None) -> list[tuple]:
    """Every answer of a response (its completion time aside), for finding duplicates."""
    columns = [c for c in table.columns if c != duration_column]
    return [tuple("" if value != value else str(value) for value in row)  # NaN != NaN
            for row in table[columns].itertuples(index=False, name=None)]
