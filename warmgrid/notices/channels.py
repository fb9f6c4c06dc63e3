"""Where notices go besides the inbox. A channel is a class with `name` and
`send(notice) -> None` that raises on failure; settings.WARMGRID_NOTICE_CHANNELS lists the
dotted paths in use. Console and e-mail ship; SMS and WeCom need a provider's account, so
an adapter is written per deployment against this interface (docs/deploy.md)."""

from __future__ import annotations

import logging

from django.core.mail import send_mail

log = logging.getLogger("warmgrid.notices")


class ConsoleChannel:
    """Writes the notice to the log: development, and a record on servers."""

    name = "console"

    def send(self, notice) -> None:
        log.info("notice to %s: %s", notice.recipient.username, notice.subject)


class EmailChannel:
    """Django's mail backend (the console backend unless EMAIL_* settings say otherwise)."""

    name = "email"

    def send(self, notice) -> None:
        if notice.recipient.email:
            send_mail(notice.subject, notice.body, None, [notice.recipient.email])
