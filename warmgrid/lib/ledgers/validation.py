"""Checking one ledger row, once its columns are mapped onto registry fields, and giving
the values the registry takes: dates as dates, gender as M/F, relations and residence
status as the registry's codes, ID numbers and phones normalised.

Ledgers write the same thing many ways (1950年3月8日, 1950.3.8, an Excel serial; 妻, 爱人,
配偶; 2单元, 二单元), so each field accepts the ways seen in departments' files. What
cannot be accepted becomes a Problem with a stable reason code (REASONS) and parameters,
never a sentence: the Django side words it in the user's language. Parameters never
carry the value itself — problems are stored, values are personal data.

Decision on 15-digit (first-generation, pre-1999) ID numbers: they are upgraded to 18
digits by GB 11643's own rule (the century "19" inserted, the check character computed)
— the number the holder's current card carries — so the row matches the registry's
18-digit number; `upgrade_15=False` refuses them with `id_15_digits` instead.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection, Mapping

from warmgrid.lib import idnumber
from warmgrid.lib.ledgers.reading import ROW_REASONS, Problem
from warmgrid.lib.phone import MOBILE, is_valid_phone, normalise_phone

# Registry fields a ledger column can fill; anything else passes through as stripped text.
FIELDS = ("name", "id_number", "phone", "gender", "birth_date", "building", "unit", "room",
          "relation", "residence_status", "ethnicity", "occupation", "tags", "valid_from",
          "valid_until")
# Without these a row cannot become a resident; gender and birth date come from a valid
# ID number when the ledger has no column for them.
REQUIRED = ("name", "gender", "birth_date")
BLANKS = frozenset({"", "-", "--", "—", "——", "/", "无", "暂无", "不详", "空", "null", "none"})

NAME_LENGTH = (2, 20)
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
CHINESE_NAME = re.compile(rf"^[{CJK}]+(·[{CJK}]+)*$")
LATIN_NAME = re.compile(r"^[A-Za-z]+([ .'-][A-Za-z]+)*$")
NAME_DOTS = re.compile(r"[·•・‧∙⋅.．]")  # the dot between a minority name's parts, as typed

UNIT_LENGTH, ROOM_LENGTH, TEXT_LENGTH, TAG_LENGTH = 8, 16, 64, 40
EARLIEST_DATE, LATEST_VALIDITY = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 after Excel's 1900 leap day
DATE_FORMATS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
EXCEL_SERIAL = re.compile(r"^\d{1,5}(\.\d+)?$")
SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)

GENDERS = {"男": "M", "男性": "M", "m": "M", "male": "M", "1": "M",
           "女": "F", "女性": "F", "f": "F", "female": "F", "2": "F"}  # 1/2: GB/T 2261.1
# Relations as ledgers write them, onto the registry's codes; in-laws of the older
# generation go with parents, as GB/T 4761 groups them.
RELATION_WORDS = {
    "householder": ("户主", "本人", "户主本人", "本人(户主)", "户主(本人)"),
    "spouse": ("配偶", "妻", "妻子", "夫", "丈夫", "爱人", "老伴"),
    "child": ("子", "女", "儿子", "女儿", "子女", "长子", "次子", "三子", "长女", "次女",
              "三女", "独生子", "独生女", "养子", "养女", "继子", "继女"),
    "parent": ("父", "母", "父亲", "母亲", "父母", "公公", "婆婆", "岳父", "岳母", "继父",
               "继母"),
    "grandchild": ("孙", "孙子", "孙女", "外孙", "外孙子", "外孙女", "孙子女"),
    "grandparent": ("祖父", "祖母", "外祖父", "外祖母", "爷爷", "奶奶", "外公", "外婆",
                    "姥爷", "姥姥"),
    "sibling": ("兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹", "兄弟姐妹"),
    "child_in_law": ("儿媳", "儿媳妇", "女婿"),
    "tenant": ("租户", "租客", "承租人", "租住"),
    "other": ("其他", "其它", "亲属", "保姆", "寄住", "借住"),
}
RELATIONS = {word: code for code, words in RELATION_WORDS.items()
             for word in (*words, code)}
RESIDENCE_WORDS = {
    "hukou": ("户籍", "户籍人口", "户籍人员", "本地户籍"),
    "permanent": ("常住", "常住人口", "常住人员"),
    "floating": ("流动", "流动人口", "流动人员", "外来", "外来人口", "暂住"),
}
RESIDENCE = {word: code for code, words in RESIDENCE_WORDS.items() for word in (*words, code)}
# The 56 recognised nationalities: "汉" is written "汉族", as the registry has it.
ETHNIC_GROUPS = frozenset(
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 "
    "高山 拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 "
    "普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 "
    "珞巴 基诺".split())
CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
LIST_SEPARATORS = re.compile(r"[,，、;；/\s]+")
PHONE_SEPARATORS = re.compile(r"[,，、;；/]+")

REASONS: dict[str, str] = {
    **{f"{name}_missing": f"No value for {name.replace('_', ' ')}, which the registry "
                          f"needs." for name in FIELDS},
    "name_length": "A name of fewer or more characters than allowed (params: min, max).",
    "name_characters": "A name with characters other than Chinese characters and the "
                       "middle dot (·), or Latin letters.",
    idnumber.LENGTH: "An ID number that is not 18 characters long (params: length).",
    idnumber.CHARACTERS: "An ID number that is not 17 digits and a digit or X.",
    idnumber.REGION: "An ID number whose first six digits are no region code.",
    idnumber.BIRTH_DATE: "An ID number whose digits 7-14 are no birth date between 1900 "
                         "and today.",
    idnumber.CHECKSUM: "An ID number whose check character is wrong: a typing error.",
    idnumber.BIRTH_MISMATCH: "A birth date that is not the one in the ID number.",
    idnumber.GENDER_MISMATCH: "A gender that is not the one in the ID number.",
    "id_precision_lost": "An ID number that Excel stored as a number and cut to 15 "
                         "digits (3.70102199001011E+17): type it again as text.",
    "id_15_digits": "A first-generation 15-digit ID number, refused by this import.",
    "date_format": "A date in none of the accepted forms (1950-03-08, 1950/3/8, 1950.3.8, "
                   "1950年3月8日, 19500308, an Excel serial number).",
    "date_range": "A date outside the possible range (params: earliest, latest).",
    "gender_value": "A gender other than 男/女, M/F.",
    "phone_format": "Not a mainland mobile (11 digits from 13 to 19) nor a landline with "
                    "its area code (0531-88888888).",
    "unit_format": "A unit that is empty once 单元 is taken off, or too long (params: max).",
    "room_format": "A room that is empty once 室 is taken off, or too long (params: max).",
    "relation_value": "A relation to the householder that is none of the known words.",
    "residence_status_value": "A residence status other than 户籍, 常住, 流动.",
    "period_reversed": "A validity period that ends before it starts.",
    "text_too_long": "A text longer than the registry keeps (params: max).",
    **ROW_REASONS,
}


def validate_row(values: Mapping[str, str], *, today: dt.date,
                 headers: Mapping[str, str] | None = None,
                 required: Collection[str] = REQUIRED, upgrade_15: bool = True
                 ) -> tuple[dict[str, object], list[Problem]]:
    """({field: clean value}, problems) for a row given as {field: text}; `headers` names
    each field's column in the ledger, for the problems. Blank values ("", "无", "-", …)
    count as absent; a field absent or refused is left out of the clean values."""
    checker = _RowChecker(headers or {}, today, upgrade_15)
    for name, raw in values.items():
        text = _text(raw)
        if text is not None:
            checker.check(name, text)
    checker.cross_check()
    for name in required:
        if name not in checker.clean and name not in checker.refused:
            checker.problem(name, f"{name}_missing")
    return checker.clean, checker.problems


def _text(raw) -> str | None:
    if raw is None:
        return None
    text = str(raw).strip(" \t\r\n\u3000\xa0\u200b\ufeff")
    return None if text.lower() in BLANKS else text


class _RowChecker:
    def __init__(self, headers: Mapping[str, str], today: dt.date, upgrade_15: bool):
        self.headers, self.today, self.upgrade_15 = headers, today, upgrade_15
        self.clean: dict[str, object] = {}
        self.problems: list[Problem] = []
        self.refused: set[str] = set()
        self.id_number: idnumber.IdNumber | None = None

    def problem(self, name: str, code: str, **params) -> None:
        self.problems.append(Problem(code, column=self.headers.get(name, name), field=name,
                                     params=params))
        self.refused.add(name)

    def check(self, name: str, text: str) -> None:
        method = getattr(self, f"_{name}", None) if name in FIELDS else None
        if method is None:
            self.clean[name] = text
            return
        value = method(name, text)
        if value is not None:
            self.clean[name] = value

    def _name(self, name: str, text: str) -> str | None:
        value = clean_name(text)
        if not (CHINESE_NAME.match(value) or LATIN_NAME.match(value)):
            return self.problem(name, "name_characters")
        if not NAME_LENGTH[0] <= len(value) <= NAME_LENGTH[1]:
            return self.problem(name, "name_length", min=NAME_LENGTH[0], max=NAME_LENGTH[1])
        return value

    def _id_number(self, name: str, text: str) -> str | None:
        value = unicodedata.normalize("NFKC", text).lstrip("'")
        if SCIENTIFIC.match("".join(value.split())):
            return self.problem(name, "id_precision_lost")
        value = idnumber.normalise(value)
        if len(value) == 15 and value.isdigit():
            if not self.upgrade_15:
                return self.problem(name, "id_15_digits")
            value = upgrade_15(value)
        try:
            self.id_number = idnumber.parse_id_number(value, today=self.today)
        except idnumber.IdNumberError as exc:
            params = {"length": len(value)} if exc.code == idnumber.LENGTH else {}
            return self.problem(name, exc.code, **params)
        return self.id_number.value

    def _birth_date(self, name: str, text: str) -> dt.date | None:
        return self._date(name, text, latest=self.today)

    def _valid_from(self, name: str, text: str) -> dt.date | None:
        return self._date(name, text, latest=LATEST_VALIDITY)

    _valid_until = _valid_from

    def _date(self, name: str, text: str, *, latest: dt.date) -> dt.date | None:
        value = parse_ledger_date(text)
        if value is None:
            return self.problem(name, "date_format")
        if not EARLIEST_DATE <= value <= latest:
            return self.problem(name, "date_range", earliest=EARLIEST_DATE.isoformat(),
                                latest=latest.isoformat())
        return value

    def _gender(self, name: str, text: str) -> str | None:
        value = GENDERS.get(text.lower())
        return value or self.problem(name, "gender_value")

    def _phone(self, name: str, text: str) -> str | None:
        parts = PHONE_SEPARATORS.split(unicodedata.normalize("NFKC", text))
        numbers = [clean_phone(part) for part in parts if part.strip()]
        if not numbers or not all(is_valid_phone(n) for n in numbers):
            return self.problem(name, "phone_format")
        if len(numbers) > 1:  # "138…/139…": the registry keeps one, the rest stay at hand
            self.clean["phone_others"] = numbers[1:]
        return numbers[0]

    def _building(self, name: str, text: str) -> str | None:
        value = " ".join(text.split())
        if len(value) > TEXT_LENGTH:
            return self.problem(name, "text_too_long", max=TEXT_LENGTH)
        self.clean["building_key"] = building_key(value)
        return value

    def _unit(self, name: str, text: str) -> str | None:
        value = clean_unit(text)
        if not value or len(value) > UNIT_LENGTH:
            return self.problem(name, "unit_format", max=UNIT_LENGTH)
        return value

    def _room(self, name: str, text: str) -> str | None:
        value = clean_room(text)
        if not value or len(value) > ROOM_LENGTH:
            return self.problem(name, "room_format", max=ROOM_LENGTH)
        return value

    def _relation(self, name: str, text: str) -> str | None:
        return RELATIONS.get(_word(text)) or self.problem(name, "relation_value")

    def _residence_status(self, name: str, text: str) -> str | None:
        return RESIDENCE.get(_word(text)) or self.problem(name, "residence_status_value")

    def _ethnicity(self, name: str, text: str) -> str | None:
        value = _word(text)
        if value in ETHNIC_GROUPS:
            value += "族"
        return self._short(name, value, 16)

    def _occupation(self, name: str, text: str) -> str | None:
        return self._short(name, " ".join(text.split()), TEXT_LENGTH)

    def _tags(self, name: str, text: str) -> list[str] | None:
        tags = list(dict.fromkeys(t for t in LIST_SEPARATORS.split(text) if t))
        if any(len(t) > TAG_LENGTH for t in tags):
            return self.problem(name, "text_too_long", max=TAG_LENGTH)
        return tags

    def _short(self, name: str, value: str, limit: int) -> str | None:
        return value if len(value) <= limit else self.problem(name, "text_too_long",
                                                              max=limit)

    def cross_check(self) -> None:
        """The ID number decides birth date and gender: given, they must agree; missing,
        they are taken from it. A validity period must not end before it starts."""
        if self.id_number is not None:
            birth = self.clean.get("birth_date")
            gender = self.clean.get("gender")
            if birth is not None and birth != self.id_number.birth_date:
                self.clean.pop("birth_date")
                self.problem("birth_date", idnumber.BIRTH_MISMATCH)
            if gender is not None and gender != self.id_number.gender:
                self.clean.pop("gender")
                self.problem("gender", idnumber.GENDER_MISMATCH)
            if "birth_date" not in self.refused:
                self.clean.setdefault("birth_date", self.id_number.birth_date)
            if "gender" not in self.refused:
                self.clean.setdefault("gender", self.id_number.gender)
        start, end = self.clean.get("valid_from"), self.clean.get("valid_until")
        if start is not None and end is not None and end < start:
            self.clean.pop("valid_until")
            self.problem("valid_until", "period_reversed")


# --- the normalisations, public for the import preview and the matcher ---


def upgrade_15(value: str) -> str:
    """A 15-digit number as its 18-digit form: "19" before the two-digit birth year (all
    were issued to people born in the 1900s) and the check character added."""
    first17 = f"{value[:6]}19{value[6:]}"
    return first17 + idnumber.check_character(first17)


def parse_ledger_date(text: str) -> dt.date | None:
    """1950-03-08, 1950/3/8, 1950.3.8 (a time after it ignored), 1950年3月8日, 19500308, or
    an Excel serial day number (18330); None for anything else or an impossible day."""
    spaced = " ".join(unicodedata.normalize("NFKC", text).split())
    value = spaced.replace(" ", "")
    if EXCEL_SERIAL.match(value):
        serial = int(float(value))
        # 60 is Excel's 29 February 1900, a day that never was; 1950 alone is a year.
        if serial < 1 or serial == 60 or (value.isdigit() and 1900 <= serial <= 2100):
            return None
        return EXCEL_EPOCH + dt.timedelta(days=serial + (serial < 60))
    for pattern in DATE_FORMATS:
        found = pattern.match(spaced) or pattern.match(value)
        if found:
            try:
                return dt.date(int(found[1]), int(found[2]), int(found[3]))
            except ValueError:
                return None
    return None


def clean_name(text: str) -> str:
    """张 三 → 张三; 买买提•艾力 → 买买提·艾力; Latin names keep single spaces."""
    value = unicodedata.normalize("NFKC", text)
    if re.search(f"[{CJK}]", value):
        return NAME_DOTS.sub("·", "".join(value.split()))
    return " ".join(value.split())


def clean_phone(text: str) -> str:
    """+86 138-1234-5678, 86 13812345678, 13812345678.0 → 13812345678; landlines keep
    their area code's dash."""
    value = unicodedata.normalize("NFKC", text).strip()
    value = re.sub(r"\.0$", "", value)
    value = normalise_phone(value)
    digits = value.replace("-", "")
    if digits.startswith("86") and MOBILE.match(digits[2:]):
        return digits[2:]
    return value


def building_key(text: str) -> str:
    """What tells a building apart however it is written: 3号楼, 3栋, 3幢, 三号楼 → 3;
    A座 → A. The building is kept as written; the key is for looking it up."""
    value = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    value = re.sub(r"(号楼|号|栋|幢|座|楼)$", "", value) or value
    return _digits(value)


def clean_unit(text: str) -> str:
    """2单元, 二单元, 02 → 2."""
    value = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    return _digits(re.sub(r"(单元|单)$", "", value))


def clean_room(text: str) -> str:
    """301室, 301号, 301房 → 301; leading zeros kept (some buildings number 0301)."""
    value = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    return re.sub(r"(室|号|房)$", "", value)


def _digits(value: str) -> str:
    """A trailing number in digits without leading zeros: 幸福小区03 → 幸福小区3, 十二 → 12."""
    found = re.search(r"(\d+|[零一二三四五六七八九十]+)$", value)
    if not found:
        return value
    number = found[1] if found[1].isdigit() else _chinese_number(found[1])
    if number is None:
        return value
    return value[:found.start()] + str(int(number))


def _chinese_number(text: str) -> str | None:
    """一 to 九十九, as ledgers number buildings and units."""
    if "十" not in text:
        return "".join(str(CHINESE_DIGITS[c]) for c in text)
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return str(CHINESE_DIGITS.get(tens, 1) * 10 + CHINESE_DIGITS.get(ones, 0))


def _word(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()
