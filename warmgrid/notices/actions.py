"""Making and delivering notices."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from warmgrid.notices.models import Notice


def do_notify(*, recipients, kind: str, subject, body="", params: dict | None = None,
              url: str = "", case=None) -> list[Notice]:
    """One inbox notice per recipient, rendered from lazy messages and `params` in the
    recipient's own language, then sent on the configured channels after commit."""
    now = timezone.now()
    params = params or {}
    made = []
    for user in {u.pk: u for u in recipients if u is not None}.values():
        with translation.override(user.language or settings.LANGUAGE_CODE):
            made.append(Notice(recipient=user, kind=kind,
                               subject=(str(subject) % params)[:200],
                               body=str(body) % params if body else "", url=url, case=case,
                               created_at=now))
    notices = Notice.objects.bulk_create(made)
    from warmgrid.notices.tasks import deliver_notice

    for notice in notices:
        transaction.on_commit(lambda pk=notice.pk: deliver_notice.delay(pk))
    return notices


def do_deliver(notice_id: int) -> list[str]:
    """Send on every configured channel not yet done; safe to run twice."""
    with transaction.atomic():
        notice = (Notice.objects.select_for_update().select_related("recipient")
                  .filter(pk=notice_id).first())
        if notice is None:
            return []
        done = []
        for path in settings.WARMGRID_NOTICE_CHANNELS:
            channel = import_string(path)()
            if channel.name in notice.sent_on:
                continue
            channel.send(notice)
            notice.sent_on = [*notice.sent_on, channel.name]
            done.append(channel.name)
        if done:
            notice.save(update_fields=["sent_on"])
    return done


def do_mark_read(*, user, notice_ids) -> int:
    return Notice.objects.filter(recipient=user, pk__in=notice_ids, read_at__isnull=True) \
        .update(read_at=timezone.now())
