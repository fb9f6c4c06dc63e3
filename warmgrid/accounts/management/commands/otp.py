"""`warmgrid otp enroll USERNAME`: give an admin their authenticator secret.

Admins cannot enrol themselves at sign-in: whoever held a stolen password could then
register their own phone. A system admin (or the operator, for the first one) enrols
them here and hands over the secret in person.
"""

from __future__ import annotations

import base64

import segno
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from warmgrid.accounts.models import User
from warmgrid.accounts.scopes import primary_area_path
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry


class Command(BaseCommand):
    help = "Enrol a TOTP authenticator for a user and print its secret."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        enrol = sub.add_parser("enroll", help="Create (or with --reset replace) a user's device.")
        enrol.add_argument("username")
        enrol.add_argument("--reset", action="store_true",
                           help="Replace an existing device (a lost phone).")

    def handle(self, *args, subcommand: str, username: str, reset: bool, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named %(name)s.") % {"name": username})
        with transaction.atomic():
            existing = TOTPDevice.objects.filter(user=user)
            if existing.filter(confirmed=True).exists() and not reset:
                raise CommandError(_("%(name)s already has an authenticator; add --reset to "
                                     "replace it.") % {"name": username})
            existing.delete()
            device = TOTPDevice.objects.create(user=user, name="WarmGrid", confirmed=True)
            do_record_audit(action=AuditEntry.Action.SYSTEM, object_type="user",
                            object_id=user.pk, object_repr=user.username,
                            area_path=primary_area_path(user),
                            changes={"totp": "reset" if reset else "enrolled"})
        secret = base64.b32encode(device.bin_key).decode()
        self.stdout.write(_("Secret for %(name)s: %(secret)s") % {"name": username,
                                                                 "secret": secret})
        self.stdout.write(device.config_url)
        segno.make(device.config_url, error="m").terminal(out=self.stdout, compact=True)
