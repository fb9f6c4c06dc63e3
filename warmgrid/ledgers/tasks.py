"""Ledger imports run in a Celery worker; the page polls their progress."""

from __future__ import annotations

from celery import shared_task

from warmgrid.ledgers.actions import run_import
from warmgrid.ledgers.models import LedgerImport


@shared_task(name="ledgers.run_import")
def run_ledger_import(import_id: int) -> dict:
    """Handle an import's remaining rows. Idempotent: a row already handled keeps its
    outcome, and a cancelled or finished import is left as it is."""
    ledger_import = LedgerImport.objects.filter(pk=import_id).first()
    if ledger_import is None:
        return {}
    ledger_import = run_import(ledger_import)
    return {"status": ledger_import.status, "rows_done": ledger_import.rows_done}


@shared_task(name="ledgers.run_export")
def run_ledger_export(export_id: int) -> dict:
    from warmgrid.ledgers.actions import run_export
    from warmgrid.ledgers.models import LedgerExport

    job = LedgerExport.objects.filter(pk=export_id).first()
    if job is None:
        return {}
    job = run_export(job)
    return {"status": job.status, "rows": job.rows_done}
