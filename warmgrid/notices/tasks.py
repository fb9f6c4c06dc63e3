import datetime as dt

from celery import shared_task
from django.utils import timezone

from warmgrid.notices.actions import do_deliver, do_send_digest
from warmgrid.notices.queries import digest_user_ids


@shared_task(name="notices.deliver", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def deliver_notice(notice_id: int) -> list[str]:
    """Id in, re-fetch, send what is not yet sent: running it twice sends nothing twice."""
    return do_deliver(notice_id)


@shared_task(name="notices.deliver_many", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def deliver_notices(notice_ids: list[int]) -> dict[int, list[str]]:
    """Several notices due at the same time. Each is tried; one failure does not hold
    back the others, and a retry sends only what is still unsent (do_deliver)."""
    sent, failures = {}, []
    for notice_id in notice_ids:
        try:
            sent[notice_id] = do_deliver(notice_id)
        except Exception as exc:  # re-raised below, after the rest are tried
            failures.append(exc)
    if failures:
        raise failures[0]
    return sent


@shared_task(name="notices.send_digests")
def send_digests() -> int:
    """Every morning at 08:00 Beijing time (CELERY_BEAT_SCHEDULE): one task per person
    with notices held for a digest, all for the same day."""
    day = timezone.localdate().isoformat()
    user_ids = digest_user_ids()
    for user_id in user_ids:
        send_digest.delay(user_id, day)
    return len(user_ids)


@shared_task(name="notices.send_digest", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def send_digest(user_id: int, day: str) -> list[str]:
    """One person's digest of `day` (YYYY-MM-DD); safe to run twice (one row a day)."""
    return do_send_digest(user_id=user_id, day=dt.date.fromisoformat(day))
