"""What the benchmarks share: their own PostgreSQL database, Django set up as deployed,
and percentiles."""

from __future__ import annotations

import os
from urllib.parse import urlparse


def setup_django(database_url: str) -> None:
    """Django on the benchmark's database, measured as served: DEBUG off (a checkout's
    default is on, whose query log and cursor wrappers cost every query), quiet logs. The
    environment is inherited by any app server a benchmark starts."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmgrid.settings")
    os.environ["WARMGRID_LOG_LEVEL"] = "WARNING"
    os.environ["WARMGRID_DEBUG"] = "0"
    import django

    django.setup()


def ensure_database(url: str, *, rebuild: bool) -> None:
    """Create the benchmark's database if it is missing (dropped first with `rebuild`)."""
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile by the nearest rank."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
