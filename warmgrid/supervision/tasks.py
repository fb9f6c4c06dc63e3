from celery import shared_task

from warmgrid.supervision.actions import do_detect_clusters, do_refresh_case_tallies


@shared_task(name="supervision.detect_clusters")
def detect_clusters() -> dict:
    """Every ten minutes: cluster alerts. Safe to run twice (an alerted cluster is found
    again, not alerted again)."""
    return do_detect_clusters()


@shared_task(name="supervision.refresh_case_tallies")
def refresh_case_tallies(full: bool = False) -> dict:
    """Hourly the current month, nightly every kept month; a recount, safe to repeat."""
    return do_refresh_case_tallies(full=full)
