"""Keep ID numbers and phone numbers out of every log line, whoever logs them."""

from __future__ import annotations

import logging
import re

from warmgrid.lib.masking import mask_id_number, mask_phone

_ID = re.compile(r"(?<![0-9])[1-9]\d{16}[\dXx](?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")


def redact(text: str) -> str:
    text = _ID.sub(lambda m: mask_id_number(m.group(0)), text)
    return _MOBILE.sub(lambda m: mask_phone(m.group(0)), text)


class RedactIdentifiers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
