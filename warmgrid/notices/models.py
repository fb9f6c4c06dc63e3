from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Kinds that go out at once whatever the recipient chose (digest, off, quiet hours):
# an urgent case and an overdue case escalated to someone cannot wait for tomorrow.
URGENT_KINDS = frozenset({"case_urgent", "case_escalated"})


class Notice(models.Model):
    """A message to one person: always in their in-app inbox, and sent on the channels
    configured (SMS, WeCom, e-mail …) by a background task that is safe to run twice."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", _("at once")
        DIGEST = "digest", _("in the daily digest")
        INBOX = "inbox", _("in the inbox only")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notices")
    kind = models.CharField(max_length=40)
    # Rendered once, in the recipient's language, when the notice is made.
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=200, blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="notices")
    # Decided when the notice is made, from the recipient's preference and the kind.
    delivery = models.CharField(max_length=10, choices=Delivery.choices,
                                default=Delivery.IMMEDIATE)
    # The digest that carried it; empty until then (for delivery == "digest").
    digest = models.ForeignKey("notices.NoticeDigest", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="notices")
    # Whoever sends twice (a retried task) finds the channel already done here.
    sent_on = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "created_at"], name="notice_inbox"),
            # Who has notices waiting for the morning digest: a small, partial index.
            models.Index(fields=["recipient"], name="notice_digest_pending",
                         condition=models.Q(delivery="digest", digest__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.subject}"

    @property
    def is_urgent(self) -> bool:
        return self.kind in URGENT_KINDS


class NoticePreference(models.Model):
    """How one person wants their notices: which channels, at once or in a daily digest,
    and quiet hours. No row means every configured channel, at once, any time."""

    class Digest(models.TextChoices):
        IMMEDIATE = "immediate", _("Send each notice at once")
        DAILY = "daily", _("One daily digest at 08:00")
        OFF = "off", _("Inbox only: send nothing")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notice_preference")
    # Names of channels chosen among settings.WARMGRID_NOTICE_CHANNELS.
    channels = models.JSONField(_("channels"), default=list, blank=True)
    digest = models.CharField(_("when"), max_length=10, choices=Digest.choices,
                              default=Digest.IMMEDIATE)
    # Beijing time; a span past midnight (22:00–07:00) is allowed.
    quiet_start = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet until"), null=True, blank=True)
    # For SMS: encrypted like a resident's phone (warmgrid.lib.crypto), shown masked.
    phone_cipher = models.TextField(blank=True, editable=False)
    phone_masked = models.CharField(_("mobile for SMS"), max_length=20, blank=True,
                                    editable=False)
    # For WeCom (企业微信) app messages: the member's userid in the corp's address book.
    wecom_userid = models.CharField(_("WeCom user ID"), max_length=64, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.digest}"


class NoticeDigest(models.Model):
    """One digest per person per (Beijing) day: the notices it carried and the channels
    it went out on, so that running the digest twice sends nothing twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notice_digests")
    day = models.DateField()
    created_at = models.DateTimeField()
    notice_count = models.PositiveIntegerField(default=0)
    sent_on = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"],
                                               name="one_digest_per_user_per_day")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.day} ({self.notice_count})"
