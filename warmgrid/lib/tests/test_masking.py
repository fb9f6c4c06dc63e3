import re

from hypothesis import given
from hypothesis import strategies as st

from warmgrid.lib.masking import mask_id_number, mask_name, mask_phone

id_numbers = st.from_regex(r"\A[1-8]\d{16}[\dX]\Z")
mobiles = st.from_regex(r"\A1[3-9]\d{9}\Z")


def test_it_masks_an_id_number_as_the_design_shows():
    assert mask_id_number("37010219900101123X") == "370102********123X"


def test_it_masks_a_mobile_as_the_design_shows():
    assert mask_phone("13812345678") == "138****5678"


@given(id_numbers)
def test_a_masked_id_keeps_only_region_and_last_four(value):
    masked = mask_id_number(value)
    assert len(masked) == 18
    assert masked[:6] == value[:6] and masked[-4:] == value[-4:]
    # The birth date and sequence, the parts that single a person out, never survive.
    assert masked[6:14] == "*" * 8


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
