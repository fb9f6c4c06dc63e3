"""A labelled set for the ledger matcher: a registry of residents and a department's ledger
copied from it with the noise real ledgers carry, so precision and recall are measured
against known truth rather than guessed. Seeded, pure, no Django.

The population lives in households (a flat, 1–5 people, spouses of about one age with
their own surnames, children mostly with the father's, now and then a shared landline);
surnames follow their frequency in the 2020 census, given names are one or two
characters drawn from a long-tailed pool (so 张伟 and 王芳 recur as in life), and about
3 % of households have Uyghur names written 艾力·买买提.

The ledger holds three kinds of rows, in proportions `labelled_set` takes:
- **copies** of registry residents with noise (`Noise` gives each rate): a homophone
  typed for one character (same toneless pinyin), a near-shape character, the given
  name's characters swapped, traditional forms (張、陳、劉、黃), no birth date or one digit
  off / month and day swapped, no or wrong gender, no phone, a new phone or one digit off,
  no address or a moved household, and always the address written another way (3栋,
  三号楼, 3-2-501, fullwidth digits);
- **hard negatives**: other people with a resident's name and birth year (a different
  date, their own phone and flat, sometimes in the same compound), who must not be linked;
- **newcomers** from the same population who are not in the registry.

Each ledger row names what was done to it in `noise` (a tuple of tags: "copy",
"hard_negative", "new", "moved", "traditional", …) for the tests to pick cases by; the
matcher ignores the key.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import opencc

from warmgrid.lib.ledgers.matching import EXACT, LINK, PARTIAL, REVIEW, SIMILAR, Match

REFERENCE = date(2026, 1, 1)  # "today" for ages, fixed so a seed gives one set forever

# Share of the population per surname (2020 census, per cent); the rest spread over them.
SURNAMES = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.6), ("杨", 3.1), ("黄", 2.5),
    ("赵", 2.3), ("吴", 2.0), ("周", 1.9), ("徐", 1.5), ("孙", 1.5), ("马", 1.2), ("朱", 1.2),
    ("胡", 1.1), ("郭", 1.1), ("何", 1.0), ("林", 1.0), ("高", 1.0), ("罗", 0.9), ("郑", 0.8),
    ("梁", 0.8), ("谢", 0.7), ("宋", 0.6), ("唐", 0.6), ("许", 0.6), ("韩", 0.6), ("冯", 0.5),
    ("邓", 0.5), ("曹", 0.5), ("彭", 0.5), ("曾", 0.5), ("肖", 0.5), ("田", 0.4), ("董", 0.4),
    ("袁", 0.4), ("潘", 0.4), ("于", 0.4), ("蒋", 0.4), ("蔡", 0.4), ("余", 0.4), ("杜", 0.3),
    ("叶", 0.3), ("程", 0.3), ("苏", 0.3), ("魏", 0.3), ("吕", 0.3), ("丁", 0.3), ("任", 0.3),
    ("沈", 0.3), ("欧阳", 0.05), ("司马", 0.02), ("诸葛", 0.01), ("上官", 0.01),
)
# Given-name characters, most common first (drawn with weight 1/rank^0.9): the pools are
# smaller than life, so full names collide a few times more often than census data show.
MALE_GIVEN = ("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林峰建国志"
              "文东亮成晨博子轩泽然睿海洋阳振新春光永德荣庆兴福祥安康宏昌盛嘉豪"
              "毅晓鸿翔立金天敬武卫良勤锋义胜学兵虎彪诚铭宗庭逸凡航奕哲恒宸皓懿"
              "瀚翰煜祺柏琛斐")
FEMALE_GIVEN = ("芳娜敏静丽艳娟霞秀燕玲桂英丹萍红玉兰梅婷雪琳慧颖倩欣怡佳琪萱涵"
                "雨思悦莉洁蓉琴云凤珍淑惠晶月美春彩爱琼翠素娥珠瑶璐琦楠妍可馨诗梦"
                "露蕊菲薇瑾嫣婉钰雯茜菁岚瑜婕蓓")
UYGHUR_GIVEN = ("艾力", "买买提", "阿不都", "艾尔肯", "努尔", "古丽", "热依拉", "阿依古丽",
                "迪丽拜尔", "帕提古丽", "吐尔洪", "阿迪力", "麦麦提", "祖丽菲亚", "米娜瓦尔",
                "如克亚")
UYGHUR_FATHER = ("买买提", "吐尔逊", "艾合买提", "阿不力孜", "依明", "卡德尔", "托合提",
                 "热合曼", "阿布拉", "玉素甫", "司马义", "吾甫尔")

# Characters an input method offers for the same toneless pinyin (a test checks each group).
HOMOPHONES = (
    "伟玮炜苇 丽莉俪立力 明铭鸣 华桦 静靖婧敬 杰洁捷 军君钧 娟鹃 玲灵凌龄 红虹鸿宏 "
    "芳方 敏珉 燕艳妍彦 霞侠 英瑛莹颖 峰锋丰枫 涛滔韬 斌彬滨 辉晖徽 鹏朋 飞菲非 波博 "
    "宇雨羽玉语 浩昊皓 凯恺楷 健建剑 俊骏峻 帆凡 旭煦 宁凝 龙隆 林琳霖麟 国果 志智致 "
    "文雯闻 东冬 亮良 成诚承程 晨辰琛臣 强蔷 刚钢纲 平萍苹屏 秀绣 梅玫媚 婷亭庭 "
    "慧惠蕙 倩茜 欣心馨新鑫 怡宜仪 佳嘉家 琪琦淇棋 萱轩宣 涵晗寒 思丝斯 悦月越跃 娜纳 "
    "兰岚 桂贵 磊蕾 勇永咏 超朝 泽则 然冉 睿瑞锐 子紫梓 张章 王汪 李黎 刘柳 陈晨 杨阳 "
    "黄皇 吴武伍 周舟 徐许 何贺和 罗骆 唐汤 韩寒 冯封 彭蓬 胡湖 郭国 高郜 梁良 马码 "
    "朱珠 赵照 肖晓"
).split()
# Characters mistaken for one another by shape, in handwriting or OCR.
NEAR_SHAPES = ("明朋 伟纬 军车 宇字 玉王 士土 己已 未末 天夫 大太 刚钢 娟捐 婷停 玲铃 "
               "静睁 琳淋 峰锋 晴睛 俊骏 辉晖 杨扬 李季 侯候 梅海 林材 国固 平半 芳芬 "
               "红纽 东车 日曰 人入").split()

PLACE_HEADS = ("花家地", "望京", "双井", "和平里", "安贞", "甘露园", "翠微", "紫竹院", "方庄",
               "团结湖", "左家庄", "小关", "劲松", "潘家园", "八里庄", "六里屯", "呼家楼",
               "东坝", "常营", "亚运村", "大屯", "太阳宫", "酒仙桥", "将台", "麦子店",
               "水碓子", "芍药居", "惠新", "北苑", "来广营")
PLACE_TAILS = ("北里", "南里", "西里", "东里", "家园", "花园", "新村", "小区", "嘉园", "馨苑")


@dataclass(frozen=True)
class Noise:
    """Chance of each kind of noise in a copied row, independently."""

    traditional: float = 0.10
    homophone: float = 0.06
    near_shape: float = 0.03
    swapped: float = 0.03
    no_birth_date: float = 0.15
    birth_date_typo: float = 0.03
    no_gender: float = 0.05
    wrong_gender: float = 0.01
    no_phone: float = 0.20
    changed_phone: float = 0.15
    phone_typo: float = 0.03
    no_address: float = 0.10
    moved: float = 0.10


_HOMOPHONE_OF = {c: group.replace(c, "") for group in HOMOPHONES for c in group}
_NEAR_SHAPE_OF: dict[str, str] = {}
for _pair in NEAR_SHAPES:
    _NEAR_SHAPE_OF.setdefault(_pair[0], "")
    _NEAR_SHAPE_OF.setdefault(_pair[1], "")
    _NEAR_SHAPE_OF[_pair[0]] += _pair[1]
    _NEAR_SHAPE_OF[_pair[1]] += _pair[0]
_CN_DIGITS = "〇一二三四五六七八九"


_S2T = opencc.OpenCC("s2t")


def _s2t(text: str) -> str:
    return _S2T.convert(text)


# The population ---------------------------------------------------------------------------

class _People:
    """Draws names, dates, phones and flats from one seeded generator."""

    def __init__(self, rng: random.Random, places: list[str]):
        self.rng = rng
        self.places = places
        self._surnames = [s for s, _ in SURNAMES]
        self._surname_weights = [w for _, w in SURNAMES]
        self._given = {g: (chars, [1 / (rank + 1) ** 0.9 for rank in range(len(chars))])
                       for g, chars in (("M", list(dict.fromkeys(MALE_GIVEN))),
                                        ("F", list(dict.fromkeys(FEMALE_GIVEN))))}

    def surname(self) -> str:
        return self.rng.choices(self._surnames, self._surname_weights)[0]

    def given(self, gender: str) -> str:
        chars, weights = self._given[gender]
        return "".join(self.rng.choices(chars, weights, k=1 if self.rng.random() < 0.25 else 2))

    def uyghur(self) -> str:
        return f"{self.rng.choice(UYGHUR_GIVEN)}·{self.rng.choice(UYGHUR_FATHER)}"

    def birth_date(self, first_year: int, last_year: int) -> date:
        start = date(first_year, 1, 1)
        days = (date(min(last_year, REFERENCE.year - 1), 12, 31) - start).days
        return start + timedelta(days=self.rng.randrange(days + 1))

    def mobile(self) -> str:
        return f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"

    def landline(self) -> str:
        return f"010-6{self.rng.randrange(10**7):07d}"

    def flat(self, place: str | None = None) -> dict[str, str]:
        floors = self.rng.choice((6, 6, 18))
        return {"place": place or self.rng.choice(self.places),
                "building": str(self.rng.randint(1, 24)), "unit": str(self.rng.randint(1, 6)),
                "room": f"{self.rng.randint(1, floors)}0{self.rng.randint(1, 4)}"}

    def household(self) -> list[dict[str, Any]]:
        """1–5 people sharing a flat; fields as the registry holds them (flat kept apart)."""
        rng, flat = self.rng, self.flat()
        size = rng.choices((1, 2, 3, 4, 5), (0.15, 0.30, 0.30, 0.15, 0.10))[0]
        uyghur = rng.random() < 0.03
        landline = self.landline() if rng.random() < 0.10 else None
        head_gender = rng.choice("MF")
        head = self.birth_date(1936, 2000)
        family, mother = self.surname(), self.surname()  # wives keep their own surnames
        people = [(head_gender, head, family if head_gender == "M" or size == 1 else mother)]
        if size >= 2:
            spouse = head + timedelta(days=rng.randint(-5 * 365, 5 * 365))
            people.append(("F", spouse, mother) if head_gender == "M" else ("M", spouse, family))
        for _ in range(size - len(people)):
            born = head + timedelta(days=rng.randint(22 * 365, 38 * 365))
            if born < REFERENCE:
                people.append((rng.choice("MF"), born, family if rng.random() < 0.9 else mother))
        members = []
        for gender, born, surname in people:
            name = self.uyghur() if uyghur else surname + self.given(gender)
            adult = (REFERENCE - born).days >= 16 * 365
            phone = landline if landline and rng.random() < 0.7 else (
                self.mobile() if adult or rng.random() < 0.3 else None)
            members.append({"name": name, "birth_date": born, "gender": gender,
                            "phone": phone, "flat": flat})
        return members

    def people(self, count: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while len(found) < count:
            found.extend(self.household())
        return found[:count]


def _places(rng: random.Random, count: int) -> list[str]:
    names = [head + tail for head in PLACE_HEADS for tail in PLACE_TAILS]
    rng.shuffle(names)
    return names[:count]


# Writing fields the way ledgers do --------------------------------------------------------

def _cn(number: str) -> str:
    value = int(number)
    if value < 10:
        return _CN_DIGITS[value]
    if value < 20:
        return "十" + (_CN_DIGITS[value - 10] if value > 10 else "")
    return _CN_DIGITS[value // 10] + "十" + (_CN_DIGITS[value % 10] if value % 10 else "")


def registry_address(flat: Mapping[str, str]) -> str:
    return (f"北京市朝阳区{flat['place']}{flat['building']}号楼{flat['unit']}单元"
            f"{flat['room']}室")


def _ledger_address(rng: random.Random, flat: Mapping[str, str]) -> str:
    place, b, u, r = flat["place"], flat["building"], flat["unit"], flat["room"]
    compound = place if place.endswith("小区") else place + "小区"
    text = rng.choice((
        f"{place}{b}号楼{u}单元{r}室",
        f"{compound}{b}栋{u}单元{r}",
        f"朝阳区{place}{b}-{u}-{r}",
        f"{place}{_cn(b)}号楼{_cn(u)}单元{r}室",
        f"{place}{b}幢{u}单元{r}号",
        f"北京市朝阳区{place} {b}号楼 {u}单元 {r}",
    ))
    if rng.random() < 0.1:  # typed with a fullwidth input method
        text = text.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"})
    return text


def _ledger_phone(rng: random.Random, phone: str) -> str:
    if len(phone) != 11:
        return phone
    return rng.choice((phone, f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"+86 {phone}",
                       f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"))


def _replace_char(rng: random.Random, name: str, alternatives: Mapping[str, str]) -> str:
    positions = [i for i, c in enumerate(name) if alternatives.get(c)]
    if not positions:
        return name
    i = rng.choice(positions)
    return name[:i] + rng.choice(alternatives[name[i]]) + name[i + 1:]


def _surname_length(name: str) -> int:
    return 2 if any(name.startswith(s) for s, _ in SURNAMES if len(s) == 2) else 1


def _birth_typo(rng: random.Random, born: date) -> date:
    if born.day <= 12 and born.day != born.month and rng.random() < 0.5:
        return born.replace(month=born.day, day=born.month)
    text = born.strftime("%Y%m%d")
    for _ in range(20):
        i = rng.choice((2, 3, 5, 6, 7))  # decade, year, month's and day's last digits
        changed = text[:i] + str(rng.randrange(10)) + text[i + 1:]
        try:
            typo = date(int(changed[:4]), int(changed[4:6]), int(changed[6:]))
        except ValueError:
            continue
        if typo != born and typo < REFERENCE:
            return typo
    return born


def _phone_typo(rng: random.Random, phone: str) -> str:
    i = rng.choice([i for i in range(3, len(phone) - 1) if phone[i:i + 2].isdigit()])
    if rng.random() < 0.5:
        return phone[:i] + phone[i + 1] + phone[i] + phone[i + 2:]
    return phone[:i] + str((int(phone[i]) + rng.randint(1, 9)) % 10) + phone[i + 1:]


def _copy(rng: random.Random, people: _People, person: Mapping[str, Any],
          noise: Noise) -> dict[str, Any]:
    """The resident as a department wrote them down."""
    tags = ["copy"]
    name = person["name"]
    surname = _surname_length(name)
    given = name[surname:]
    if "·" not in name and len(given) == 2 and given[0] != given[1] \
            and rng.random() < noise.swapped:
        name, tags = name[:surname] + given[::-1], [*tags, "swapped"]
    if rng.random() < noise.homophone:
        name, tags = _replace_char(rng, name, _HOMOPHONE_OF), [*tags, "homophone"]
    if rng.random() < noise.near_shape:
        name, tags = _replace_char(rng, name, _NEAR_SHAPE_OF), [*tags, "near_shape"]
    traditional = rng.random() < noise.traditional
    if traditional:
        name, tags = _s2t(name), [*tags, "traditional"]

    born = person["birth_date"]
    if rng.random() < noise.no_birth_date:
        born, tags = None, [*tags, "no_birth_date"]
    elif rng.random() < noise.birth_date_typo:
        born, tags = _birth_typo(rng, born), [*tags, "birth_date_typo"]

    gender = person["gender"]
    if rng.random() < noise.no_gender:
        gender = None
    elif rng.random() < noise.wrong_gender:
        gender, tags = ("F" if gender == "M" else "M"), [*tags, "wrong_gender"]

    flat, address = person["flat"], None
    if rng.random() < noise.no_address:
        tags = [*tags, "no_address"]
    else:
        moved = rng.random() < noise.moved
        if moved:  # half within the compound, half elsewhere
            flat = people.flat(flat["place"] if rng.random() < 0.5 else None)
            tags = [*tags, "moved"]
        address = _ledger_address(rng, flat)
        address = _s2t(address) if traditional else address

    phone = person["phone"]
    if phone is None or rng.random() < noise.no_phone:
        phone, tags = None, [*tags, "no_phone"]
    elif rng.random() < noise.changed_phone * (3 if "moved" in tags else 1):
        phone, tags = people.mobile(), [*tags, "changed_phone"]
    elif rng.random() < noise.phone_typo:
        phone, tags = _phone_typo(rng, phone), [*tags, "phone_typo"]
    return {"name": name, "birth_date": born, "gender": gender,
            "phone": _ledger_phone(rng, phone) if phone else None, "address": address,
            "noise": tuple(tags)}


def _hard_negative(rng: random.Random, people: _People, person: Mapping[str, Any]) -> dict:
    """Someone else with the resident's name and birth year."""
    born = person["birth_date"]
    other = born
    while other == born:
        other = people.birth_date(born.year, born.year)
    same_compound = rng.random() < 0.3
    flat = people.flat(person["flat"]["place"] if same_compound else None)
    gender = person["gender"] if rng.random() < 0.9 else rng.choice("MF")
    return {"name": person["name"], "birth_date": other, "gender": gender,
            "phone": people.mobile() if rng.random() < 0.8 else None,
            "address": _ledger_address(rng, flat), "noise": ("hard_negative",)}


def _newcomer(rng: random.Random, person: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": person["name"], "birth_date": person["birth_date"],
            "gender": person["gender"], "phone": person["phone"],
            "address": _ledger_address(rng, person["flat"]), "noise": ("new",)}


def labelled_set(registry_size: int = 5_000, incoming_size: int = 3_000, *, seed: int = 0,
                 copies: float = 0.7, hard_negatives: float = 0.1, noise: Noise = Noise(),
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str | None]]:
    """(registry records, ledger records, truth: ledger id → registry id or None).

    A share `copies` of the ledger are distinct residents copied with noise,
    `hard_negatives` share a resident's name and birth year, the rest are newcomers."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    people = _People(rng, _places(rng, max(10, registry_size // 400)))
    population = people.people(registry_size)
    registry = [{"id": f"R{i:07d}", "name": p["name"], "birth_date": p["birth_date"],
                 "gender": p["gender"], "phone": p["phone"],
                 "address": registry_address(p["flat"])}
                for i, p in enumerate(population)]

    copied = rng.sample(range(registry_size), round(incoming_size * copies))
    doubled = rng.sample(range(registry_size), round(incoming_size * hard_negatives))
    incoming, truth_rows = [], []
    for row in copied:
        incoming.append(_copy(rng, people, population[row], noise))
        truth_rows.append(registry[row]["id"])
    for row in doubled:
        incoming.append(_hard_negative(rng, people, population[row]))
        truth_rows.append(None)
    for person in people.people(incoming_size - len(incoming)):
        incoming.append(_newcomer(rng, person))
        truth_rows.append(None)

    order = list(range(len(incoming)))
    rng.shuffle(order)
    records, truth = [], {}
    for n, i in enumerate(order):
        ledger_id = f"L{n:07d}"
        records.append({"id": ledger_id, **incoming[i]})
        truth[ledger_id] = truth_rows[i]
    return registry, records, truth


# Measuring -------------------------------------------------------------------------------

def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def evaluate(matches: Iterable[Match], truth: Mapping[Any, Any]) -> dict[str, float | int]:
    """Precision and recall of links, with review counted two ways: as not linked
    (`precision`, `recall`, `f1`), and as settled rightly by a person, who merges with the
    right one of the candidates shown (best and alternatives) when it is there and keeps
    apart otherwise (`*_reviewed`)."""
    counts = dict.fromkeys(("links", "true_links", "false_links", "reviews",
                            "reviews_true", "reviews_false", "new", "missed"), 0)
    for match in matches:
        expected = truth[match.incoming_id]
        right = expected is not None and match.registry_id == expected
        shown = right or (expected is not None and any(
            candidate == expected for candidate, _ in match.alternatives))
        if match.decision == LINK:
            counts["links"] += 1
            counts["true_links" if right else "false_links"] += 1
        elif match.decision == REVIEW:
            counts["reviews"] += 1
            counts["reviews_true" if shown else "reviews_false"] += 1
        else:
            counts["new"] += 1
            counts["missed"] += expected is not None
    positives = sum(1 for value in truth.values() if value is not None)
    precision = _ratio(counts["true_links"], counts["links"])
    recall = _ratio(counts["true_links"], positives)
    settled = counts["true_links"] + counts["reviews_true"]
    precision_reviewed = _ratio(settled, counts["links"] + counts["reviews_true"])
    recall_reviewed = _ratio(settled, positives)
    return {**counts, "records": len(truth), "positives": positives,
            "precision": precision, "recall": recall, "f1": _f1(precision, recall),
            "precision_reviewed": precision_reviewed, "recall_reviewed": recall_reviewed,
            "f1_reviewed": _f1(precision_reviewed, recall_reviewed),
            "review_share": _ratio(counts["reviews"], len(truth))}


def choose_thresholds(matches: Iterable[Match], truth: Mapping[Any, Any], *,
                      min_precision: float = 0.999, min_reach: float = 0.999,
                      step: float = 0.5) -> tuple[float, float]:
    """(upper, lower) from scored matches (thresholds do not change best candidates):
    upper the lowest score above which links whose names agree keep `min_precision`;
    lower the highest score at or above which `min_reach` of the true pairs found as
    best candidate still are. Both rounded down to `step`."""
    rows = [(m.score, m.registry_id is not None and m.registry_id == truth[m.incoming_id],
             m.fields.get("name", {}).get("level") in (EXACT, SIMILAR, PARTIAL))
            for m in matches]
    linkable = sorted(((score, right) for score, right, named in rows if named), reverse=True)
    upper, true_so_far = linkable[0][0] if linkable else 0.0, 0
    for n, (score, right) in enumerate(linkable, start=1):
        true_so_far += right
        if true_so_far / n >= min_precision:
            upper = score
    found = sorted((score for score, right, _ in rows if right), reverse=True)
    lower = found[min(len(found) - 1, int(len(found) * min_reach))] if found else 0.0
    return step * -(-upper // step), step * (lower // step)
