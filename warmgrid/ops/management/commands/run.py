"""`warmgrid run`: the embedded mode in one process tree — web server plus Celery worker."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Start the web server and a background worker (embedded mode)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true",
                            help="Do not start the Celery worker.")

    def handle(self, *args, addr: str, no_worker: bool, **options):
        worker = None
        if not no_worker:
            worker = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
                # -B: the worker also runs the nightly schedule (one process on a laptop).
                [sys.executable, "-m", "celery", "-A", "warmgrid", "worker", "--pool=solo",
                 "--beat", "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME,
                 "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
                start_new_session=True,
            )
        self._print_welcome(addr)
        try:
            call_command("runserver", addr, use_reloader=False, use_threading=True)
        finally:
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=10)

    def _print_welcome(self, addr: str) -> None:
        logins = settings.VAR_DIR / "demo-logins.csv"
        self.stdout.write(self.style.SUCCESS(_("WarmGrid is starting at http://%(addr)s/") %
                                             {"addr": addr}))
        if logins.exists():
            with logins.open(encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
            examples = {}
            for row in rows:
                examples.setdefault(row["role"], row)
            self.stdout.write(_("Demo logins (all in %(path)s):") % {"path": logins})
            for role, row in examples.items():
                extra = (_(" · TOTP secret %(secret)s") % {"secret": row["totp_secret"]}
                         if row.get("totp_secret") else "")
                self.stdout.write(f"  {role:<20} {row['username']:<28} {row['password']}{extra}")
