"""Writing to the audit trail. Every write happens inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from warmgrid.audit.models import AuditEntry
from warmgrid.lib.hashchain import GENESIS, ChainBreak, entry_hash, find_first_break

# Any 64-bit constant works; it only has to be the same for every writer.
_PG_CHAIN_LOCK = 0x5741524D47524944

HASHED_FIELDS = (
    "seq", "action", "occurred_at", "actor_id", "actor_username", "ip_address",
    "object_type", "object_id", "object_repr", "area_path", "changes", "reason",
)


def hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in HASHED_FIELDS}
    values["occurred_at"] = entry.occurred_at.astimezone(dt.UTC).isoformat()
    return values


def _chain_key() -> bytes:
    return settings.WARMGRID_AUDIT_KEY.encode()


def _lock_chain() -> None:
    """One writer at a time extends the chain. SQLite's IMMEDIATE transactions already
    serialise writers; PostgreSQL takes a transaction-scoped advisory lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_CHAIN_LOCK])


def do_record_audit(
    *,
    action: str,
    actor=None,
    actor_username: str = "",
    ip_address: str = "",
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    area_path: str = "",
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry. Callers pass masked values only; nothing here unmasks.

    The chain lock is held until the caller's transaction ends, so writers that audit
    should do it last, just before committing. No savepoint: a failure here fails the
    whole write, which is what an audited write must do anyway."""
    with transaction.atomic(savepoint=False):
        _lock_chain()
        last = AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        entry = AuditEntry(
            action=action,
            seq=seq,
            occurred_at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_username=actor_username or getattr(actor, "username", "") or "",
            ip_address=ip_address or "",
            object_type=object_type,
            object_id=str(object_id),
            object_repr=object_repr[:200],
            area_path=area_path,
            changes=dict(changes or {}),
            reason=reason,
            prev_hash=prev_hash,
        )
        entry.entry_hash = entry_hash(prev_hash, hashed_fields(entry), _chain_key())
        entry.save(force_insert=True)
    return entry


def _chain_rows(batch: int) -> Iterator[tuple[int, int, str, str, dict[str, Any] | None]]:
    ids = AuditEntry.objects.order_by("seq").values_list("id", flat=True)
    pending: list[int] = []
    for row_id in ids.iterator(chunk_size=batch):
        pending.append(row_id)
        if len(pending) == batch:
            yield from _load(pending)
            pending = []
    if pending:
        yield from _load(pending)


def _load(ids: list[int]) -> Iterator[tuple[int, int, str, str, dict[str, Any] | None]]:
    try:
        entries = list(AuditEntry.objects.filter(id__in=ids).order_by("seq"))
    except (ValueError, TypeError):
        # A row so damaged that it no longer parses (a broken date or JSON): find it.
        entries = []
        for row_id in ids:
            try:
                entries.append(AuditEntry.objects.get(id=row_id))
            except (ValueError, TypeError):
                yield row_id, -1, "", "", None
                return
        entries.sort(key=lambda e: e.seq)
    for entry in entries:
        try:
            fields = hashed_fields(entry)
        except (AttributeError, ValueError, TypeError):
            fields = None
        yield entry.id, entry.seq, entry.prev_hash, entry.entry_hash, fields


def verify_chain(*, batch: int = 2000) -> tuple[int, ChainBreak | None]:
    """Return how many entries were checked and the first break, if any."""
    counted = 0

    def counting():
        nonlocal counted
        for row in _chain_rows(batch):
            counted += 1
            yield row

    broken = find_first_break(counting(), _chain_key())
    return counted, broken
