from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """A message to one person: always in their in-app inbox, and sent on the channels
    configured (SMS, WeCom, e-mail …) by a background task that is safe to run twice."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notices")
    kind = models.CharField(max_length=40)
    # Rendered once, in the recipient's language, when the notice is made.
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=200, blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="notices")
    # Whoever sends twice (a retried task) finds the channel already done here.
    sent_on = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"],
                                name="notice_inbox")]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.subject}"
