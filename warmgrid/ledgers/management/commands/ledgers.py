"""`warmgrid ledgers import FILE --template NAME`: take a ledger in from the command line,
with a progress line and a summary; `warmgrid ledgers templates` lists the templates."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from warmgrid.errors import DomainError
from warmgrid.ledgers.actions import do_start_import, run_import
from warmgrid.ledgers.models import LedgerImport, LedgerTemplate
from warmgrid.places.models import Area


class Progress:
    """Rows done of all, the counts so far and the time left, about once a second."""

    def __init__(self, stream, interval: float = 1.0) -> None:
        self.stream, self.interval = stream, interval
        self.started = time.perf_counter()
        self.last = 0.0
        self.end = "\r" if stream.isatty() else "\n"

    def __call__(self, job: LedgerImport) -> None:
        now = time.perf_counter()
        if now - self.last < self.interval and job.rows_done < job.rows_total:
            return
        self.last = now
        rate = job.rows_done / max(now - self.started, 1e-6)
        left = (job.rows_total - job.rows_done) / rate if rate else 0
        self.stream.write(
            _("Rows %(done)s / %(total)s: %(created)s new, %(linked)s linked, %(unchanged)s "
              "unchanged, %(review)s to review, %(rejected)s rejected; about %(left)d s left")
            % {"done": f"{job.rows_done:,}", "total": f"{job.rows_total:,}",
               "created": job.created, "linked": job.linked, "unchanged": job.unchanged,
               "review": job.review, "rejected": job.rejected, "left": round(left)},
            ending=self.end, style_func=str)
        self.stream.flush()


class Command(BaseCommand):
    help = "Import a departmental ledger (台帐) into the registry, or list the templates."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        take = sub.add_parser("import", help="Import an .xlsx, .xls or .csv ledger.")
        take.add_argument("file", type=Path)
        take.add_argument("--template", required=True,
                          help="The template's code, e.g. registry.")
        take.add_argument("--area", help="Only rows in this area (its code) may land.")
        sub.add_parser("templates", help="List the templates and their columns.")

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "templates":
            for template in LedgerTemplate.objects.all():
                headers = "，".join(c["header"] for c in template.columns)
                self.stdout.write(f"{template.code}\t{template.name}\t{headers}")
            return None
        return self._import(options["file"], options["template"], options.get("area"))

    def _import(self, path: Path, code: str, area_code: str | None):
        template = LedgerTemplate.objects.filter(code=code).first()
        if template is None:
            raise CommandError(_("No ledger template %(code)s; `warmgrid ledgers templates` "
                                 "lists them.") % {"code": code})
        area = None
        if area_code:
            area = Area.objects.filter(code=area_code).first()
            if area is None:
                raise CommandError(_("No area with the code %(code)s.") % {"code": area_code})
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(reason)s")
                               % {"file": path, "reason": exc.strerror}) from exc
        try:
            job = do_start_import(actor=None, template=template, name=path.name,
                                  content=content, area=area)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        if job.duplicate_of_id:
            self.stdout.write(_("This file was imported before (import %(id)s): rows already "
                                "in the registry are left as they are.")
                              % {"id": job.duplicate_of_id})
        job = run_import(job, progress=Progress(self.stderr))
        if job.status == LedgerImport.Status.FAILED:
            raise CommandError(_("The ledger could not be read: %(reason)s")
                               % {"reason": job.error})
        self.stdout.write(
            _("Import %(id)s: %(total)s rows — %(created)s new residents, %(linked)s linked "
              "to residents, %(unchanged)s already in the registry, %(review)s waiting for "
              "review, %(rejected)s rejected.")
            % {"id": job.pk, "total": job.rows_total, "created": job.created,
               "linked": job.linked, "unchanged": job.unchanged, "review": job.review,
               "rejected": job.rejected})
        for issue in job.issues.all()[:50]:
            self.stdout.write(f"  {issue.sheet} {issue.row_number} {issue.column}: "
                              f"{describe_issue(issue)}")
        if job.rejected > 50:
            self.stdout.write(_("  … the full report is on the import's page."))
        return None


def describe_issue(issue) -> str:
    from warmgrid.ledgers.messages import issue_message

    return str(issue_message(issue.code, issue.params))
