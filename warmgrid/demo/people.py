"""Households and the people in them, for the demo district's plan.

Household kinds (a young couple with a child, an older widow living alone, three
generations, tenants sharing a flat …) are drawn at rates that give about 2.5 people
per household and a fifth of residents aged 60 or over; ages within a household fit
each other, names fit the birth cohort, and vulnerable-group tags follow from age and
circumstance. Pure: only the `random.Random` passed in and a fixed reference date.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

from warmgrid.demo import names
from warmgrid.lib.idnumber import make_id_number
from warmgrid.people.models import Resident

# The demo's "today": ages, tag periods and sources are relative to it, never to the clock.
REFERENCE_DATE = dt.date(2026, 11, 1)


@dataclass
class TagPlan:
    code: str
    source: str
    valid_from: dt.date
    valid_until: dt.date | None = None


@dataclass
class PersonPlan:
    name: str
    gender: str
    birth_date: dt.date
    relation: str
    residence_status: str = Resident.ResidenceStatus.HUKOU
    ethnicity: str = "汉族"
    occupation: str = ""
    region: str = ""  # the region code its ID number is issued under
    id_number: str = ""
    phone: str = ""
    tags: list[TagPlan] = field(default_factory=list)

    @property
    def age(self) -> int:
        return age_on(self.birth_date, REFERENCE_DATE)


@dataclass
class HouseholdPlan:
    building: int  # index into GridPlan.buildings
    unit: str
    room: str
    kind: str
    members: list[PersonPlan]  # the householder first


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


_SURNAMES = [s for s, _ in names.SURNAMES]
_SURNAME_CUM = list(accumulate(w for _, w in names.SURNAMES))
_COHORTS = sorted(names.GIVEN_NAMES)
# Earlier entries of each pool are commoner (weight 1/(rank+10)).
_GIVEN_CUM = {
    (cohort, gender): list(accumulate(1 / (rank + 10) for rank in range(len(pool))))
    for cohort, pools in names.GIVEN_NAMES.items() for gender, pool in pools.items()
}
_ETHNICITIES = [e for e, _ in names.ETHNICITIES]
_ETHNICITY_CUM = list(accumulate(w for _, w in names.ETHNICITIES))
_OCCUPATIONS = [o for o, _ in names.OCCUPATIONS]
_OCCUPATION_CUM = list(accumulate(w for _, w in names.OCCUPATIONS))
_MIGRANT_OCCUPATIONS = [o for o, _ in names.MIGRANT_OCCUPATIONS]
_MIGRANT_OCCUPATION_CUM = list(accumulate(w for _, w in names.MIGRANT_OCCUPATIONS))

R = Resident.Relation
STATUS = Resident.ResidenceStatus


def draw_surname(rng: random.Random) -> str:
    return rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]


def draw_given_name(rng: random.Random, birth_year: int, gender: str) -> str:
    position = max(0, bisect.bisect_right(_COHORTS, birth_year) - 1)
    if position and rng.random() < 0.25:
        position -= 1  # fashions change slowly: some parents still pick the older names
    cohort = _COHORTS[position]
    return rng.choices(names.GIVEN_NAMES[cohort][gender],
                       cum_weights=_GIVEN_CUM[cohort, gender])[0]


def _birth_for_age(rng: random.Random, age: int) -> dt.date:
    """A birth date that makes someone exactly `age` on the reference date."""
    latest = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - age)
    return latest - dt.timedelta(days=rng.randrange(365))


def _person(rng: random.Random, relation: str, age: int, gender: str,
            surname: str | None = None) -> PersonPlan:
    birth = _birth_for_age(rng, max(0, min(age, 104)))
    name = (surname or draw_surname(rng)) + draw_given_name(rng, birth.year, gender)
    return PersonPlan(name=name, gender=gender, birth_date=birth, relation=relation)


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _elder_age(rng: random.Random, low: int = 60, high: int = 99) -> int:
    """Ages of older people thin out as the life table does."""
    ages = range(low, high + 1)
    weights = [1.0 if a < 70 else 0.8 if a < 80 else 0.4 if a < 90 else 0.07 for a in ages]
    return rng.choices(ages, weights=weights)[0]


def draw_gender(rng: random.Random, male_share: float = 0.51) -> str:
    return "M" if rng.random() < male_share else "F"


def _couple(rng: random.Random, husband_age: int) -> tuple[PersonPlan, PersonPlan]:
    """Householder first: the husband in about seven households of ten."""
    wife_age = _clamp(husband_age - rng.gauss(2, 2.5), 20, husband_age + 4)
    husband = _person(rng, R.HOUSEHOLDER, husband_age, "M")
    wife = _person(rng, R.SPOUSE, wife_age, "F")
    if rng.random() < 0.28:
        husband.relation, wife.relation = R.SPOUSE, R.HOUSEHOLDER
        return wife, husband
    return husband, wife


def _split_couple(pair: tuple[PersonPlan, PersonPlan]) -> tuple[PersonPlan, PersonPlan]:
    """(husband, wife) of a couple, whichever is the householder."""
    a, b = pair
    return (a, b) if a.gender == "M" else (b, a)


def _children(rng: random.Random, mother_age: int, father_surname: str, count: int, *,
              relation: str = R.CHILD, mother_surname: str = "") -> list[PersonPlan]:
    """Children whose ages fit their mother's: first born at 20–40, the next 2–7 years on."""
    first_at = _clamp(rng.gauss(27, 3.5), 20, max(20, min(40, mother_age)))
    age = mother_age - first_at
    children = []
    for i in range(count):
        if i:
            age -= rng.randint(2, 7)
        if age < 0:
            break
        surname = father_surname if (not mother_surname or rng.random() < 0.92) \
            else mother_surname
        children.append(_person(rng, relation, age, draw_gender(rng), surname))
    return children


def _surname_of(person: PersonPlan) -> str:
    return person.name[:2] if person.name[:2] in ("欧阳", "司马") else person.name[:1]


def _household_single_young(rng):
    return [_person(rng, R.HOUSEHOLDER, rng.randint(20, 44), draw_gender(rng, 0.55))]


def _household_single_middle(rng):
    return [_person(rng, R.HOUSEHOLDER, rng.randint(45, 59), draw_gender(rng))]


def _household_single_elder(rng):
    # Women outlive men: most older people living alone are widows.
    return [_person(rng, R.HOUSEHOLDER, _elder_age(rng), draw_gender(rng, 0.35))]


def _household_couple_young(rng):
    return list(_couple(rng, rng.randint(24, 38)))


def _household_couple_middle(rng):
    return list(_couple(rng, rng.randint(46, 62)))


def _household_couple_elder(rng):
    return list(_couple(rng, _elder_age(rng, 62, 95)))


def _nuclear(rng, husband_ages: tuple[int, int], children: int):
    pair = _couple(rng, rng.randint(*husband_ages))
    husband, wife = _split_couple(pair)
    kids = _children(rng, wife.age, _surname_of(husband), children,
                     mother_surname=_surname_of(wife))
    return [*pair, *kids]


def _household_nuclear_1(rng):
    return _nuclear(rng, (26, 58), 1)


def _household_nuclear_2(rng):
    return _nuclear(rng, (30, 56), 2)


def _household_three_generations_up(rng):
    """A couple, their children and the householder's parent(s)."""
    members = _nuclear(rng, (32, 52), rng.choice((1, 1, 2)))
    head = members[0]
    father_age = head.age + _clamp(rng.gauss(28, 3), 22, 40)
    # The mother was at least 20 when the householder was born.
    mother_age = _clamp(father_age - rng.gauss(2, 2), max(father_age - 8, head.age + 20),
                        father_age + 3)
    which = rng.choices(("both", "mother", "father"), weights=(4, 4, 2))[0]
    if father_age > 98:
        which = "mother"  # the father would be too old to be alive
    if which in ("both", "father"):
        members.append(_person(rng, R.PARENT, father_age, "M", _surname_of(head)))
    if which in ("both", "mother"):
        members.append(_person(rng, R.PARENT, min(mother_age, 102), "F"))
    return members


def _older_head(rng, head_age: int, *, couple_share: float):
    """An older couple (or a lone older householder), the age the children's mother has
    and the children's surname: (members, mother_age, family surname)."""
    if rng.random() < couple_share:
        members = list(_couple(rng, head_age))
        husband, wife = _split_couple((members[0], members[1]))
        return members, wife.age, _surname_of(husband)
    head = _person(rng, R.HOUSEHOLDER, head_age, draw_gender(rng, 0.35))
    return [head], head.age if head.gender == "F" else head.age - 2, _surname_of(head)


def _household_three_generations_down(rng):
    """An older householder, a married child, the child's spouse and grandchildren."""
    members, mother_age, family = _older_head(rng, rng.randint(56, 78), couple_share=0.8)
    son = rng.random() < 0.65
    child = _children(rng, mother_age, family, 1)[0]
    child = _person(rng, R.CHILD, max(22, child.age), "M" if son else "F", family)
    in_law_age = _clamp(child.age + (-2 if son else 2) + rng.gauss(0, 2), 21, 70)
    in_law = _person(rng, R.CHILD_IN_LAW, in_law_age, "F" if son else "M")
    members += [child, in_law]
    young_mother, young_father = (in_law, child) if son else (child, in_law)
    members += _children(rng, young_mother.age, _surname_of(young_father),
                         rng.choice((1, 1, 2)), relation=R.GRANDCHILD)
    return members


def _household_single_parent(rng):
    parent = _person(rng, R.HOUSEHOLDER, rng.randint(30, 52), draw_gender(rng, 0.25))
    mother_age = parent.age if parent.gender == "F" else parent.age - 2
    father_surname = _surname_of(parent) if parent.gender == "M" or rng.random() < 0.3 \
        else draw_surname(rng)
    return [parent, *_children(rng, mother_age, father_surname, rng.choice((1, 1, 1, 2)))]


def _household_elder_with_child(rng):
    """Older parent(s) with an unmarried grown-up child at home."""
    members, mother_age, family = _older_head(rng, _elder_age(rng, 60, 92), couple_share=0.5)
    first_at = _clamp(rng.gauss(28, 4), 22, 40)
    members.append(_person(rng, R.CHILD, max(24, mother_age - first_at), draw_gender(rng, 0.6),
                           family))
    return members


def _household_skipped_generation(rng):
    """Grandparents raising a grandchild whose parents work elsewhere (隔代)."""
    members = list(_couple(rng, rng.randint(56, 74))) if rng.random() < 0.7 else \
        [_person(rng, R.HOUSEHOLDER, rng.randint(56, 76), draw_gender(rng, 0.3))]
    family = _surname_of(members[0] if members[0].gender == "M" or len(members) == 1
                         else members[1])
    members.append(_person(rng, R.GRANDCHILD, rng.randint(2, 15), draw_gender(rng), family))
    return members


def _household_shared_rent(rng):
    """Two or three unrelated young workers sharing a flat (合租)."""
    gender = draw_gender(rng, 0.6)
    count = rng.choice((2, 2, 3))
    return [_person(rng, R.HOUSEHOLDER if i == 0 else R.TENANT, rng.randint(19, 40), gender)
            for i in range(count)]


# (kind, builder, weight, chance the household is floating population)
HOUSEHOLD_KINDS: tuple[tuple[str, Callable, float, float], ...] = (
    ("single_young", _household_single_young, 9, 0.45),
    ("single_middle", _household_single_middle, 4, 0.08),
    ("single_elder", _household_single_elder, 6, 0.01),
    ("couple_young", _household_couple_young, 6, 0.45),
    ("couple_middle", _household_couple_middle, 8, 0.05),
    ("couple_elder", _household_couple_elder, 12, 0.01),
    ("nuclear_1", _household_nuclear_1, 22, 0.18),
    ("nuclear_2", _household_nuclear_2, 9, 0.12),
    ("three_generations_up", _household_three_generations_up, 7, 0.04),
    ("three_generations_down", _household_three_generations_down, 3, 0.02),
    ("single_parent", _household_single_parent, 4, 0.15),
    ("elder_with_child", _household_elder_with_child, 5, 0.02),
    ("skipped_generation", _household_skipped_generation, 1.5, 0.02),
    ("shared_rent", _household_shared_rent, 2.5, 1.0),
)
_KIND_CUM = list(accumulate(k[2] for k in HOUSEHOLD_KINDS))


class IdNumberAllocator:
    """ID numbers unique across the district without remembering every one issued.

    Per region, birth date and gender a counter walks the 500 sequence codes of that
    gender (odd for men) in a fixed scrambled order; a full day moves on to the next
    region code of the city. Memory grows with distinct birth dates, not with residents.
    """

    STEP = 193  # coprime with 500, so the walk visits every code once

    def __init__(self) -> None:
        self._issued: dict[str, int] = {}

    def allocate(self, region: str, birth: dt.date, gender: str) -> str:
        regions = (region, names.HOME_REGION, *names.CITY_REGIONS, *names.PROVINCE_REGIONS)
        for code in regions:
            key = f"{code}{birth:%Y%m%d}{gender}"
            count = self._issued.get(key, 0)
            if count < 500:
                break
        else:  # pragma: no cover - needs more than 14,000 people born on one day
            raise ValueError(f"no ID sequence left for {birth}")
        self._issued[key] = count + 1
        start = int(hashlib.blake2b(key.encode(), digest_size=4).hexdigest(), 16) % 500
        slot = (start + count * self.STEP) % 500
        return make_id_number(code, birth, slot * 2 + (1 if gender == "M" else 0))


def _mobile(rng: random.Random) -> str:
    return rng.choice(names.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _month_label(months_back: int) -> str:
    month = REFERENCE_DATE.year * 12 + REFERENCE_DATE.month - 1 - months_back
    return f"{month // 12}-{month % 12 + 1:02d}"


def _days_before(rng: random.Random, low: int, high: int, *, not_before: dt.date) -> dt.date:
    day = REFERENCE_DATE - dt.timedelta(days=rng.randint(low, high))
    return max(day, min(not_before, REFERENCE_DATE))


def _birthday(birth: dt.date, age: int) -> dt.date:
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:  # born on 29 February
        return dt.date(birth.year + age, 3, 1)


def _distinct_names(rng: random.Random, members: list[PersonPlan]) -> None:
    """No two people in one household share a name (siblings drawn from one pool might)."""
    seen: set[str] = set()
    for person in members:
        for _ in range(20):
            if person.name not in seen:
                break
            person.name = _surname_of(person) + draw_given_name(rng, person.birth_date.year,
                                                            person.gender)
        seen.add(person.name)


def _region(rng: random.Random, status: str, person: PersonPlan, origin: str) -> str:
    born_here = person.relation in (R.CHILD, R.GRANDCHILD) and person.age < 40
    if status == STATUS.HUKOU:
        if born_here or rng.random() < 0.8:
            return names.HOME_REGION
        return rng.choice(names.CITY_REGIONS if rng.random() < 0.6 else names.PROVINCE_REGIONS)
    if status == STATUS.PERMANENT:
        if born_here and rng.random() < 0.5:
            return names.HOME_REGION
        return origin if rng.random() < 0.7 else rng.choice(names.CITY_REGIONS)
    if born_here or rng.random() < 0.7:
        return origin
    return rng.choice(names.PROVINCE_REGIONS + names.OTHER_PROVINCE_REGIONS)


def _fill_people(rng: random.Random, household: HouseholdPlan, status: str) -> None:
    """Residence status, ID region, ethnicity, phone and occupation of every member."""
    if status == STATUS.FLOATING:
        origin = rng.choice(names.OTHER_PROVINCE_REGIONS if rng.random() < 0.45
                            else names.PROVINCE_REGIONS)
    else:
        origin = rng.choice(names.CITY_REGIONS if rng.random() < 0.4
                            else names.PROVINCE_REGIONS)
    family_ethnicity = rng.choices(_ETHNICITIES, cum_weights=_ETHNICITY_CUM)[0]
    for person in household.members:
        person.residence_status = status
        person.region = _region(rng, status, person, origin)
        married_in = person.relation in (R.SPOUSE, R.CHILD_IN_LAW, R.TENANT)
        person.ethnicity = (rng.choices(_ETHNICITIES, cum_weights=_ETHNICITY_CUM)[0]
                            if married_in and rng.random() < 0.5 else family_ethnicity)
        age = person.age
        phone_chance = (0.0 if age < 12 else 0.4 if age < 18 else 0.96 if age < 70
                        else 0.75 if age < 80 else 0.4)
        if rng.random() < phone_chance:
            person.phone = _mobile(rng)
        person.occupation = _occupation(rng, person, status == STATUS.FLOATING)


def _occupation(rng: random.Random, person: PersonPlan, floating: bool) -> str:
    age = person.age
    if age < 6:
        return ""
    if age < 18 or (age < 23 and not floating and rng.random() < 0.6):
        return "学生"
    if age >= (60 if person.gender == "M" else 55):
        return "退休" if rng.random() < 0.85 else ""
    draw = rng.random()
    if draw < 0.045:
        return "待业"
    if draw < 0.12:
        return ""  # not known to the grid worker
    if floating:
        return rng.choices(_MIGRANT_OCCUPATIONS, cum_weights=_MIGRANT_OCCUPATION_CUM)[0]
    return rng.choices(_OCCUPATIONS, cum_weights=_OCCUPATION_CUM)[0]


def _tag_household(rng: random.Random, household: HouseholdPlan) -> None:
    """Vulnerable-group tags at realistic, age-consistent rates, with where they came from."""
    members = household.members
    floating = members[0].residence_status == STATUS.FLOATING
    civil_roster = f"民政局低保名册 {_month_label(2)}"
    visit = f"网格走访 {_month_label(1)}"
    all_elderly = all(p.age >= 60 for p in members)
    low_income_chance = (0.0 if floating else
                         {"single_elder": 0.04, "single_parent": 0.10,
                          "skipped_generation": 0.08}.get(household.kind, 0.022))
    low_income = rng.random() < low_income_chance
    hardship = (not low_income and not floating and household.kind == "single_elder"
                and rng.random() < 0.04)
    low_income_from = dt.date(REFERENCE_DATE.year - rng.randint(0, 3), rng.randint(1, 12), 1)
    low_income_from = min(low_income_from, REFERENCE_DATE.replace(day=1))
    for person in members:
        age = person.age
        tags = person.tags
        if age >= 80:
            tags.append(TagPlan("elderly_80", f"民政局高龄津贴名册 {_month_label(1)}",
                                _birthday(person.birth_date, 80)))
        if household.kind == "single_elder" and age >= 65:
            tags.append(TagPlan("elderly_alone", visit, _days_before(
                rng, 30, 1500, not_before=_birthday(person.birth_date, 65))))
        if all_elderly and len(members) > 1:
            tags.append(TagPlan("empty_nest", visit, _days_before(
                rng, 30, 1500, not_before=_birthday(person.birth_date, 60))))
        disabled_chance = (0.015 if age < 18 else 0.045 if age < 60
                           else 0.12 if age < 80 else 0.22)
        if rng.random() < disabled_chance:
            tags.append(TagPlan("disabled", f"残联名册 {_month_label(2)}", _days_before(
                rng, 60, 6000, not_before=_birthday(person.birth_date, 1))))
        if low_income:
            tags.append(TagPlan("low_income", civil_roster,
                                max(low_income_from, person.birth_date),
                                dt.date(REFERENCE_DATE.year + 1, 12, 31)))
        if hardship:
            tags.append(TagPlan("extreme_hardship", f"民政局特困人员名册 {_month_label(2)}",
                                _days_before(rng, 60, 2000,
                                             not_before=_birthday(person.birth_date, 60))))
        if age < 18:
            at_risk = 0.3 if low_income else 0.04 if household.kind == "single_parent" \
                else 0.002
            if rng.random() < at_risk:
                tags.append(TagPlan("minor_at_risk", f"民政局困境儿童名册 {_month_label(2)}",
                                    _days_before(rng, 30, 700, not_before=person.birth_date)))
            if household.kind == "skipped_generation" and rng.random() < 0.6:
                tags.append(TagPlan("left_behind_child", visit, _days_before(
                    rng, 30, 900, not_before=person.birth_date)))
        if person.occupation == "待业" and rng.random() < 0.8:
            tags.append(TagPlan("unemployed", f"人社局失业登记 {_month_label(1)}",
                                _days_before(rng, 20, 600,
                                             not_before=_birthday(person.birth_date, 16))))
        elif 25 <= age < 55 and person.occupation not in ("", "待业") \
                and rng.random() < 0.015:
            # An earlier spell of unemployment that has ended: history, not a current tag.
            start = _days_before(rng, 700, 3000, not_before=_birthday(person.birth_date, 18))
            tags.append(TagPlan("unemployed", f"人社局失业登记 {start:%Y-%m}", start,
                                start + dt.timedelta(days=rng.randint(60, 500))))
        if floating and 16 <= age < 60 and person.occupation not in ("学生", "退休", "") \
                and rng.random() < 0.9:
            tags.append(TagPlan("migrant_worker", f"流动人口登记 {_month_label(1)}",
                                _days_before(rng, 30, 2500,
                                             not_before=_birthday(person.birth_date, 16))))
        illness_chance = 0.15 if age >= 60 else 0.03 if age >= 40 else 0.0
        if rng.random() < illness_chance:
            tags.append(TagPlan("chronic_illness", "社区卫生服务中心慢病档案", _days_before(
                rng, 60, 3000, not_before=_birthday(person.birth_date, 30))))
        if person.gender == "M" and age >= 35 and rng.random() < 0.02:
            tags.append(TagPlan("veteran", "退役军人事务局名册", _days_before(
                rng, 365, 9000, not_before=_birthday(person.birth_date, 22))))


def place_featured_names(rng: random.Random, households: list[HouseholdPlan],
                         wanted: list[tuple[str, str, int, int]]) -> None:
    """Give a few residents common real names, keeping surnames consistent in families.

    A man keeps his surname (only the given name changes) unless he lives alone; a woman
    may be renamed whole where she married in, since married women keep their own names.
    """
    people = [(h, p) for h in households for p in h.members]
    used: set[int] = set()
    for name, gender, born_from, born_until in wanted:
        adults = [(h, p) for h, p in people
                  if p.gender == gender and p.age >= 18 and id(p) not in used
                  and all(q.name != name for q in h.members)]
        in_era = [(h, p) for h, p in adults if born_from <= p.birth_date.year <= born_until]
        tiers = (
            [p for _, p in in_era if _surname_of(p) == name[:1]],
            [p for h, p in in_era if len(h.members) == 1 or (
                gender == "F" and p.relation in (R.SPOUSE, R.CHILD_IN_LAW, R.TENANT))],
            [p for _, p in adults if _surname_of(p) == name[:1]],
            [p for h, p in adults if len(h.members) == 1],
        )
        for candidates in tiers:
            if candidates:
                chosen = rng.choice(candidates)
                chosen.name = name
                used.add(id(chosen))
                break


def plan_household(rng: random.Random, building: int, unit: str, room: str) -> HouseholdPlan:
    """One household of a random kind, with residence status, details and tags."""
    kind, build, _, floating_chance = rng.choices(HOUSEHOLD_KINDS, cum_weights=_KIND_CUM)[0]
    members = build(rng)
    _distinct_names(rng, members)
    household = HouseholdPlan(building=building, unit=unit, room=room, kind=kind,
                              members=members)
    if rng.random() < floating_chance:
        status = STATUS.FLOATING
    elif rng.random() < 0.12:
        status = STATUS.PERMANENT
    else:
        status = STATUS.HUKOU
    _fill_people(rng, household, status)
    _tag_household(rng, household)
    return household
