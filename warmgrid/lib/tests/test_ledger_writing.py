import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from warmgrid.lib.ledgers.annotated import (
    AnnotatedRow,
    AnnotatedSheet,
    write_annotated_csv,
    write_annotated_xlsx,
)
from warmgrid.lib.ledgers.reading import PROBLEMS_HEADER, header_signature, read_ledger
from warmgrid.lib.ledgers.writing import neutralise, sheet_title, write_csv, write_xlsx

WHEN = dt.datetime(2026, 11, 27, 14, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
HEADERS = ["姓名", "身份证号", "补助金额", "备注"]
ROWS = [
    ["张三", "11010519491231002X", "-12.5", "=HYPERLINK(\"http://x\")"],
    {"姓名": "𠮷野", "身份证号": "370102199001011234", "补助金额": "300", "备注": "+1"},
    ["李四", "0123", "=1+1", "@SUM(A1)"],
]


# --- neutralise ---


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_each_formula_prefix_gets_a_leading_apostrophe(prefix):
    assert neutralise(f"{prefix}cmd|' /C calc'!A0") == f"'{prefix}cmd|' /C calc'!A0"
    assert neutralise(f"{prefix}cmd", numeric=True) == f"'{prefix}cmd"


@pytest.mark.parametrize("value", ["张三", "0531-88888888", "a=b", "", "'quoted"])
def test_harmless_text_is_left_alone(value):
    assert neutralise(value) == value


@pytest.mark.parametrize("value", ["-12.5", "+3", "-0.25", "12"])
def test_a_number_in_a_numeric_column_stays_a_number(value):
    assert neutralise(value, numeric=True) == value
    assert neutralise(value) == (value if value[0].isdigit() else f"'{value}")


def test_sheet_titles_are_made_acceptable_and_unique():
    assert sheet_title("低保/残疾[名册]") == "低保_残疾_名册_"
    assert len(sheet_title("长" * 40)) == 31
    assert sheet_title("名册", ["名册"]) == "名册~2"


# --- xlsx ---


def exported_xlsx(**kwargs) -> bytes:
    out = io.BytesIO()
    write_xlsx(out, headers=HEADERS, rows=ROWS, exported_by="王芳 & 赵六", exported_at=WHEN,
               numeric={"补助金额"}, sheet_name="低保名册", **kwargs)
    return out.getvalue()


def test_xlsx_export_neutralises_text_and_keeps_numbers_numbers():
    sheet = openpyxl.load_workbook(io.BytesIO(exported_xlsx())).active
    assert sheet.title == "低保名册"
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet["A2"].font.b is False and sheet["A1"].font.b is True
    assert [c.value for c in sheet[2]] == ["张三", "11010519491231002X", -12.5,
                                           "'=HYPERLINK(\"http://x\")"]
    assert [c.value for c in sheet[3]] == ["𠮷野", "370102199001011234", 300, "'+1"]
    assert [c.value for c in sheet[4]] == ["李四", "0123", "'=1+1", "'@SUM(A1)"]
    assert sheet["B3"].data_type == "s"  # the ID number is text, all 18 digits
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert sheet.freeze_panes == "A2"


def test_xlsx_export_is_watermarked_in_header_footer_and_properties():
    book = openpyxl.load_workbook(io.BytesIO(exported_xlsx()))
    sheet = book.active
    mark = "导出人: 王芳 & 赵六  时间: 2026-11-27 14:05+08:00"
    assert sheet.oddFooter.center.text == mark.replace("&", "&&")
    assert sheet.oddHeader.right.text == mark.replace("&", "&&")
    assert book.properties.description == mark
    assert book.properties.creator == "王芳 & 赵六"
    assert book.properties.created == dt.datetime(2026, 11, 27, 6, 5)  # UTC


def test_xlsx_export_imports_again_as_it_was_exported():
    (sheet,) = read_ledger(exported_xlsx()).sheets
    assert sheet.headers == HEADERS
    assert [list(r.values.values()) for r in sheet.rows] == [
        ["张三", "11010519491231002X", "-12.5", "=HYPERLINK(\"http://x\")"],
        ["𠮷野", "370102199001011234", "300", "+1"],
        ["李四", "0123", "=1+1", "@SUM(A1)"]]


def test_a_long_number_in_a_numeric_column_stays_text():
    out = io.BytesIO()
    write_xlsx(out, headers=["编号"], rows=[["370102199001011234"]], exported_by="x",
               exported_at=WHEN, numeric={"编号"})
    assert openpyxl.load_workbook(out).active["A2"].value == "370102199001011234"


def test_an_export_time_without_a_timezone_is_refused():
    with pytest.raises(ValueError):
        write_xlsx(io.BytesIO(), headers=HEADERS, rows=[], exported_by="x",
                   exported_at=dt.datetime(2026, 11, 27, 14, 5))


# --- CSV ---


def exported_csv() -> bytes:
    out = io.BytesIO()
    write_csv(out, headers=HEADERS, rows=ROWS, exported_by="王芳", exported_at=WHEN,
              numeric={"补助金额"})
    return out.getvalue()


def test_csv_export_has_a_bom_crlf_neutralised_cells_and_the_watermark_last():
    data = exported_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data[3:].decode("utf-8").split("\r\n")
    assert lines[0] == "姓名,身份证号,补助金额,备注"
    assert lines[1] == "张三,11010519491231002X,-12.5,\"'=HYPERLINK(\"\"http://x\"\")\""
    assert lines[3] == "李四,0123,'=1+1,'@SUM(A1)"
    assert lines[4] == "导出人: 王芳  时间: 2026-11-27 14:05+08:00"
    assert lines[5] == ""


def test_csv_export_imports_again_without_its_watermark():
    (sheet,) = read_ledger(exported_csv(), name="低保.csv").sheets
    rows = list(sheet.rows)
    assert [r.values["备注"] for r in rows] == ["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)"]
    assert sheet.skipped == [(5, "watermark")]


def test_a_row_longer_than_the_headers_is_refused():
    with pytest.raises(ValueError):
        write_csv(io.BytesIO(), headers=["姓名"], rows=[["a", "b"]], exported_by="x",
                  exported_at=WHEN)


# --- the annotated workbook of rejected rows ---

LEDGER_HEADERS = ["姓名", "身份证号", "联系方式/手机"]
REJECTED = [
    AnnotatedRow({"姓名": "张三", "身份证号": "110105194912310021", "联系方式/手机": "138"},
                 ["身份证号：校验码不对", "联系方式/手机：号码格式不对"],
                 {"身份证号": "校验码不对", "联系方式/手机": ["号码格式不对", "应为11位"]}),
    AnnotatedRow({"姓名": "=cmd", "身份证号": "0123", "联系方式/手机": ""},
                 ["姓名：含有不允许的字符"], {"姓名": "含有不允许的字符"}),
]


def annotated_xlsx() -> bytes:
    out = io.BytesIO()
    write_annotated_xlsx(out, [AnnotatedSheet("低保名册", LEDGER_HEADERS, REJECTED),
                               AnnotatedSheet("流动人口", ["姓名"], [
                                   AnnotatedRow({"姓名": "李"}, ["姓名：太短"], {})])])
    return out.getvalue()


def test_annotated_workbook_highlights_and_comments_the_offending_cells():
    book = openpyxl.load_workbook(io.BytesIO(annotated_xlsx()))
    assert book.sheetnames == ["低保名册", "流动人口"]
    sheet = book["低保名册"]
    assert [c.value for c in sheet[1]] == [PROBLEMS_HEADER, *LEDGER_HEADERS]
    assert sheet["A2"].value == "身份证号：校验码不对\n联系方式/手机：号码格式不对"
    highlighted = {c.coordinate for row in sheet.iter_rows(min_row=2) for c in row
                   if c.fill.fill_type == "solid"}
    assert highlighted == {"C2", "D2", "B3"}
    assert sheet["C2"].fill.start_color.rgb == "FFFFC7CE"
    assert sheet["C2"].comment.text == "校验码不对"
    assert sheet["D2"].comment.text == "号码格式不对\n应为11位"
    assert sheet["B2"].comment is None
    assert sheet["C3"].value == "0123" and sheet["C3"].data_type == "s"
    assert sheet["C3"].number_format == "@"
    assert sheet["B3"].value == "'=cmd"


def test_annotated_workbook_reads_back_with_the_values_and_the_same_signature():
    sheets = read_ledger(annotated_xlsx()).sheets
    assert sheets[0].headers == ["错误说明/Problems", *LEDGER_HEADERS]
    assert header_signature(sheets[0].headers) == header_signature(LEDGER_HEADERS)
    rows = list(sheets[0].rows)
    assert [r.number for r in rows] == [2, 3]
    assert [{h: r.values[h] for h in LEDGER_HEADERS} for r in rows] == [
        {"姓名": "张三", "身份证号": "110105194912310021", "联系方式/手机": "138"},
        {"姓名": "=cmd", "身份证号": "0123", "联系方式/手机": ""}]


def test_annotated_csv_has_the_problems_first_and_a_bom():
    out = io.BytesIO()
    write_annotated_csv(out, LEDGER_HEADERS, REJECTED)
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    (sheet,) = read_ledger(data, name="rejected.csv").sheets
    rows = list(sheet.rows)
    assert sheet.headers == ["错误说明/Problems", *LEDGER_HEADERS]
    assert rows[0].values["错误说明/Problems"] == ("身份证号：校验码不对\n"
                                                  "联系方式/手机：号码格式不对")
    assert rows[1].values["姓名"] == "=cmd"
    assert b"'=cmd" in data
