import datetime as dt
import hashlib
import io
from pathlib import Path

import openpyxl
import pytest

from warmgrid.lib.ledgers.reading import (
    PROBLEMS_HEADER,
    LedgerReadError,
    cell_text,
    header_signature,
    normalise_header,
    read_ledger,
    sniff_delimiter,
    stream_ledger,
)

DATA = Path(__file__).parent / "data"
HEADER = "姓名,身份证号,编号,房号\r\n"
ROW = "吉𠮷,11010519491231002X,007,0301\r\n"


def csv_ledger(text: str, encoding: str):
    return read_ledger(text.encode(encoding), name="名册.csv")


def only_rows(ledger):
    (sheet,) = ledger.sheets
    return sheet, list(sheet.rows)


# --- CSV encodings ---


@pytest.mark.parametrize(("encoding", "reported"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"),
    ("utf-16", "utf-16")])
def test_it_reads_chinese_csv_in_each_encoding_without_garbling(encoding, reported):
    ledger = csv_ledger(HEADER + ROW, encoding)
    sheet, rows = only_rows(ledger)
    assert ledger.encoding == reported
    assert sheet.headers == ["姓名", "身份证号", "编号", "房号"]
    assert rows[0].values == {"姓名": "吉𠮷", "身份证号": "11010519491231002X", "编号": "007",
                              "房号": "0301"}


def test_gbk_csv_as_excel_saves_it_reads_as_gb18030():
    text = "姓名,性别\r\n张三,男\r\n欧阳娜娜,女\r\n"
    ledger = csv_ledger(text, "gbk")
    _, rows = only_rows(ledger)
    assert ledger.encoding == "gb18030"
    assert [r.values["姓名"] for r in rows] == ["张三", "欧阳娜娜"]


def test_characters_only_gb18030_has_survive_the_round_trip():
    names = ["㐀明", "𠮷野", "䶮"]  # four-byte GB18030: not in GBK
    for name in names:
        with pytest.raises(UnicodeEncodeError):
            name.encode("gbk")
    text = "姓名,备注\n" + "".join(f"{n},x\n" for n in names)
    _, rows = only_rows(csv_ledger(text, "gb18030"))
    assert [r.values["姓名"] for r in rows] == names


def test_undecodable_bytes_are_refused_at_their_offset():
    data = "姓名,备注\n张三,".encode("gb18030") + b"\xff" + b"\n"
    with pytest.raises(LedgerReadError) as caught:
        read_ledger(data, name="x.csv")
    assert caught.value.code == "encoding"
    assert caught.value.params == {"offset": len("姓名,备注\n张三,".encode("gb18030")),
                                   "byte": "0xff"}


def test_a_damaged_utf8_file_is_refused_not_decoded_as_gb18030():
    good = "姓名,住址\n张三,幸福小区\n".encode()
    data = good + b"\xe5\xb9" + "李四,x\n".encode()  # a character cut in half
    with pytest.raises(LedgerReadError) as caught:
        read_ledger(data, name="x.csv")
    assert caught.value.params["offset"] == len(good)


def test_an_html_page_named_xls_is_refused():
    with pytest.raises(LedgerReadError) as caught:
        read_ledger(b"<html><table><tr><td>1</td></tr></table></html>", name="a.xls")
    assert caught.value.code == "file_type"


def test_a_damaged_xlsx_is_refused():
    with pytest.raises(LedgerReadError) as caught:
        read_ledger(b"PK\x03\x04 not really a zip", name="a.xlsx")
    assert caught.value.code == "file_unreadable"


# --- CSV layout ---


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_it_sniffs_the_delimiter_under_a_title_line(delimiter):
    lines = ["XX社区低保名册", "姓名|住址|电话", "张三|3号楼 2单元|13812345678",
             "李四|4号楼 1单元|13912345678"]
    text = "\n".join(line.replace("|", delimiter) for line in lines) + "\n"
    ledger = csv_ledger(text, "utf-8")
    sheet, rows = only_rows(ledger)
    assert ledger.delimiter == delimiter
    assert sheet.headers == ["姓名", "住址", "电话"]
    assert rows[1].values == {"姓名": "李四", "住址": "4号楼 1单元", "电话": "13912345678"}


def test_commas_inside_tab_separated_values_do_not_fool_the_sniffer():
    text = "姓名\t住址\n张三\t3号楼,2单元,301\n李四\t4号楼\n"
    assert sniff_delimiter(text) == "\t"


def test_cells_stay_text_and_excel_text_formulas_are_unwrapped():
    text = ('姓名,身份证号,编号\n张三,="370102199001011234",="0012"\n'
            "李四, 11010519491231002X ,0012\n")
    _, rows = only_rows(csv_ledger(text, "utf-8"))
    assert rows[0].values == {"姓名": "张三", "身份证号": "370102199001011234", "编号": "0012"}
    assert rows[1].values["身份证号"] == "11010519491231002X"
    assert rows[1].values["编号"] == "0012"


def test_row_numbers_are_the_lines_a_record_starts_on():
    text = '姓名,备注\n张三,"住院\n两周"\n\n李四,x\n'
    _, rows = only_rows(csv_ledger(text, "utf-8"))
    assert [(r.number, r.values["姓名"]) for r in rows] == [(2, "张三"), (5, "李四")]
    assert rows[0].values["备注"] == "住院\n两周"


def test_title_and_form_lines_above_the_header_are_skipped():
    text = ("XX社区低保名册,,,\n填报单位：幸福街道,,填报日期：2026年11月,\n"
            "序号,姓　　名,身份证号,联系电话（手机）\n1,张三,11010519491231002X,13812345678\n")
    sheet, rows = only_rows(csv_ledger(text, "utf-8"))
    assert sheet.header_rows == [3]
    assert sheet.headers == ["序号", "姓名", "身份证号", "联系电话(手机)"]
    assert rows[0].number == 4


def test_without_header_words_the_first_row_with_two_values_is_the_header():
    text = "甲,乙\n1,2\n"
    sheet, rows = only_rows(csv_ledger(text, "utf-8"))
    assert sheet.headers == ["甲", "乙"]
    assert rows[0].values == {"甲": "1", "乙": "2"}


def test_blank_and_repeated_headers_are_named_by_letter_and_number():
    text = "姓名,,电话,电话\n张三,x,1,2\n"
    sheet, rows = only_rows(csv_ledger(text, "utf-8"))
    assert sheet.headers == ["姓名", "B", "电话", "电话#2"]
    assert rows[0].values == {"姓名": "张三", "B": "x", "电话": "1", "电话#2": "2"}


def test_totals_footers_repeated_headers_and_stray_cells_are_reported():
    text = ("姓名,身份证号\n张三,11010519491231002X\n姓名,身份证号\n李四,x,多余\n"
            "合计,2人\n填表人：王芳,审核人：赵六\n")
    sheet, rows = only_rows(csv_ledger(text, "utf-8"))
    assert [r.values["姓名"] for r in rows] == ["张三", "李四"]
    assert sheet.skipped == [(3, "repeated_header"), (5, "total_row"), (6, "footer")]
    assert [(p.code, p.column, p.params) for p in rows[1].problems] == [
        ("cell_without_header", "C", {"column": "C"})]


# --- .xlsx ---


def workbook_bytes(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ledger_workbook():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "低保名册"
    sheet.append(["幸福社区低保名册"])
    sheet.merge_cells("A1:G1")
    sheet.append(["序号", "姓名", "身份证号", "出生日期", "联系方式", None, "住址"])
    sheet.append([None, None, None, None, "手机", "固定电话", None])
    for column in "ABCDG":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("E2:F2")
    sheet.append([1, "张三", "11010519491231002X", dt.datetime(1949, 12, 31), 13812345678,
                  "0531-88888888", "3号楼2单元301"])
    sheet.append([2, "张小三", 370102199001011234.0, dt.date(1990, 1, 1), "13912345678",
                  None, None])
    sheet.merge_cells("G4:G5")  # one household's address over its two members
    sheet.append([3, "王五", 110105491231002, None, 1.5, None, "4号楼"])
    floating = book.create_sheet("流动人口")
    floating.append(["姓名", "居住状态"])
    floating.append(["李四", "流动"])
    book.create_sheet("空表")
    hidden = book.create_sheet("选项")
    hidden.append(["类别", "说明"])
    hidden.append(["低保", "a"])
    hidden.sheet_state = "hidden"
    return book


def test_xlsx_merged_two_row_header_under_a_title_is_joined():
    ledger = read_ledger(workbook_bytes(ledger_workbook()), name="低保.xlsx")
    sheet = ledger.sheets[0]
    assert ledger.format == "xlsx"
    assert sheet.header_rows == [2, 3]
    assert sheet.headers == ["序号", "姓名", "身份证号", "出生日期", "联系方式/手机",
                             "联系方式/固定电话", "住址"]


def test_xlsx_cells_become_text_and_merged_values_fill_down():
    rows = list(read_ledger(workbook_bytes(ledger_workbook())).sheets[0].rows)
    first, second, third = rows
    assert first.number == 4
    assert first.values["序号"] == "1"
    assert first.values["身份证号"] == "11010519491231002X"
    assert first.values["出生日期"] == "1949-12-31"
    assert first.values["联系方式/手机"] == "13812345678"
    assert second.values["出生日期"] == "1990-01-01"
    assert second.values["住址"] == "3号楼2单元301"  # merged down from row 4
    assert third.values["联系方式/手机"] == "1.5"
    # 15 digits (an old ID number) fit in a number cell; 18 do not.
    assert third.values["身份证号"] == "110105491231002"
    assert third.problems == []
    assert second.values["身份证号"] == "3.70102199001011E+17"
    assert [(p.code, p.column) for p in second.problems] == [
        ("number_precision_lost", "身份证号")]


def test_xlsx_every_sheet_but_the_empty_one_is_read():
    sheets = read_ledger(workbook_bytes(ledger_workbook())).sheets
    assert [(s.name, s.hidden) for s in sheets] == [
        ("低保名册", False), ("流动人口", False), ("选项", True)]
    assert [r.values for r in sheets[1].rows] == [{"姓名": "李四", "居住状态": "流动"}]


def test_a_group_header_row_above_the_best_header_row_is_kept():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["基本信息", None, "联系方式", None])
    sheet.append(["姓名", "性别", "手机", "固定电话"])
    sheet.merge_cells("A1:B1")
    sheet.merge_cells("C1:D1")
    sheet.append(["张三", "男", "13812345678", ""])
    (sheet,) = read_ledger(workbook_bytes(book)).sheets
    assert sheet.headers == ["基本信息/姓名", "基本信息/性别", "联系方式/手机",
                             "联系方式/固定电话"]
    assert sheet.header_rows == [1, 2]


def test_cell_text_of_each_kind():
    assert cell_text(None) == ("", False)
    assert cell_text(12.0) == ("12", False)
    assert cell_text(0.1 + 0.2) == ("0.3", False)
    assert cell_text(1e-7) == ("0.0000001", False)
    assert cell_text(True) == ("TRUE", False)
    assert cell_text(dt.datetime(2026, 1, 2, 8, 30)) == ("2026-01-02 08:30:00", False)
    assert cell_text(370102199001011000) == ("3.70102199001011E+17", True)
    assert cell_text(110105194912310021) == ("110105194912310021", False)
    assert cell_text(" '=1+1 ") == ("=1+1", False)  # writing.py's apostrophe taken off


def test_stream_ledger_reads_lazily_and_leaves_a_given_stream_open():
    stream = io.BytesIO(workbook_bytes(ledger_workbook()))
    ledger = stream_ledger(stream, name="x.xlsx")
    first = next(iter(ledger.sheets))
    assert first.headers[0] == "序号"
    assert next(iter(first.rows)).number == 4
    assert not stream.closed


# --- .xls ---


def test_xls_fixture_with_merged_cells_reads_like_xlsx():
    # ledger_sample.xls is made by data/make_ledger_xls.py (xlwt, run once by hand).
    ledger = read_ledger(DATA / "ledger_sample.xls")
    assert ledger.format == "xls"
    assert [s.name for s in ledger.sheets] == ["残疾人名册", "流动人口"]
    sheet = ledger.sheets[0]
    assert sheet.header_rows == [2, 3]
    assert sheet.headers == ["序号", "姓名", "身份证号", "出生日期", "联系方式/手机",
                             "联系方式/固定电话"]
    first, second, third = sheet.rows
    assert first.values == {"序号": "1", "姓名": "𠮷㐀明", "身份证号": "11010519491231002X",
                            "出生日期": "1949-12-31", "联系方式/手机": "13812345678",
                            "联系方式/固定电话": "0531-88888888"}
    assert [p.code for p in second.problems] == ["number_precision_lost"]
    assert third.values["联系方式/固定电话"] == "0531-66666666"
    assert third.number == 6


# --- headers ---


def test_normalise_header_folds_widths_spaces_and_line_breaks():
    assert normalise_header(" 姓　　名 ") == "姓名"
    assert normalise_header("联系电话\n（手机）") == "联系电话(手机)"
    assert normalise_header("ＩＤ") == "ID"


def test_header_signature_ignores_order_form_and_the_problems_column():
    expected = hashlib.sha256("\n".join(sorted(["姓名", "身份证号"])).encode()).hexdigest()
    assert header_signature(["姓名", "身份证号"]) == expected
    assert header_signature(["身份证号 ", "姓　名", PROBLEMS_HEADER]) == expected
    assert header_signature(["姓名", "身份证号码"]) != expected
