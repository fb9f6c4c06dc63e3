"""Making, delivering and digesting notices; a person's notice preferences."""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.errors import ValidationFailed
from warmgrid.lib.phone import MOBILE, normalise_phone
from warmgrid.notices.channels import channels_for, choosable_channels
from warmgrid.notices.contacts import open_contact_phone, seal_contact_phone
from warmgrid.notices.models import URGENT_KINDS, Notice, NoticeDigest, NoticePreference
from warmgrid.notices.queries import preference_of
from warmgrid.notices.timing import quiet_until

log = logging.getLogger("warmgrid.notices")
DIGEST_LIST_LENGTH = 20  # notices listed one by one in a digest; the rest are counted
_WECOM_USERID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def delivery_for(kind: str, preference: NoticePreference | None) -> str:
    """Urgent kinds go at once whatever the person chose; otherwise their choice."""
    if kind in URGENT_KINDS or preference is None:
        return Notice.Delivery.IMMEDIATE
    return {NoticePreference.Digest.DAILY: Notice.Delivery.DIGEST,
            NoticePreference.Digest.OFF: Notice.Delivery.INBOX}.get(
        preference.digest, Notice.Delivery.IMMEDIATE)


def _send_after(kind: str, preference: NoticePreference | None,
                now: dt.datetime) -> dt.datetime | None:
    """The end of the person's quiet hours when `now` is inside them (urgent kinds never
    wait)."""
    if kind in URGENT_KINDS or preference is None:
        return None
    return quiet_until(timezone.localtime(now), preference.quiet_start, preference.quiet_end)


def do_notify(*, recipients, kind: str, subject, body="", params: dict | None = None,
              url: str = "", case=None) -> list[Notice]:
    """One inbox notice per recipient, rendered from lazy messages and `params` in the
    recipient's own language. Those to go out at once are sent on the configured channels
    after commit (after the recipient's quiet hours); the rest wait for the daily digest
    or stay in the inbox, as each recipient chose."""
    now = timezone.now()
    params = params or {}
    people = {u.pk: u for u in recipients if u is not None}
    if not people:
        return []
    preferences = {p.user_id: p for p in NoticePreference.objects.filter(user_id__in=people)}
    made = []
    for user in people.values():
        with translation.override(user.language or settings.LANGUAGE_CODE):
            made.append(Notice(recipient=user, kind=kind,
                               subject=(str(subject) % params)[:200],
                               body=str(body) % params if body else "", url=url[:200],
                               case=case, created_at=now,
                               delivery=delivery_for(kind, preferences.get(user.pk))))
    notices = Notice.objects.bulk_create(made)
    from warmgrid.notices.tasks import deliver_notices

    # One task message per send time, not per recipient: publishing costs intake more
    # than the send itself, and most recipients share "now".
    due: dict[dt.datetime | None, list[int]] = {}
    for notice in notices:
        if notice.delivery == Notice.Delivery.IMMEDIATE:
            eta = _send_after(kind, preferences.get(notice.recipient_id), now)
            due.setdefault(eta, []).append(notice.pk)
    for eta, ids in due.items():
        transaction.on_commit(
            lambda ids=ids, eta=eta: deliver_notices.apply_async(args=[ids], eta=eta))
    return notices


def _send_once(model, pk: int, channel, make_message) -> bool:
    """Send on one channel unless the row says it is done, and mark it done, holding the
    row's lock meanwhile: of two runs at once, one sends and the other finds it done."""
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None or channel.name in row.sent_on:
            return False
        channel.send(make_message(row))
        row.sent_on = [*row.sent_on, channel.name]
        row.save(update_fields=["sent_on"])
        if model is NoticeDigest:
            # What the digest carried counts as sent on this channel too.
            Notice.objects.filter(digest=row).update(sent_on=row.sent_on)
    return True


def do_deliver(notice_id: int) -> list[str]:
    """Send an at-once notice on each of the recipient's channels not yet done; safe to
    run twice. A failing channel does not hold back the others; the first failure is
    raised at the end so that the task retries (and sends only what is left)."""
    notice = Notice.objects.select_related("recipient").filter(pk=notice_id).first()
    if notice is None or notice.delivery != Notice.Delivery.IMMEDIATE:
        return []
    recipient = notice.recipient
    done, failures = [], []
    for channel in channels_for(preference_of(recipient)):
        try:
            if _send_once(Notice, notice.pk, channel,
                          lambda row: _with_recipient(row, recipient)):
                done.append(channel.name)
        except Exception as exc:  # one channel's failure must not stop the rest
            log.warning("notice %s not sent on %s: %s", notice.pk, channel.name, exc)
            failures.append(exc)
    if failures:
        raise failures[0]
    return done


def _with_recipient(notice: Notice, recipient) -> Notice:
    notice.recipient = recipient  # keeps the preference Django cached on the user
    return notice


def do_mark_read(*, user, notice_ids) -> int:
    """Mark the user's own notices read; ids of anyone else's are ignored."""
    return Notice.objects.filter(recipient=user, pk__in=list(notice_ids),
                                 read_at__isnull=True).update(read_at=timezone.now())


def do_mark_all_read(*, user) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True) \
        .update(read_at=timezone.now())


# --- digests ---------------------------------------------------------------------------

def digest_message(user, notices: list[Notice], *, count: int, now: dt.datetime) -> Notice:
    """The digest as an unsaved Notice, in the recipient's language: "You have 5 new
    notices: …" as the subject (what an SMS carries), one line per notice as the body."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        chinese = (translation.get_language() or "").startswith("zh")
        # "A。；B。" reads badly: each subject's own full stop gives way to the separator.
        joined = ("；" if chinese else "; ").join(n.subject.rstrip("。.；; ")
                                                  for n in notices)
        if count == 1:
            subject = gettext("You have 1 new notice: %(subjects)s") % {"subjects": joined}
        else:
            subject = gettext("You have %(count)s new notices: %(subjects)s") % {
                "count": count, "subjects": joined}
        lines = [f"{timezone.localtime(n.created_at):%m-%d %H:%M} {n.subject}"
                 for n in notices]
        if count > len(notices):
            lines.append(gettext("… and %(count)s more in your inbox.")
                         % {"count": count - len(notices)})
        lines.append(gettext("Read them all in WarmGrid: Notices."))
    return Notice(recipient=user, kind="digest", subject=subject[:200],
                  body="\n".join(lines), url="/notices/", created_at=now)


def do_send_digest(*, user_id: int, day: dt.date, now: dt.datetime | None = None) -> list[str]:
    """The day's digest for one person: every notice held for a digest since the last one,
    in ONE message per channel. The first run of the day gathers the notices into the
    day's NoticeDigest row (one per person per day); any later run of that day only
    finishes channels not yet done, so running it twice sends nothing twice."""
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return []
    with transaction.atomic():
        digest, created = NoticeDigest.objects.get_or_create(
            user=user, day=day, defaults={"created_at": now})
        if created:
            digest.notice_count = Notice.objects.filter(
                recipient=user, delivery=Notice.Delivery.DIGEST, digest__isnull=True,
                created_at__lte=now).update(digest=digest)
            digest.save(update_fields=["notice_count"])
    if digest.notice_count == 0:
        return []
    listed = list(Notice.objects.filter(digest=digest).order_by("created_at", "id")
                  [:DIGEST_LIST_LENGTH])
    message = digest_message(user, listed, count=digest.notice_count, now=now)
    done, failures = [], []
    for channel in channels_for(preference_of(user)):
        try:
            if _send_once(NoticeDigest, digest.pk, channel, lambda row: message):
                done.append(channel.name)
        except Exception as exc:  # as in do_deliver
            log.warning("digest %s not sent on %s: %s", digest.pk, channel.name, exc)
            failures.append(exc)
    if failures:
        raise failures[0]
    return done


# --- preferences -----------------------------------------------------------------------

def do_set_notice_preference(*, actor, channels: list[str], digest: str,
                             quiet_start: dt.time | None = None,
                             quiet_end: dt.time | None = None, phone: str | None = None,
                             wecom_userid: str = "", ip_address: str = "") -> NoticePreference:
    """Save how `actor` wants their notices. `phone`: None keeps the number on file, ""
    removes it, anything else replaces it (a mainland mobile, for SMS)."""
    errors: dict[str, list[str]] = {}
    offered = {c.name for c in choosable_channels()}
    if set(channels) - offered:
        errors["channels"] = [str(_("Choose channels from the list."))]
    if digest not in NoticePreference.Digest.values:
        errors["digest"] = [str(_("Choose when notices are sent."))]
    if (quiet_start is None) != (quiet_end is None):
        errors["quiet_end"] = [str(_("Give both ends of the quiet hours, or neither."))]
    sealed = None
    if phone:
        number = normalise_phone(phone)
        if not MOBILE.match(number):
            errors["phone"] = [str(_("Enter a mainland mobile number, such as 13812345678."))]
        else:
            sealed = seal_contact_phone(number)
    wecom_userid = wecom_userid.strip()
    if wecom_userid and not _WECOM_USERID.match(wecom_userid):
        errors["wecom_userid"] = [str(_(
            "A WeCom user ID has up to 64 letters, digits and the signs _ . @ -."))]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        preference, created = NoticePreference.objects.select_for_update().get_or_create(
            user=actor, defaults={"updated_at": timezone.now()})
        before = {"channels": preference.channels, "digest": preference.digest,
                  "phone": preference.phone_masked, "wecom": bool(preference.wecom_userid)}
        preference.channels = [c.name for c in choosable_channels() if c.name in channels]
        preference.digest = digest
        preference.quiet_start, preference.quiet_end = quiet_start, quiet_end
        if sealed is not None:
            preference.phone_cipher, preference.phone_masked = sealed
        elif phone == "":
            preference.phone_cipher = preference.phone_masked = ""
        preference.wecom_userid = wecom_userid
        preference.updated_at = timezone.now()
        preference.save()
        after = {"channels": preference.channels, "digest": preference.digest,
                 "phone": preference.phone_masked, "wecom": bool(preference.wecom_userid)}
        # Masked values only: the trail never holds a whole phone number.
        do_record_audit(
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            actor=actor, ip_address=ip_address, object_type="notice_preference",
            object_id=preference.pk, object_repr=str(actor),
            changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    actor.notice_preference = preference
    return preference


def do_rotate_contact_keys(*, batch_size: int = 1000) -> dict[str, int]:
    """Re-encrypt the phones on file for SMS with the current data key. Run it with
    `warmgrid keys rotate` (people.actions.do_rotate_identifier_keys) after adding a key."""
    from warmgrid.notices.contacts import PHONE_FIELD
    from warmgrid.people.identifiers import cipher

    current = cipher().current_key_id
    counts = {"preferences": 0, "rewritten": 0}
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(NoticePreference.objects.select_for_update()
                        .filter(pk__gt=last_pk).exclude(phone_cipher="")
                        .order_by("pk")[:batch_size])
            if not rows:
                break
            for preference in rows:
                counts["preferences"] += 1
                if cipher().key_id_of(preference.phone_cipher) != current:
                    number = open_contact_phone(preference.phone_cipher)
                    preference.phone_cipher = cipher().encrypt(number, field=PHONE_FIELD)
                    preference.save(update_fields=["phone_cipher"])
                    counts["rewritten"] += 1
            last_pk = rows[-1].pk
    return counts
