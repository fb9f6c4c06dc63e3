from celery import shared_task

from warmgrid.notices.actions import do_deliver


@shared_task(name="notices.deliver", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def deliver_notice(notice_id: int) -> list[str]:
    """Id in, re-fetch, send what is not yet sent: running it twice sends nothing twice."""
    return do_deliver(notice_id)
