from celery import shared_task

from warmgrid.cases.actions import do_watch_deadlines


@shared_task(name="cases.watch_deadlines")
def watch_deadlines() -> dict:
    """Every few minutes: warnings and escalations. Safe to run twice (each step is
    recorded on the case before anyone is told)."""
    return do_watch_deadlines()
