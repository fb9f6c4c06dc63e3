import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warmgrid.lib.masking import age_on, mask_id_number, mask_name, mask_phone

id_numbers = st.from_regex(r"\A[1-8]\d{16}[\dX]\Z")
mobiles = st.from_regex(r"\A1[3-9]\d{9}\Z")


def test_it_masks_an_id_number_to_its_last_four():
    assert mask_id_number("37010219900101123X") == "**************123X"
    # An old 15-digit number keeps its length too.
    assert mask_id_number("370102900101123") == "***********1123"


def test_it_masks_a_mobile_as_the_design_shows():
    assert mask_phone("13812345678") == "138****5678"


@given(id_numbers)
def test_a_masked_id_keeps_only_the_last_four(value):
    masked = mask_id_number(value)
    assert len(masked) == 18
    assert masked[-4:] == value[-4:]
    # Region and birth date together with the last four would be the whole number.
    assert masked[:14] == "*" * 14


@given(mobiles)
def test_a_masked_mobile_hides_the_middle_four(value):
    masked = mask_phone(value)
    assert re.fullmatch(r"1\d{2}\*{4}\d{4}", masked)
    assert masked[:3] == value[:3] and masked[-4:] == value[-4:]


@given(st.text(max_size=40))
def test_masking_never_lengthens_or_reveals_more_than_four_trailing_characters(value):
    for masked in (mask_id_number(value), mask_phone(value.strip())):
        assert len(masked) <= len(value)


def test_it_masks_names_after_the_first_character():
    assert mask_name("张三丰") == "张**"
    assert mask_name("") == ""


@pytest.mark.parametrize(("day", "age"), [
    (dt.date(2026, 3, 7), 75),  # the day before the birthday
    (dt.date(2026, 3, 8), 76),  # the birthday
    (dt.date(2026, 12, 31), 76),
    (dt.date(2027, 1, 1), 76),
    (dt.date(1950, 3, 8), 0),
])
def test_age_counts_whole_years_around_the_birthday(day, age):
    assert age_on(dt.date(1950, 3, 8), day) == age


def test_someone_born_on_29_february_is_a_year_older_on_1_march():
    born = dt.date(2000, 2, 29)
    assert age_on(born, dt.date(2026, 2, 28)) == 25
    assert age_on(born, dt.date(2026, 3, 1)) == 26
    assert age_on(born, dt.date(2028, 2, 29)) == 28
