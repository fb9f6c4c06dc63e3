"""Background checks of the audit trail (scheduled nightly by Celery beat in production)."""

from __future__ import annotations

import logging

from celery import shared_task

from warmgrid.audit.actions import verify_chain

log = logging.getLogger(__name__)


@shared_task(name="audit.verify_chain")
def verify_audit_chain() -> dict:
    """Walk the whole chain; log loudly if it is broken. Read-only, so safe to repeat."""
    checked, broken = verify_chain()
    if broken is not None:
        log.error("audit chain broken at seq %s (row %s): %s", broken.seq, broken.row_id,
                  broken.reason)
        return {"checked": checked, "broken_seq": broken.seq, "reason": broken.reason}
    log.info("audit chain intact: %d entries", checked)
    return {"checked": checked, "broken_seq": None, "reason": ""}
