import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from warmgrid.lib import idnumber
from warmgrid.lib.idnumber import (
    IdNumberError,
    check_agrees,
    check_character,
    make_id_number,
    parse_id_number,
)

TODAY = dt.date(2026, 11, 26)
regions = st.sampled_from(["370102", "110101", "440305", "650102", "429004", "810000"[:2] + "0101"])
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


def test_it_accepts_a_known_valid_number():
    # The worked example of GB 11643-1999's appendix.
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.gender == "F"
    assert parsed.value.endswith("X")


def test_it_accepts_lower_case_x_and_stores_upper_case():
    assert parse_id_number("11010519491231002x", today=TODAY).value == "11010519491231002X"


@given(regions, births, sequences)
def test_it_accepts_every_number_it_makes(region, birth, sequence):
    value = make_id_number(region, birth, sequence)
    parsed = parse_id_number(value, today=TODAY)
    assert parsed.birth_date == birth
    assert parsed.gender == ("M" if sequence % 2 else "F")
    assert parsed.value == value


@given(regions, births, sequences, st.integers(min_value=0, max_value=16),
       st.integers(min_value=1, max_value=9))
def test_it_catches_every_single_digit_typo(region, birth, sequence, position, delta):
    """MOD 11-2 detects any change of one digit: the number stops validating."""
    value = make_id_number(region, birth, sequence)
    typo = value[:position] + str((int(value[position]) + delta) % 10) + value[position + 1:]
    with pytest.raises(IdNumberError):
        parse_id_number(typo, today=TODAY)


@given(regions, births, sequences, st.integers(min_value=0, max_value=15))
def test_it_catches_swapped_neighbours(region, birth, sequence, position):
    value = make_id_number(region, birth, sequence)
    assume(value[position] != value[position + 1])
    swapped = (value[:position] + value[position + 1] + value[position] + value[position + 2:])
    with pytest.raises(IdNumberError):
        parse_id_number(swapped, today=TODAY)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("37010219900101123", idnumber.LENGTH),
        ("3701021990010112345", idnumber.LENGTH),
        ("37010219900101123A", idnumber.CHARACTERS),
        ("3701X2199001011234", idnumber.CHARACTERS),
        ("990102199001011234", idnumber.REGION),
        ("370000199001011234", idnumber.REGION),
        ("370102199002301234", idnumber.BIRTH_DATE),
        ("370102189912311234", idnumber.BIRTH_DATE),
        ("370102203001011234", idnumber.BIRTH_DATE),
    ],
)
def test_it_names_the_rule_broken(raw, code):
    with pytest.raises(IdNumberError) as caught:
        parse_id_number(raw, today=TODAY)
    assert caught.value.code == code


def test_it_reports_a_wrong_check_character():
    good = make_id_number("370102", dt.date(1990, 1, 1), 123)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(IdNumberError) as caught:
        parse_id_number(wrong, today=TODAY)
    assert caught.value.code == idnumber.CHECKSUM


def test_it_checks_entered_birth_date_and_gender_against_the_number():
    parsed = parse_id_number(make_id_number("370102", dt.date(1990, 1, 1), 123), today=TODAY)
    check_agrees(parsed, birth_date=dt.date(1990, 1, 1), gender="M")
    with pytest.raises(IdNumberError) as caught:
        check_agrees(parsed, birth_date=dt.date(1990, 1, 2), gender="M")
    assert caught.value.code == idnumber.BIRTH_MISMATCH
    with pytest.raises(IdNumberError) as caught:
        check_agrees(parsed, birth_date=None, gender="F")
    assert caught.value.code == idnumber.GENDER_MISMATCH


@given(st.text(max_size=30))
def test_it_never_fails_other_than_with_its_own_error(raw):
    try:
        parse_id_number(raw, today=TODAY)
    except IdNumberError:
        pass


def test_check_character_matches_the_standard_table():
    # Remainder → character, from the standard: 0→1, 1→0, 2→X, 3→9 … 10→2.
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"
