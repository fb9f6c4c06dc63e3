"""SMS: a channel and pluggable gateways (settings.WARMGRID_SMS_GATEWAY, a dotted path).

A text message carries the subject only, cut to 70 characters: one SMS segment when it
holds Chinese (UCS-2). A gateway is a class with `send(phone, text) -> None` that raises
on failure. Shipped: ConsoleSmsGateway (logs the masked number, for development) and
HttpSmsGateway (JSON to a URL of your SMS provider or your own relay).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from warmgrid.lib.masking import mask_phone
from warmgrid.notices.http import ChannelError, request_json
from warmgrid.notices.queries import contact_phone
from warmgrid.people.logging import redact

log = logging.getLogger("warmgrid.notices.sms")
SMS_LENGTH = 70  # one segment of UCS-2 text


def sms_text(subject: str) -> str:
    """The subject on one line, at most 70 characters (the last one "…" when cut)."""
    text = " ".join(str(subject).split())
    return text if len(text) <= SMS_LENGTH else text[:SMS_LENGTH - 1] + "…"


class ConsoleSmsGateway:
    """Logs the message with the number masked: development and demonstrations."""

    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", mask_phone(phone), redact(text))


class HttpSmsGateway:
    """POSTs {"phone", "text"} as JSON to WARMGRID_SMS_HTTP_URL, with the shared secret in
    the WARMGRID_SMS_HTTP_SECRET_HEADER header; any answer but 2xx raises."""

    def send(self, phone: str, text: str) -> None:
        url = getattr(settings, "WARMGRID_SMS_HTTP_URL", "")
        if not url:
            raise ChannelError("WARMGRID_SMS_HTTP_URL is not set")
        headers = {}
        secret = getattr(settings, "WARMGRID_SMS_HTTP_SECRET", "")
        if secret:
            header = getattr(settings, "WARMGRID_SMS_HTTP_SECRET_HEADER", "X-WarmGrid-Secret")
            headers[header] = secret
        request_json("POST", url, {"phone": phone, "text": text}, headers=headers)


def gateway():
    return import_string(settings.WARMGRID_SMS_GATEWAY)()


class SmsChannel:
    """To the mobile a person gave on their preferences page; without one, skipped."""

    name = "sms"
    label = _("SMS")

    def send(self, notice) -> None:
        phone = contact_phone(notice.recipient)
        if phone:
            gateway().send(phone, sms_text(notice.subject))
