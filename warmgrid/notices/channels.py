"""Where notices go besides the inbox.

A channel is a class with a `name`, a `label` (shown on the preferences page) and
`send(notice) -> None` that raises on failure (an OSError such as
warmgrid.notices.http.ChannelError makes the delivery task retry). A recipient a channel
cannot reach (no e-mail address, no phone) is skipped quietly, and counts as done.
settings.WARMGRID_NOTICE_CHANNELS lists the dotted paths in use; a channel with
`always = True` is not personal (the console log) and is used whatever people choose.

`send` is also given digests: an unsaved Notice whose subject and body sum up the day.
Shipped: console, e-mail, SMS (warmgrid/notices/sms.py), WeCom (warmgrid/notices/wecom.py).
docs/notices.md says how to write another.
"""

from __future__ import annotations

import logging
from functools import cache

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

log = logging.getLogger("warmgrid.notices")


class ConsoleChannel:
    """Writes the notice to the log: development, and a record on servers."""

    name = "console"
    label = _("Server log")
    always = True

    def send(self, notice) -> None:
        log.info("notice to %s: %s", notice.recipient.username, notice.subject)


class EmailChannel:
    """Django's mail backend (the console backend unless EMAIL_* settings say otherwise)."""

    name = "email"
    label = _("E-mail")

    def send(self, notice) -> None:
        if notice.recipient.email:
            send_mail(notice.subject, notice.body or notice.subject, None,
                      [notice.recipient.email])


@cache
def _load(paths: tuple[str, ...]) -> tuple:
    return tuple(import_string(path)() for path in paths)


def configured_channels() -> tuple:
    return _load(tuple(settings.WARMGRID_NOTICE_CHANNELS))


def choosable_channels() -> list:
    """The channels a person may turn on or off on their preferences page."""
    return [c for c in configured_channels() if not getattr(c, "always", False)]


def channel_label(channel) -> str:
    return str(getattr(channel, "label", channel.name))


def channels_for(preference) -> list:
    """The channels one person's notices go out on: the always-on ones, and of the
    others those they chose (all of them when they never chose)."""
    chosen = None if preference is None else set(preference.channels)
    return [c for c in configured_channels()
            if getattr(c, "always", False) or chosen is None or c.name in chosen]
