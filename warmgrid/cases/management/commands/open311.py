"""`warmgrid open311 issue-key NAME [--replace]` and `warmgrid open311 revoke NAME`.

A key is shown once, on the last line of the output (scripts read the last word); only
its sha256 is stored. Re-issuing for an existing name needs --replace, so that a typo
cannot silently cut off a partner system that is using its key.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from warmgrid.cases.actions import do_issue_open311_key, do_revoke_open311_client
from warmgrid.errors import Conflict, NotFound, ValidationFailed


class Command(BaseCommand):
    help = "Manage the API keys of Open311 clients (systems that report cases)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        issue = sub.add_parser("issue-key", help="Create a client and print its new key.")
        issue.add_argument("name")
        issue.add_argument("--replace", action="store_true",
                           help="Give an existing client a new key; the old one stops working.")
        revoke = sub.add_parser("revoke", help="Stop a client's key from working.")
        revoke.add_argument("name")

    def handle(self, *args, subcommand: str, name: str, **options):
        try:
            if subcommand == "revoke":
                do_revoke_open311_client(name=name)
                self.stdout.write(_("The key of “%(name)s” no longer works.") % {"name": name})
                return
            client, key = do_issue_open311_key(name=name, replace=options["replace"])
        except (Conflict, NotFound, ValidationFailed) as error:
            raise CommandError(str(error.message)
                               + "".join(f" {m}" for ms in error.fields.values() for m in ms)
                               ) from None
        self.stdout.write(_("Open311 key for “%(name)s” (client %(id)d). It is shown only "
                            "now: store it safely. Send it as api_key.")
                          % {"name": client.name, "id": client.pk})
        # Alone on the last line, so that scripts can take the last word.
        self.stdout.write(key)
