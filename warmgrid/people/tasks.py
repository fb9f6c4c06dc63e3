"""Background work on the registry."""

from __future__ import annotations

from celery import shared_task

from warmgrid.people.actions import do_refresh_grid_tallies


@shared_task(name="people.refresh_grid_tallies")
def refresh_grid_tallies() -> int:
    """Nightly: vulnerable-group memberships start and end with the calendar, so every
    grid's counts are recomputed for the new day. Idempotent."""
    return do_refresh_grid_tallies()
