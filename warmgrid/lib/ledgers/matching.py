"""Is this ledger row someone already in the registry? Matching without a usable ID number.

Departments keep their own ledgers and many rows lack an ID number or carry a wrong one.
The exact path (an ID number's blind index looked up in the database) is the caller's;
this module handles the rest, Fellegi–Sunter style:

- **normalise** each field: the name folded from traditional to simplified (OpenCC) and
  read as toneless pinyin, the phone as digits, the address as place + building, unit,
  room ("3号楼" = "3栋" = "3幢" = "三号楼" = "3-…");
- **block**: only pairs that share a key are compared (`CandidateIndex`), so 100,000 rows
  against 1,000,000 residents never become 10¹¹ comparisons;
- **compare** field by field to an agreement level — exact, similar, different or
  missing, and for names also partial (one character off) — and add the level's weight
  log2(m/u), where m = P(level | same person) and u = P(level | different people); a
  missing field weighs 0 (`DEFAULT_M_U` gives the figures and why). A name's exact
  agreement weighs less when many in the registry sound the same (u is at least their
  share), as 张伟 tells less than 欧阳娜娜;
- **decide**: at or above `UPPER` link, from `LOWER` up a person reviews, below a new
  resident. Two guards the independence assumption cannot see: a pair whose names do not
  agree is never linked outright (twins and spouses share birth dates, phones and flats),
  and nor is one whose runner-up also clears `UPPER` (ties go to review).

Pure, no Django. Records are mappings: id, name, birth_date (a date or ISO text),
gender ("M"/"F"/"男"/"女"), phone, and address as text or as building/unit/room (with
an optional place); id_number when the row has one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import opencc
from rapidfuzz.distance import OSA, JaroWinkler

from warmgrid.lib.phone import normalise_phone
from warmgrid.lib.pinyin import pinyin_keys

EXACT, SIMILAR, DIFFERENT, MISSING = "exact", "similar", "different", "missing"
PARTIAL = "partial"  # names only: one character differs, weaker than sounding alike
LINK, REVIEW, NEW = "link", "review", "new"
FIELDS = ("id_number", "name", "birth_date", "gender", "phone", "address")

# (m, u) per field and level, each conditional on both sides having the field.
DEFAULT_M_U: dict[str, dict[str, tuple[float, float]]] = {
    # Typing errors in an 18-digit number are rare; two people sharing one, rarer still.
    "id_number": {EXACT: (0.95, 1e-7), SIMILAR: (0.03, 1e-5), DIFFERENT: (0.02, 1.0)},
    # After folding, ~9 in 10 copies spell the name alike and most of the rest sound alike
    # or swap two characters; Chinese full names collide often (张伟, 王芳): ~1 in 2,000
    # random pairs of one city, ~1 in 500 sound alike. One character off (a near-shape
    # typo, or 张明伟 and 张杰伟) is common among strangers too: u 1 in 100.
    "name": {EXACT: (0.90, 5e-4), SIMILAR: (0.06, 2e-3), PARTIAL: (0.03, 1e-2),
             DIFFERENT: (0.01, 0.9875)},
    # Birth dates spread over ~80 years (u ≈ 1/29,000); "similar" is one digit off, two
    # swapped, or month and day swapped: ~40 valid neighbours of each date.
    "birth_date": {EXACT: (0.92, 4e-5), SIMILAR: (0.05, 1.5e-3), DIFFERENT: (0.03, 0.998)},
    # Gender is wrong in ~2 % of rows; half of all random pairs agree.
    "gender": {EXACT: (0.98, 0.5), DIFFERENT: (0.02, 0.5)},
    # People change numbers and ledgers hold home or mobile ones (m of agreement 0.6);
    # u is set far above chance (~1e-8) because families and offices share numbers.
    "phone": {EXACT: (0.60, 5e-4), SIMILAR: (0.05, 5e-4), DIFFERENT: (0.35, 0.999)},
    # Moves and 人户分离 put ~1 in 5 copies elsewhere; a flat holds a household, so
    # random residents share one more often than chance (u 1e-3). "Similar" is the same
    # building, unit and room with the compound left out on one side.
    "address": {EXACT: (0.70, 1e-3), SIMILAR: (0.10, 1e-2), DIFFERENT: (0.20, 0.989)},
}


def weights_from(m_u: Mapping[str, Mapping[str, tuple[float, float]]]) -> dict:
    """{field: {level: log2(m/u)}}; missing always 0."""
    return {name: {**{level: math.log2(m / u) for level, (m, u) in levels.items()}, MISSING: 0.0}
            for name, levels in m_u.items()}


DEFAULT_WEIGHTS = weights_from(DEFAULT_M_U)

# From `synthetic.choose_thresholds` on the matches of four labelled sets pooled
# (`synthetic.labelled_set` seeds 1–3 with 20,000 registry and 12,000 ledger rows, seed 5
# with 100,000 and 10,000): the lowest score whose links keep precision ≥ 0.999 was 15.0;
# UPPER adds a point of margin above the hard negatives' best profile (same name, birth
# date one digit off, no phone, another flat: 14.5), which costs 0.3 % of recall. LOWER is
# the highest score that still sends 99.9 % of the true pairs found to link or review.
# Strangers who share a name and birth date grow with the registry: against 1,000,000
# synthetic residents precision fell to 0.997, so re-choose (or raise `upper`) at that size.
UPPER = 16.0
LOWER = 7.5
MAX_BLOCK = 2_000  # a key shared by more registry rows than this (a junk phone) is skipped


# Normalisation ---------------------------------------------------------------------------

_DOTS = re.compile(r"[·•・‧∙⋅.．]")
_NOT_NAME = re.compile(r"[\s\d\W_]+")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=200_000)
def fold_name(name: str) -> str:
    """A name as one key: simplified characters, no spaces, one kind of middle dot."""
    text = unicodedata.normalize("NFKC", name or "")
    parts = [_NOT_NAME.sub("", part) for part in _DOTS.split(text)]
    return _t2s().convert("·".join(p for p in parts if p))


@lru_cache(maxsize=200_000)
def name_pinyin(name: str) -> tuple[str, str]:
    """(toneless pinyin, initials) of the folded name, letters only: "張三" → zhangsan, zs."""
    full, initials = pinyin_keys(fold_name(name))
    return re.sub(r"[^a-z0-9]", "", full), initials


def phone_digits(raw: str | None) -> str | None:
    """The phone's digits without +86; None when too short to be a number."""
    if not raw:
        return None
    digits = re.sub(r"\D", "", normalise_phone(unicodedata.normalize("NFKC", str(raw))))
    return digits if len(digits) >= 7 else None


class AddressParts(NamedTuple):
    place: str  # compound or street, without province/city/district/小区
    building: str
    unit: str
    room: str


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"([零〇一二两三四五六七八九十]+)(?=号楼|号|栋|幢|座|单元|门|室|楼)")
_TRIPLE = re.compile(r"(\d+)[-—–_/](\d+)[-—–_/](\d+)")
_BUILDING = re.compile(r"(\d+)(?:号楼|栋|幢|座|楼)")
_UNIT = re.compile(r"^[-—–_/]?(\d+)(?:单元|门)")
_ROOM = re.compile(r"^[-—–_/]?(\d+)(?:室|号|户)?")
_ADMIN = re.compile(r"^(?:.{2,7}?(?:省|自治区))?(?:.{2,7}?市)?(?:.{1,6}?(?<![小社园])[区县旗])?"
                    r"(?:.{2,6}?(?:街道|镇|乡))?")
_PLACE_SUFFIX = re.compile(r"(?:小区|社区|居委会|村委会)$")
_PUNCTUATION = re.compile(r"[\s,，。;；:：()（）#＃]+")


def _cn_number(text: str) -> str:
    """二 → 2, 十二 → 12, 二十 → 20, 二十三 → 23; digit by digit otherwise (一〇一 → 101)."""
    if "十" not in text:
        return "".join(str(_CN_DIGITS[c]) for c in text)
    tens, _, ones = text.partition("十")
    return str((_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0)))


def _clean_address(text: str) -> str:
    text = _t2s().convert(unicodedata.normalize("NFKC", text))
    text = _PUNCTUATION.sub("", text)
    return _CN_NUMBER.sub(lambda m: _cn_number(m.group(1)), text)


def _place(text: str) -> str:
    return _PLACE_SUFFIX.sub("", _ADMIN.sub("", text, count=1)) or text


def _number(text: str | None) -> str:
    return str(int(text)) if text and text.isdigit() else ""


@lru_cache(maxsize=200_000)
def address_parts(address: str) -> AddressParts:
    """Parse "北京市朝阳区花家地北里三号楼2单元501室", "花家地北里小区3栋2单元501" or
    "花家地北里3-2-501" alike to (花家地北里, 3, 2, 501); unparsed text stays the place."""
    text = _clean_address(address or "")
    if match := _TRIPLE.search(text):
        return AddressParts(_place(text[:match.start()]), *(_number(g) for g in match.groups()))
    match = _BUILDING.search(text)
    if not match:
        return AddressParts(_place(text), "", "", "")
    rest, unit = text[match.end():], ""
    if unit_match := _UNIT.match(rest):
        unit, rest = unit_match.group(1), rest[unit_match.end():]
    room = room_match.group(1) if (room_match := _ROOM.match(rest)) else ""
    return AddressParts(_place(text[:match.start()]), _number(match.group(1)),
                        _number(unit), _number(room))


def address_key(parts: AddressParts) -> str:
    """"花家地北里|3-2-501": one string for a flat, for blocking and for display."""
    return f"{parts.place}|{parts.building}-{parts.unit}-{parts.room}"


def _part_number(value: Any) -> str:
    """"3号楼", "三栋", "501室" → the number alone."""
    found = re.search(r"\d+", _clean_address(str(value or "")))
    return _number(found.group()) if found else ""


def _record_address(record: Mapping[str, Any]) -> AddressParts | None:
    if record.get("address"):
        parts = address_parts(str(record["address"]))
    elif record.get("building") or record.get("room"):
        place = _place(_clean_address(str(record.get("place") or "")))
        parts = AddressParts(place, *(_part_number(record.get(k))
                                      for k in ("building", "unit", "room")))
    else:
        return None
    return parts if any(parts) else None


def _birth_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


_GENDERS = {"m": "M", "male": "M", "男": "M", "1": "M", "f": "F", "female": "F", "女": "F",
            "2": "F"}


@dataclass(frozen=True, slots=True)
class Features:
    """A record's fields as they are compared; empty fields are None."""

    id_number: str | None
    name: str | None
    pinyin: str
    initials: str
    birth_date: date | None
    gender: str | None
    phone: str | None
    address: AddressParts | None


def features(record: Mapping[str, Any]) -> Features:
    name = fold_name(str(record.get("name") or ""))
    full, initials = name_pinyin(name) if name else ("", "")
    id_number = str(record.get("id_number") or "").strip().upper() or None
    return Features(
        id_number=id_number,
        name=name or None,
        pinyin=full,
        initials=initials,
        birth_date=_birth_date(record.get("birth_date")),
        gender=_GENDERS.get(str(record.get("gender") or "").strip().lower()),
        phone=phone_digits(record.get("phone")),
        address=_record_address(record),
    )


# Comparison ------------------------------------------------------------------------------

def _compare_id_number(a: str, b: str) -> str:
    if a == b:
        return EXACT
    return SIMILAR if len(a) == len(b) and OSA.distance(a, b) <= 1 else DIFFERENT


def _compare_name(a: Features, b: Features) -> str:
    if a.name == b.name:
        return EXACT
    if a.pinyin and a.pinyin == b.pinyin:
        return SIMILAR  # homophone typed by a pinyin input method
    if sorted(a.name) == sorted(b.name):
        return SIMILAR  # characters swapped
    if min(len(a.name), len(b.name)) >= 3 and OSA.distance(a.name, b.name) <= 1:
        return PARTIAL  # one character off in a name long enough to say so
    return DIFFERENT


def _compare_birth_date(a: date, b: date) -> str:
    if a == b:
        return EXACT
    if a.year == b.year and (a.month, a.day) == (b.day, b.month):
        return SIMILAR
    return SIMILAR if OSA.distance(a.strftime("%Y%m%d"), b.strftime("%Y%m%d")) <= 1 else DIFFERENT


def _compare_phone(a: str, b: str) -> str:
    if a == b:
        return EXACT
    if len(a) == len(b) and OSA.distance(a, b) <= 1:
        return SIMILAR  # one digit mistyped or two swapped
    return SIMILAR if len(a) != len(b) and a[-8:] == b[-8:] else DIFFERENT  # area code


def _same_place(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 2 and (a in b or b in a))


def _compare_address(a: AddressParts, b: AddressParts) -> str:
    if a.building and b.building:
        same_flat = a.room != "" and (a.building, a.unit, a.room) == (b.building, b.unit, b.room)
        if same_flat and _same_place(a.place, b.place):
            return EXACT
        # Same numbers where one side lacks the place: likely the flat. Another flat in the
        # same building is a neighbour, not evidence (hard negatives live next door).
        return SIMILAR if same_flat and not (a.place and b.place) else DIFFERENT
    key_a, key_b = address_key(a), address_key(b)
    if key_a == key_b:
        return EXACT
    return SIMILAR if JaroWinkler.similarity(key_a, key_b) >= 0.92 else DIFFERENT


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, AddressParts):
        return address_key(value)
    return value.isoformat() if isinstance(value, date) else str(value)


def compare(a: Features, b: Features) -> dict[str, str]:
    """{field: level} for every field in FIELDS."""
    levels = {}
    for field in FIELDS:
        left, right = getattr(a, field), getattr(b, field)
        if left is None or right is None:
            levels[field] = MISSING
        elif field == "name":
            levels[field] = _compare_name(a, b)
        elif field == "gender":
            levels[field] = EXACT if left == right else DIFFERENT
        else:
            compare_field = {"id_number": _compare_id_number, "birth_date": _compare_birth_date,
                             "phone": _compare_phone, "address": _compare_address}[field]
            levels[field] = compare_field(left, right)
    return levels


@dataclass(frozen=True, slots=True)
class PairScore:
    """The total weight and, per field, its level, weight and (optionally) both values."""

    total: float
    fields: dict[str, dict[str, Any]]

    @property
    def agreeing(self) -> tuple[str, ...]:
        """The fields that agreed exactly or nearly."""
        return tuple(f for f, v in self.fields.items()
                     if v["level"] in (EXACT, SIMILAR, PARTIAL))


def score_pair(a: Features, b: Features, *, weights: Mapping = DEFAULT_WEIGHTS,
               with_values: bool = True) -> PairScore:
    """Fellegi–Sunter score of two records' features with its per-field breakdown."""
    breakdown = {}
    for field, level in compare(a, b).items():
        entry: dict[str, Any] = {"level": level, "weight": round(weights[field][level], 2)}
        if with_values:
            entry["values"] = [_shown(getattr(a, field)), _shown(getattr(b, field))]
        breakdown[field] = entry
    return PairScore(round(sum(weights[f][v["level"]] for f, v in breakdown.items()), 2),
                     breakdown)


# Blocking --------------------------------------------------------------------------------

def blocking_keys(f: Features) -> list[str]:
    """Keys a true pair is likely to share even through noise: sounded-out name (given
    initials sorted, so swaps stay together) + birth year; the whole pinyin; birth date +
    the surname's or the given name's initials (a near-shape typo in the other part);
    phone; flat; ID number."""
    keys = []
    if f.initials:
        if f.birth_date:
            given = "".join(sorted(f.initials[1:]))
            keys.append(f"n{f.initials[0]}{given}{f.birth_date.year}")
            keys.append(f"d{f.initials[0]}{f.birth_date.isoformat()}")
            keys.append(f"g{given}{f.birth_date.isoformat()}")
        keys.append(f"f{f.pinyin}")
    if f.phone:
        keys.append(f"p{f.phone[-8:]}")
    if f.address and f.address.building and f.address.room:
        keys.append(f"a{address_key(f.address)}")
    if f.id_number:
        keys.append(f"i{f.id_number}")
    return keys


def _hashes(keys: Iterable[str]) -> list[int]:
    # Python's string hash, stable within the process: the index lives in memory only,
    # and a rare 64-bit collision merely adds a candidate.
    return [hash(k) for k in keys]


class CandidateIndex:
    """The registry side of blocking, built once: sorted (key hash, row) arrays, ~12 bytes
    per key, instead of dicts of lists; features of rows are recomputed on demand."""

    def __init__(self, records: Sequence[Mapping[str, Any]], hashes: np.ndarray,
                 rows: np.ndarray, *, max_block: int = MAX_BLOCK, cache_size: int = 100_000):
        self.records = records
        self._hashes = hashes
        self._rows = rows
        self.max_block = max_block
        self.features_of = lru_cache(maxsize=cache_size)(lambda row: features(records[row]))

    @classmethod
    def build(cls, records: Sequence[Mapping[str, Any]], **options: int) -> CandidateIndex:
        """Index a registry; `records` is kept (not copied) to score candidates later."""
        hashes, rows = array("q"), array("i")  # 12 bytes a key while building, not ~70
        for row, record in enumerate(records):
            keys = _hashes(blocking_keys(features(record)))
            hashes.extend(keys)
            rows.extend([row] * len(keys))
        hash_array = np.frombuffer(hashes, dtype=np.int64)
        row_array = np.frombuffer(rows, dtype=np.int32)
        order = np.argsort(hash_array, kind="stable")
        return cls(records, hash_array[order], row_array[order], **options)

    def __len__(self) -> int:
        return len(self.records)

    def block_size(self, key: str) -> int:
        h = hash(key)
        return int(np.searchsorted(self._hashes, h, "right") - np.searchsorted(self._hashes, h))

    def name_share(self, f: Features) -> float:
        """Share of the registry whose name sounds like this one, less one (the person
        themself): the chance a stranger agrees on it (张伟 far more than 欧阳娜娜)."""
        if not f.pinyin or not len(self):
            return 0.0
        return max(0, self.block_size(f"f{f.pinyin}") - 1) / len(self)

    def candidate_rows(self, f: Features) -> set[int]:
        """Registry rows sharing at least one key with the features (oversized keys skipped)."""
        rows: set[int] = set()
        for h in _hashes(blocking_keys(f)):
            start = int(np.searchsorted(self._hashes, h))
            end = int(np.searchsorted(self._hashes, h, "right"))
            if 0 < end - start <= self.max_block:
                rows.update(self._rows[start:end].tolist())
        return rows

    def candidates(self, record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return [self.records[row] for row in sorted(self.candidate_rows(features(record)))]


def frequency_adjusted(weights: Mapping, name_share: float) -> Mapping:
    """Weights with a common name's exact agreement worth less: u is at least the share of
    the registry bearing it (term-frequency adjustment; m as in DEFAULT_M_U)."""
    m = DEFAULT_M_U["name"][EXACT][0]
    if name_share <= 0 or math.log2(m / name_share) >= weights["name"][EXACT]:
        return weights
    return {**weights, "name": {**weights["name"], EXACT: math.log2(m / name_share)}}


# Decision --------------------------------------------------------------------------------

def decide(score: float, upper: float = UPPER, lower: float = LOWER) -> str:
    """link at or above upper, review from lower up, new below."""
    if score >= upper:
        return LINK
    return REVIEW if score >= lower else NEW


@dataclass(frozen=True, slots=True)
class Match:
    """The decision for one incoming record. registry_id is the best candidate whatever
    the decision (None without candidates); alternatives are the next ones (id, score)."""

    incoming_id: Any
    decision: str
    registry_id: Any
    score: float
    fields: dict[str, dict[str, Any]]
    alternatives: tuple[tuple[Any, float], ...] = ()
    reason: str = "score"  # score | tie | name_disagrees | no_candidate


def _linkable(score: PairScore) -> bool:
    """Names agree at least in part, or the ID numbers do: household fields alone (twins
    share a birth date, phone and flat) never link."""
    return score.fields["name"]["level"] not in (DIFFERENT, MISSING) \
        or score.fields["id_number"]["level"] == EXACT


def match_record(record: Mapping[str, Any], index: CandidateIndex, *, upper: float = UPPER,
                 lower: float = LOWER, weights: Mapping = DEFAULT_WEIGHTS,
                 with_values: bool = True) -> Match:
    """Score the record against its candidates and decide on the best one."""
    mine = features(record)
    weights = frequency_adjusted(weights, index.name_share(mine))
    scored = sorted(((score_pair(mine, index.features_of(row), weights=weights,
                                 with_values=with_values), row)
                     for row in index.candidate_rows(mine)),
                    key=lambda pair: (-pair[0].total, pair[1]))
    if not scored:
        return Match(record.get("id"), NEW, None, 0.0, {}, reason="no_candidate")
    best, row = scored[0]
    decision, reason = decide(best.total, upper, lower), "score"
    alternatives = tuple((index.records[r].get("id"), s.total) for s, r in scored[1:4])
    runner_up = scored[1][0] if len(scored) > 1 else None
    if runner_up and decision != NEW and runner_up.total == best.total:
        decision, reason = REVIEW, "tie"
    elif runner_up and decision == LINK and runner_up.total >= upper and _linkable(runner_up):
        decision, reason = REVIEW, "tie"  # two residents could be this one
    if decision == LINK and not _linkable(best):
        decision, reason = REVIEW, "name_disagrees"
    return Match(record.get("id"), decision, index.records[row].get("id"), best.total,
                 best.fields, alternatives, reason)


def match_records(records: Iterable[Mapping[str, Any]], index: CandidateIndex,
                  **options: Any) -> Iterator[Match]:
    """match_record for each incoming record, lazily."""
    for record in records:
        yield match_record(record, index, **options)
