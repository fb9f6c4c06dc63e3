"""Reads of notices: a person's own inbox only; anyone else's notice is a 404."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404

from warmgrid.notices.contacts import open_contact_phone
from warmgrid.notices.models import Notice, NoticePreference


def inbox_of(user):
    return Notice.objects.filter(recipient=user)


def unread_count(user) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


def access_notice_for_user(user, notice_id) -> Notice:
    """Only the recipient sees a notice: every other id is 404, whoever asks."""
    try:
        pk = int(notice_id)
    except (TypeError, ValueError):
        raise Http404 from None
    notice = Notice.objects.filter(pk=pk, recipient=user).first() if pk > 0 else None
    if notice is None:
        raise Http404
    return notice


def preference_of(user) -> NoticePreference | None:
    """The person's preference, or None; cached on the user object by Django."""
    try:
        return user.notice_preference
    except ObjectDoesNotExist:
        return None


def contact_phone(user) -> str:
    """The mobile the person gave for SMS, opened; "" when none."""
    preference = preference_of(user)
    return open_contact_phone(preference.phone_cipher) if preference else ""


def digest_user_ids() -> list[int]:
    """Everyone with notices held for a digest, unless they have since turned sending
    off (someone who switched back to "at once" still gets what was held)."""
    return list(Notice.objects.filter(delivery=Notice.Delivery.DIGEST, digest__isnull=True,
                                      recipient__is_active=True)
                .exclude(recipient__notice_preference__digest=NoticePreference.Digest.OFF)
                .order_by("recipient_id").values_list("recipient_id", flat=True).distinct())
