"""Data quality of survey responses: which to leave out of analysis, and why.

Pure, no Django. Flags, each with its rule (stated in `choices`):

- **straight-lining**: the same answer to every scored single-choice item of a block of
  at least `min_block` items, among them reverse-keyed ones (agreeing with a statement
  and with its opposite is not an opinion);
- **speeding**: a completion time under `speed_share` of the median time (when durations
  are given);
- **duplicate**: the same answers to every question as an earlier response (the earlier
  one is kept) — every column of the response when the caller passes `row_keys`, else
  the scored items;
- **out of range**: an answer outside its item's scale that is not a declared missing code.

Flagged responses are left out of analysis by default; the caller can keep them, and the
counts are always reported.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from warmgrid.lib.warmth.scoring import ItemSpec

FLAGS = ("straight_lining", "speeding", "duplicate", "out_of_range")


def flag_responses(answers, items: Sequence[ItemSpec], *, single_choice: Sequence[bool],
                   durations: Sequence[float] | None = None, min_block: int = 6,
                   speed_share: float = 0.3, row_keys: Sequence | None = None) -> dict:
    """Per response, the flags it raises; and the counts of each flag."""
    x = np.asarray(answers, dtype=float)
    n, k = x.shape
    if len(items) != k or len(single_choice) != k:
        raise ValueError("One item spec and one single-choice mark per column.")
    flags = {name: np.zeros(n, dtype=bool) for name in FLAGS}

    codes = [np.array(sorted(item.missing_codes)) for item in items]
    valid = np.zeros_like(x, dtype=bool)
    for j, item in enumerate(items):
        column = x[:, j]
        declared = np.isin(column, codes[j]) if codes[j].size else np.zeros(n, dtype=bool)
        inside = (column >= item.low) & (column <= item.high)
        flags["out_of_range"] |= ~np.isnan(column) & ~inside & ~declared
        valid[:, j] = inside & ~declared

    block = [j for j in range(k) if single_choice[j]]
    if len(block) >= min_block and any(items[j].reverse for j in block) \
            and any(not items[j].reverse for j in block):
        values = np.where(valid[:, block], x[:, block], np.nan)
        answered = (~np.isnan(values)).sum(axis=1)
        with np.errstate(invalid="ignore"):
            spread = np.nanmax(values, axis=1) - np.nanmin(values, axis=1)
        flags["straight_lining"] = (answered >= min_block) & (spread == 0)

    if durations is not None:
        seconds = np.asarray(durations, dtype=float)
        if seconds.shape != (n,):
            raise ValueError("One duration per response.")
        median = np.nanmedian(seconds) if np.isfinite(seconds).any() else np.nan
        if np.isfinite(median) and median > 0:
            flags["speeding"] = seconds < speed_share * median

    if row_keys is None:
        canonical = np.where(np.isnan(x), -1e300, x)  # missing compares equal to missing
        row_keys = [canonical[i].tobytes() for i in range(n)]
    elif len(row_keys) != n:
        raise ValueError("One row key per response.")
    seen: set = set()
    for i, key in enumerate(row_keys):
        if key in seen:
            flags["duplicate"][i] = True
        seen.add(key)

    any_flag = np.zeros(n, dtype=bool)
    for values in flags.values():
        any_flag |= values
    return {
        "flags": flags, "flagged": any_flag,
        "counts": {name: int(values.sum()) for name, values in flags.items()},
        "flagged_count": int(any_flag.sum()),
        "choices": {
            "straight_lining": f"the same answer to all (at least {min_block}) scored "
                               "single-choice items answered, reverse-keyed ones among them",
            "speeding": f"completion time under {speed_share:.0%} of the median",
            "duplicate": "the same answers to every question as an earlier response",
            "out_of_range": "an answer outside the item's scale that is not a missing code",
        },
    }
