"""The Celery application: Redis in production, a folder broker in embedded mode."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmgrid.settings")

app = Celery("warmgrid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
