"""What the benchmarks share: their own PostgreSQL database, and percentiles."""

from __future__ import annotations

from urllib.parse import urlparse


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
