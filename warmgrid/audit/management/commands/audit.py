"""`warmgrid audit verify`: walk the hash chain and name the first entry that was tampered with."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from warmgrid.audit.actions import verify_chain

REASONS = {
    "altered": gettext_noop("altered (its contents no longer match its hash)"),
    "removed_or_reordered": gettext_noop("preceded by a removed or reordered entry"),
    "unreadable": gettext_noop("altered beyond reading"),
}


class Command(BaseCommand):
    help = "Audit trail tools. `verify` checks the hash chain end to end."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify",
                       help="Check that no audit entry was altered, removed or reordered.")

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "verify":
            self.verify()

    def verify(self):
        checked, broken = verify_chain()
        if broken is None:
            self.stdout.write(_("Audit chain intact: %(n)d entries verified.") % {"n": checked})
            return
        where = (_("entry #%(seq)s (row id %(id)s)") % {"seq": broken.seq, "id": broken.row_id}
                 if broken.seq not in (None, -1) else _("row id %(id)s") % {"id": broken.row_id})
        raise CommandError(
            _("Audit chain broken at %(where)s: %(reason)s. %(n)d entries before it verified.")
            % {"where": where, "reason": _(REASONS[broken.reason]), "n": checked - 1}
        )
