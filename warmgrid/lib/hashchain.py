"""The audit trail's hash chain, as pure functions so that it can be checked anywhere."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def entry_hash(prev_hash: str, fields: Mapping[str, Any], key: bytes) -> str:
    """HMAC-SHA256 over the previous hash and a canonical JSON of the entry's own fields.

    Keyed, so that someone who can write to the database but does not hold the audit key
    cannot rewrite an entry and recompute the chain after it.
    """
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                           default=str)
    return hmac.new(key, f"{prev_hash}\n{canonical}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None
    row_id: int | None
    reason: str  # "altered", "removed_or_reordered", "unreadable"


def find_first_break(
    rows: Iterable[tuple[int, int, str, str, Mapping[str, Any] | None]], key: bytes,
) -> ChainBreak | None:
    """Walk (row_id, seq, prev_hash, entry_hash, fields) in seq order; return the first break.

    An entry whose stored hash does not match its fields was altered. An entry whose
    prev_hash is not the hash of the entry before it, or whose sequence number skips,
    marks where entries were removed or reordered.
    """
    expected_prev = GENESIS
    expected_seq = None
    for row_id, seq, prev_hash, stored_hash, fields in rows:
        if fields is None:
            return ChainBreak(seq, row_id, "unreadable")
        if not hmac.compare_digest(entry_hash(prev_hash, fields, key), stored_hash):
            return ChainBreak(seq, row_id, "altered")
        if prev_hash != expected_prev or (expected_seq is not None and seq != expected_seq):
            return ChainBreak(seq, row_id, "removed_or_reordered")
        expected_prev = stored_hash
        expected_seq = seq + 1
    return None
