"""`warmgrid keys generate|rotate`: manage the keys that protect ID numbers and phones."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from warmgrid.lib.crypto import new_key
from warmgrid.notices.actions import do_rotate_contact_keys
from warmgrid.people.actions import do_rotate_identifier_keys


class Command(BaseCommand):
    help = "Generate a key, or re-encrypt and re-index all identifiers with the current keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("generate", help="Print a new random 256-bit key (base64).")
        rotate = sub.add_parser("rotate", help="Re-encrypt with the first key of "
                                "WARMGRID_DATA_KEYS and recompute blind indexes.")
        rotate.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "generate":
            self.stdout.write(new_key())
            return
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            elapsed = time.monotonic() - started
            rate = done / elapsed if elapsed else 0
            left = (total - done) / rate if rate else 0
            sys.stderr.write("\r" + _("%(done)d / %(total)d residents, %(left).0f s left") %
                             {"done": done, "total": total, "left": left})
            sys.stderr.flush()

        counts = do_rotate_identifier_keys(batch_size=options["batch_size"], progress=progress)
        sys.stderr.write("\n")
        self.stdout.write(_("%(residents)d residents checked, %(rewritten)d rewritten.") % counts)
        # Phones kept for SMS notices are sealed with the same keys.
        contacts = do_rotate_contact_keys(batch_size=options["batch_size"])
        self.stdout.write(_("%(preferences)d notice phones checked, %(rewritten)d rewritten.")
                          % contacts)
