import datetime as dt

import pytest

from warmgrid.lib.ledgers.reading import ROW_REASONS
from warmgrid.lib.ledgers.validation import (
    FIELDS,
    REASONS,
    building_key,
    clean_room,
    clean_unit,
    parse_ledger_date,
    validate_row,
)

TODAY = dt.date(2026, 11, 26)
WOMAN_1949 = "11010519491231002X"  # GB 11643's worked example: born 1949-12-31, female


def codes(values, **kwargs):
    kwargs.setdefault("required", ())
    _, problems = validate_row(values, today=TODAY, **kwargs)
    return [(p.field, p.code) for p in problems]


def clean(values, **kwargs):
    kwargs.setdefault("required", ())
    values, problems = validate_row(values, today=TODAY, **kwargs)
    assert problems == []
    return values


# Each reason code, from at least one row that should produce it.
CASES = [
    ({"name": "张"}, "name", "name_length"),
    ({"name": "张三丰" * 7}, "name", "name_length"),
    ({"name": "张三（已故）"}, "name", "name_characters"),
    ({"name": "张3"}, "name", "name_characters"),
    ({"id_number": "1101051949123100"}, "id_number", "id_length"),
    ({"id_number": "11010519491231002Y"}, "id_number", "id_characters"),
    ({"id_number": "99010519491231002X"}, "id_number", "id_region"),
    ({"id_number": "110105194913310021"}, "id_number", "id_birth_date"),
    ({"id_number": "110105194912310021"}, "id_number", "id_checksum"),
    ({"id_number": "3.70102199001011E+17"}, "id_number", "id_precision_lost"),
    ({"id_number": WOMAN_1949, "birth_date": "1949-12-30"}, "birth_date",
     "id_birth_mismatch"),
    ({"id_number": WOMAN_1949, "gender": "男"}, "gender", "id_gender_mismatch"),
    ({"birth_date": "49-12-31"}, "birth_date", "date_format"),
    ({"birth_date": "1950-02-30"}, "birth_date", "date_format"),
    ({"birth_date": "1950"}, "birth_date", "date_format"),
    ({"birth_date": "2027-01-01"}, "birth_date", "date_range"),
    ({"valid_until": "1899-12-31"}, "valid_until", "date_range"),
    ({"gender": "未知"}, "gender", "gender_value"),
    ({"phone": "12812345678"}, "phone", "phone_format"),
    ({"phone": "88888888"}, "phone", "phone_format"),
    ({"phone": "13812345678/123"}, "phone", "phone_format"),
    ({"unit": "单元"}, "unit", "unit_format"),
    ({"unit": "123456789"}, "unit", "unit_format"),
    ({"room": "室"}, "room", "room_format"),
    ({"room": "1" * 17}, "room", "room_format"),
    ({"relation": "邻居"}, "relation", "relation_value"),
    ({"residence_status": "外籍"}, "residence_status", "residence_status_value"),
    ({"valid_from": "2026-01-01", "valid_until": "2025-12-31"}, "valid_until",
     "period_reversed"),
    ({"occupation": "职" * 65}, "occupation", "text_too_long"),
    ({"tags": "低保 " + "长" * 41}, "tags", "text_too_long"),
    ({"building": "楼" * 65}, "building", "text_too_long"),
]


@pytest.mark.parametrize(("values", "field", "code"), CASES)
def test_each_rule_gives_its_reason_code(values, field, code):
    assert (field, code) in codes(values)


def test_a_15_digit_number_is_refused_when_upgrading_is_off():
    assert codes({"id_number": "110105491231002"}, upgrade_15=False) == [
        ("id_number", "id_15_digits")]


@pytest.mark.parametrize("field", FIELDS)
def test_a_required_field_left_blank_is_missing(field):
    for blank in ("", "  ", "无", "-", "/"):
        assert codes({field: blank}, required=(field,)) == [(field, f"{field}_missing")]


def test_every_reason_code_is_produced_by_a_test():
    produced = ({code for _, _, code in CASES} | {f"{f}_missing" for f in FIELDS}
                | {"id_15_digits"} | set(ROW_REASONS))  # ROW_REASONS: reading's tests
    assert produced == set(REASONS)
    assert all(isinstance(text, str) and text for text in REASONS.values())


def test_problems_name_the_ledger_column_and_never_carry_the_value():
    _, problems = validate_row({"id_number": "1101051949123100", "name": "张"}, today=TODAY,
                               headers={"id_number": "公民身份号码", "name": "姓　名"},
                               required=())
    assert [(p.column, p.code, p.params) for p in problems] == [
        ("公民身份号码", "id_length", {"length": 16}),
        ("姓　名", "name_length", {"min": 2, "max": 20})]


def test_by_default_a_row_needs_a_name_gender_and_birth_date():
    assert codes({}, required=validate_row.__kwdefaults__["required"]) == [
        ("name", "name_missing"), ("gender", "gender_missing"),
        ("birth_date", "birth_date_missing")]


def test_gender_and_birth_date_come_from_the_id_number():
    values, problems = validate_row({"name": "张三", "id_number": WOMAN_1949.lower()},
                                    today=TODAY)
    assert problems == []
    assert values == {"name": "张三", "id_number": WOMAN_1949, "gender": "F",
                      "birth_date": dt.date(1949, 12, 31)}


def test_an_id_number_that_agrees_with_birth_date_and_gender_is_accepted():
    values = clean({"id_number": WOMAN_1949, "birth_date": "1949年12月31日", "gender": "女"})
    assert values["birth_date"] == dt.date(1949, 12, 31)
    assert values["gender"] == "F"


def test_a_15_digit_number_is_upgraded_to_its_18_digit_form():
    # The same person in GB 11643's example, before and after the 1999 upgrade.
    assert clean({"id_number": "110105491231002"})["id_number"] == WOMAN_1949


def test_id_numbers_typed_with_spaces_full_width_digits_or_an_apostrophe():
    for raw in ("110105 19491231 002x", "１１０１０５１９４９１２３１００２Ｘ",
                "'11010519491231002X"):
        assert clean({"id_number": raw})["id_number"] == WOMAN_1949


@pytest.mark.parametrize("raw", ["张三", "张 三", "  张三 "])
def test_han_names_lose_their_spaces(raw):
    assert clean({"name": raw})["name"] == "张三"


@pytest.mark.parametrize(("raw", "name"), [
    ("买买提•艾力", "买买提·艾力"), ("买买提.艾力", "买买提·艾力"),
    ("阿依古丽・吐尔逊", "阿依古丽·吐尔逊"), ("𠮷野", "𠮷野"), ("David  Smith", "David Smith")])
def test_minority_rare_and_latin_names(raw, name):
    assert clean({"name": raw})["name"] == name


@pytest.mark.parametrize("raw", ["1950-03-08", "1950/3/8", "1950.3.8", "1950年3月8日",
                                 "19500308", "1950-03-08 00:00:00", "１９５０－０３－０８"])
def test_birth_dates_in_every_form_ledgers_use(raw):
    assert clean({"birth_date": raw})["birth_date"] == dt.date(1950, 3, 8)


@pytest.mark.parametrize(("serial", "day"), [
    ("1", dt.date(1900, 1, 1)), ("59", dt.date(1900, 2, 28)), ("61", dt.date(1900, 3, 1)),
    ("36526", dt.date(2000, 1, 1)), ("36526.0", dt.date(2000, 1, 1))])
def test_excel_serial_days_count_excel_s_missing_leap_day(serial, day):
    assert parse_ledger_date(serial) == day


def test_excel_s_29_february_1900_is_no_date():
    assert parse_ledger_date("60") is None


@pytest.mark.parametrize(("raw", "code"), [
    ("男", "M"), ("男性", "M"), ("M", "M"), ("m", "M"), ("1", "M"),
    ("女", "F"), ("女性", "F"), ("F", "F"), ("female", "F"), ("2", "F")])
def test_genders(raw, code):
    assert clean({"gender": raw})["gender"] == code


@pytest.mark.parametrize(("raw", "phone"), [
    ("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678"),
    ("86 13812345678", "13812345678"), ("138 1234 5678", "13812345678"),
    ("13812345678.0", "13812345678"), ("0531-88888888", "0531-88888888"),
    ("(0531)88888888", "053188888888")])
def test_phones(raw, phone):
    assert clean({"phone": raw})["phone"] == phone


def test_a_second_phone_is_kept_beside_the_first():
    values = clean({"phone": "13812345678／0531-88888888"})
    assert values["phone"] == "13812345678"
    assert values["phone_others"] == ["0531-88888888"]


def test_a_blank_phone_is_absent_not_wrong():
    assert clean({"phone": "无", "name": "张三"}) == {"name": "张三"}


@pytest.mark.parametrize(("raw", "key"), [
    ("3号楼", "3"), ("3栋", "3"), ("3幢", "3"), ("三号楼", "3"), ("03号楼", "3"),
    ("十二栋", "12"), ("二十一号楼", "21"), ("A座", "A"), ("幸福小区3号楼", "幸福小区3")])
def test_buildings_are_kept_as_written_with_a_key_to_look_them_up(raw, key):
    values = clean({"building": raw})
    assert values["building"] == raw
    assert values["building_key"] == key
    assert building_key(raw) == key


@pytest.mark.parametrize(("raw", "unit"), [("2单元", "2"), ("二单元", "2"), ("02", "2"),
                                           ("2", "2"), ("东单元", "东")])
def test_units(raw, unit):
    assert clean_unit(raw) == unit
    assert clean({"unit": raw})["unit"] == unit


@pytest.mark.parametrize(("raw", "room"), [("301室", "301"), ("301号", "301"),
                                           ("0301", "0301"), ("301", "301")])
def test_rooms(raw, room):
    assert clean_room(raw) == room
    assert clean({"room": raw})["room"] == room


@pytest.mark.parametrize(("raw", "code"), [
    ("户主", "householder"), ("本人", "householder"), ("配偶", "spouse"), ("妻", "spouse"),
    ("夫", "spouse"), ("子", "child"), ("女", "child"), ("儿子", "child"), ("长女", "child"),
    ("父亲", "parent"), ("岳母", "parent"), ("孙女", "grandchild"), ("外婆", "grandparent"),
    ("妹妹", "sibling"), ("儿媳", "child_in_law"), ("女婿", "child_in_law"),
    ("租户", "tenant"), ("其他", "other"), ("spouse", "spouse")])
def test_relations_map_onto_the_registry_codes(raw, code):
    assert clean({"relation": raw})["relation"] == code


@pytest.mark.parametrize(("raw", "code"), [
    ("户籍", "hukou"), ("户籍人口", "hukou"), ("常住", "permanent"), ("流动", "floating"),
    ("流动人口", "floating"), ("外来人口", "floating"), ("floating", "floating")])
def test_residence_status(raw, code):
    assert clean({"residence_status": raw})["residence_status"] == code


def test_tags_validity_ethnicity_and_other_columns():
    values = clean({"tags": "低保、独居老人，低保", "valid_from": "2026.1.1",
                    "valid_until": "2026年12月31日", "ethnicity": "回", "occupation": " 退休 ",
                    "残疾等级": " 二级 "})
    assert values == {"tags": ["低保", "独居老人"], "valid_from": dt.date(2026, 1, 1),
                      "valid_until": dt.date(2026, 12, 31), "ethnicity": "回族",
                      "occupation": "退休", "残疾等级": "二级"}
    assert clean({"ethnicity": "汉族"})["ethnicity"] == "汉族"


def test_a_refused_value_is_left_out_of_the_clean_values():
    values, problems = validate_row({"name": "张三", "phone": "123", "gender": "女"},
                                    today=TODAY)
    assert "phone" not in values
    assert [p.code for p in problems] == ["phone_format", "birth_date_missing"]
