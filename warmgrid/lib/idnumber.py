"""Resident ID numbers (居民身份证号码) per GB 11643-1999.

Pure functions, no Django: the checksum and its rules are tested alone (hypothesis) and
used by forms, the API and imports alike. Each failure has its own code so callers can
show their own translated message for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# ISO 7064 MOD 11-2 weights for the first 17 characters, and the check character by remainder.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

# Province-level codes of GB/T 2260 (the first two digits of every region code).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",  # 北京 天津 河北 山西 内蒙古
        "21", "22", "23",  # 辽宁 吉林 黑龙江
        "31", "32", "33", "34", "35", "36", "37",  # 上海 江苏 浙江 安徽 福建 江西 山东
        "41", "42", "43", "44", "45", "46",  # 河南 湖北 湖南 广东 广西 海南
        "50", "51", "52", "53", "54",  # 重庆 四川 贵州 云南 西藏
        "61", "62", "63", "64", "65",  # 陕西 甘肃 青海 宁夏 新疆
        "71", "81", "82",  # 台湾 香港 澳门
    }
)

EARLIEST_BIRTH = dt.date(1900, 1, 1)


class IdNumberError(ValueError):
    """A rule of GB 11643 that the number breaks; `code` names the rule."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code if not detail else f"{code}: {detail}")
        self.code = code


# The codes, in the order the checks run. Callers map each to a message.
LENGTH = "id_length"
CHARACTERS = "id_characters"
REGION = "id_region"
BIRTH_DATE = "id_birth_date"
CHECKSUM = "id_checksum"
BIRTH_MISMATCH = "id_birth_mismatch"
GENDER_MISMATCH = "id_gender_mismatch"


@dataclass(frozen=True)
class IdNumber:
    value: str  # normalised: 18 characters, upper-case X
    region: str
    birth_date: dt.date
    gender: str  # "M" or "F": the sequence code is odd for men

    @property
    def last4(self) -> str:
        return self.value[-4:]


def check_character(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise(raw: str) -> str:
    """Strip spaces (people paste them) and upper-case the check character."""
    return "".join(raw.split()).upper()


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate and decompose an ID number, raising IdNumberError with the rule broken."""
    value = normalise(raw)
    if len(value) != 18:
        raise IdNumberError(LENGTH, str(len(value)))
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise IdNumberError(CHARACTERS)
    region = value[:6]
    # A region code names a county-level division: a known province, and not the
    # province's or a city's own summary code (…0000).
    if region[:2] not in PROVINCE_CODES or region[2:] == "0000":
        raise IdNumberError(REGION, region)
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise IdNumberError(BIRTH_DATE, value[6:14]) from exc
    if birth < EARLIEST_BIRTH or birth > (today or dt.date.today()):
        raise IdNumberError(BIRTH_DATE, value[6:14])
    if check_character(value[:17]) != value[17]:
        raise IdNumberError(CHECKSUM)
    gender = "M" if int(value[16]) % 2 else "F"
    return IdNumber(value=value, region=region, birth_date=birth, gender=gender)


def check_agrees(
    id_number: IdNumber, *, birth_date: dt.date | None, gender: str | None
) -> None:
    """The birth date and gender entered must be the ones the number encodes."""
    if birth_date is not None and birth_date != id_number.birth_date:
        raise IdNumberError(BIRTH_MISMATCH)
    if gender and gender != id_number.gender:
        raise IdNumberError(GENDER_MISMATCH)


def make_id_number(region: str, birth_date: dt.date, sequence: int) -> str:
    """Build a valid number (demo data and tests); `sequence` 0–999, odd for men."""
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
