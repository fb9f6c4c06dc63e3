"""`warmgrid attachments prune [--dry-run]`: remove photo files that no row names."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from warmgrid.attachments.actions import do_prune_orphan_files


class Command(BaseCommand):
    help = "Remove photo files left without a database row (a failed upload's leftovers)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        prune = sub.add_parser("prune", help="Delete photo files no attachment names.")
        prune.add_argument("--dry-run", action="store_true",
                           help="List the files without deleting them.")
        prune.add_argument("--older-than-hours", type=float, default=1.0,
                           help="Leave younger files alone: their upload may be committing.")

    def handle(self, *args, subcommand: str, dry_run: bool, older_than_hours: float,
               **options):
        orphans = do_prune_orphan_files(older_than=dt.timedelta(hours=older_than_hours),
                                        dry_run=dry_run)
        for path in orphans:
            self.stdout.write(path)
        message = (_("%(count)d files without a row would be deleted.") if dry_run
                   else _("%(count)d files without a row deleted."))
        self.stderr.write(message % {"count": len(orphans)})
