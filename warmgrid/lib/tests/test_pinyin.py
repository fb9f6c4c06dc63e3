import pytest

from warmgrid.lib.phone import is_valid_phone, normalise_phone
from warmgrid.lib.pinyin import pinyin_keys


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [("张三", "zhangsan", "zs"), ("欧阳娜娜", "ouyangnana", "oynn"), ("李 明", "liming", "lm")],
)
def test_it_gives_toneless_pinyin_and_initials(name, full, initials):
    assert pinyin_keys(name) == (full, initials)


@pytest.mark.parametrize(
    ("raw", "clean", "valid"),
    [("138 1234 5678", "13812345678", True), ("+8613812345678", "13812345678", True),
     ("0531-86001234", "0531-86001234", True), ("12812345678", "12812345678", False),
     ("12345", "12345", False)],
)
def test_phone_numbers_are_normalised_and_checked(raw, clean, valid):
    assert normalise_phone(raw) == clean
    assert is_valid_phone(normalise_phone(raw)) is valid
