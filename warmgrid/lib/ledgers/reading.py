"""Reading a department's ledger (台帐) — CSV, .xlsx or .xls as people keep them — into
sheets of rows of text, ready to be mapped onto registry fields.

Ledgers are kept by hand: a merged title row (“XX社区低保名册”) above the table, headers
over two rows under a merged group (“联系方式” over “手机”/“固定电话”), a household's
address merged down over its members, CSV saved by Excel in GBK, ID numbers that Excel
turned into floats. So: the format is told by the file's first bytes, not its name; merged
cells give their value to every cell they cover; the header is found among the first rows
and may span several; every cell becomes text, and a number that lost digits is reported
on its row instead of being guessed. Pure, no Django; a file that cannot be read at all
raises LedgerReadError with a code (READ_ERRORS) for the caller to word.

Big files stream: `stream_ledger` reads .xlsx with openpyxl's read-only mode and CSV line
by line after decoding; `read_ledger` gives the same with every row in memory.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import itertools
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import openpyxl
import xlrd
from openpyxl.utils import get_column_letter, range_boundaries

HEADER_SCAN = 10  # the header is among the first ten non-empty rows
MAX_HEADER_ROWS = 3
DELIMITERS = (",", "\t", ";")
# Excel keeps 15 significant digits: a longer number (an 18-digit ID number typed into a
# number cell) has lost its last digits.
EXCEL_DIGITS = 15

# The first column of the annotated workbook (annotated.py): read back, it is not one of
# the department's columns, so the header signature leaves it out.
PROBLEMS_HEADER = "错误说明 / Problems"
# The last line of a CSV export (writing.py) and the cells neutralised against formulas.
WATERMARK_PREFIX = "导出人:"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Words that make a cell look like a column header; matched inside short cells.
HEADER_WORDS = (
    "序号", "编号", "姓名", "名字", "身份", "证件", "证号", "号码", "性别", "出生", "生日",
    "年龄", "民族", "籍贯", "电话", "手机", "联系", "住址", "地址", "楼", "栋", "幢", "单元",
    "房", "门牌", "户主", "关系", "户籍", "户口", "居住", "类别", "类型", "备注", "说明",
    "日期", "时间", "期限", "有效", "残疾", "等级", "金额", "标准", "人数", "单位", "网格",
    "小区", "社区", "婚姻", "文化", "学历", "面貌", "职业", "状态",
)
LATIN_HEADER_WORDS = re.compile(
    r"\b(name|id|phone|mobile|gender|sex|address|birth|date|room|unit|building|remarks?|"
    r"notes?|problems)\b", re.IGNORECASE)
TOTAL_WORDS = ("合计", "总计", "小计")
# "填表人：张三" — a footer line of label: value pairs, not a person.
LABELLED = re.compile(r"^[^:：]{1,10}[:：]")
NUMERIC = re.compile(r"^[+-]?(\d+([.,]\d+)*|\d*\.\d+)([eE][+-]?\d+)?%?$")
DATE_LIKE = re.compile(r"^\d{4}([-/.年]\d{1,2}([-/.月]\d{1,2}日?)?)?$")
EXCEL_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)  # ="0123": Excel's way to force text
MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]+\d+:[A-Za-z]+\d+)"')
STRIPPED = " \t\r\n\u3000\xa0\u200b\ufeff"

READ_ERRORS = {
    "file_type": "Not a spreadsheet or delimited text file (params: detected).",
    "file_unreadable": "A spreadsheet that its reader cannot open (params: format).",
    "encoding": "Bytes that are neither UTF-8 nor GB18030 text (params: offset, byte).",
    "no_table": "No sheet of the file holds a table.",
}
ROW_REASONS = {
    "number_precision_lost": "A number cell with more than 15 digits: Excel has kept only "
                             "the first 15, so the value cannot be trusted (an ID number "
                             "typed into a number cell).",
    "cell_without_header": "A value in a column without a header (params: column letter).",
}
SKIPPED_REASONS = ("repeated_header", "total_row", "footer", "watermark")


class LedgerReadError(ValueError):
    """The file as a whole cannot be read; `code` is one of READ_ERRORS."""

    def __init__(self, code: str, **params):
        detail = ", ".join(f"{k}={v}" for k, v in params.items())
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Problem:
    """Something wrong with one value of a row: a reason code and its parameters (never
    the value itself: problems are stored, values are personal data)."""

    code: str
    column: str = ""  # the ledger's header
    field: str = ""  # the registry field, once the column is mapped
    params: dict = dataclasses.field(default_factory=dict)


@dataclass
class Row:
    number: int  # as the user sees it: the spreadsheet's row, the CSV's line
    values: dict[str, str]  # header → text, in the ledger's column order
    problems: list[Problem] = dataclasses.field(default_factory=list)


@dataclass
class Sheet:
    name: str
    headers: list[str]
    header_rows: list[int]  # the row numbers the header spans
    rows: Iterable[Row]  # a list from read_ledger; a one-pass iterator from stream_ledger
    hidden: bool = False
    # (row number, reason in SKIPPED_REASONS): rows under the header that are not people;
    # filled as the rows are read.
    skipped: list[tuple[int, str]] = dataclasses.field(default_factory=list)


@dataclass
class Ledger:
    name: str
    format: str  # "csv", "xlsx" or "xls"
    sheets: Iterable[Sheet]
    encoding: str | None = None  # CSV only: "utf-8", "utf-8-sig", "gb18030", "utf-16"
    delimiter: str | None = None  # CSV only


Merge = tuple[int, int, int, int]  # min_row, min_col, max_row, max_col; 1-based, inclusive
RawRow = tuple[int, list]  # (row number, cell values as the format gives them)


# --- headers ---


def normalise_header(text: str) -> str:
    """NFKC (full-width letters, digits, spaces and brackets folded) without any spaces or
    line breaks: "联系 电话\\n", "姓　　名" and "联系电话", "姓名" compare equal."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def header_signature(headers: Iterable[str]) -> str:
    """SHA-256 (hex) of the sorted set of normalised headers: a saved column mapping is
    found again for a file with the same columns in any order. The annotated workbook's
    problems column does not count."""
    skip = normalise_header(PROBLEMS_HEADER)
    names = sorted({n for h in headers if (n := normalise_header(h)) and n != skip})
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


# --- reading ---


def read_ledger(source: str | Path | bytes | BinaryIO, *, name: str = "") -> Ledger:
    """Every sheet with a table, every row in memory."""
    ledger = stream_ledger(source, name=name)
    sheets = [replace(sheet, rows=list(sheet.rows)) for sheet in ledger.sheets]
    if not sheets:
        raise LedgerReadError("no_table")
    return replace(ledger, sheets=sheets)


def stream_ledger(source: str | Path | bytes | BinaryIO, *, name: str = "") -> Ledger:
    """The same, lazily: `sheets` and each sheet's `rows` are one-pass iterators; read a
    sheet's rows before moving to the next sheet. Empty sheets are left out. A file it
    opened is closed once the sheets are read; a stream passed in is left open."""
    if isinstance(source, bytes):
        return stream_ledger(io.BytesIO(source), name=name)
    if isinstance(source, str | Path):
        stream = open(source, "rb")  # closed once the sheets are read
        try:
            return _stream(stream, name or Path(source).name, close=True)
        except BaseException:
            stream.close()
            raise
    return _stream(source, name, close=False)


def _stream(stream: BinaryIO, name: str, *, close: bool) -> Ledger:
    magic = stream.read(8)
    stream.seek(0)
    if magic.startswith(b"PK\x03\x04"):
        return Ledger(name, "xlsx", _xlsx_sheets(stream, close=close))
    data = stream.read()
    if close:
        stream.close()
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        return Ledger(name, "xls", _xls_sheets(data))
    text, encoding = decode_text(data)
    if text.lstrip()[:1] == "<":  # an "xls" that some systems export as an HTML page
        raise LedgerReadError("file_type", detected="html")
    delimiter = sniff_delimiter(text)
    sheet_name = Path(name).stem or "csv"
    return Ledger(name, "csv", _csv_sheets(sheet_name, text, delimiter), encoding, delimiter)


# --- CSV ---


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-16 by its BOM, else UTF-8 (with or without BOM), else
    GB18030 — a superset of GBK and GB2312, so Excel's CSV on a Chinese Windows and the
    rarest surnames (𠮷, 㐀) decode. A file that is plainly UTF-8 up to a bad byte is
    refused at that byte rather than decoded as GB18030 into nonsense."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _undecodable(data, exc.start) from exc
    if b"\x00" in data:
        raise LedgerReadError("file_type", detected="binary")
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8"), "utf-8-sig"
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    # Three or more multi-byte UTF-8 characters before the bad byte: a damaged UTF-8 file.
    before = data[:utf8_error].decode("utf-8", errors="ignore")
    if sum(1 for ch in before if ord(ch) > 0x7F) >= 3:
        raise _undecodable(data, utf8_error)
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise _undecodable(data, exc.start) from exc


def _undecodable(data: bytes, offset: int) -> LedgerReadError:
    return LedgerReadError("encoding", offset=offset, byte=f"0x{data[offset]:02x}")


def sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon: the one that splits most of the first lines into the same
    number (more than one) of fields. A title line ("XX名册,,,,") does not disturb it."""
    sample = "\n".join(text[:65536].splitlines()[:30])
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter)
                  if any(c.strip() for c in r)]
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        score = (count if width > 1 else 0, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_sheets(name: str, text: str, delimiter: str) -> Iterator[Sheet]:
    sheet = _sheet(name, _csv_rows(text, delimiter), [], hidden=False)
    if sheet is not None:
        yield sheet


def _csv_rows(text: str, delimiter: str) -> Iterator[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for record in reader:
        yield line, [_csv_cell(value) for value in record]
        line = reader.line_num + 1  # a quoted line break makes a record span lines


def _csv_cell(value: str) -> str:
    forced = EXCEL_TEXT.match(value)
    if forced:
        value = forced.group(1).replace('""', '"')
    return value


# --- .xlsx ---


def _xlsx_sheets(stream: BinaryIO, *, close: bool) -> Iterator[Sheet]:
    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        archive = zipfile.ZipFile(stream)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise LedgerReadError("file_unreadable", format="xlsx") from exc
    return _xlsx_worksheets(book, archive, stream if close else None)


def _xlsx_worksheets(book, archive: zipfile.ZipFile, stream: BinaryIO | None
                     ) -> Iterator[Sheet]:
    try:
        for worksheet in book.worksheets:
            # Read-only sheets do not expose their merged cells; they sit after the rows
            # in the sheet's XML, so one quick scan finds them before the rows stream.
            merges = _xlsx_merges(archive, worksheet._worksheet_path)
            worksheet.reset_dimensions()  # some writers store a wrong "A1" dimension
            rows = ((number, list(values)) for number, values in
                    enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1))
            sheet = _sheet(worksheet.title, _fill_merges(rows, merges), merges,
                           hidden=worksheet.sheet_state != "visible")
            if sheet is not None:
                yield sheet
    finally:
        archive.close()
        book.close()
        if stream is not None:
            stream.close()


def _xlsx_merges(archive: zipfile.ZipFile, member: str) -> list[Merge]:
    refs: set[bytes] = set()
    tail = b""
    with archive.open(member.lstrip("/")) as part:
        while chunk := part.read(1 << 20):
            data = tail + chunk
            if b"mergeCell" in data:
                refs.update(m.group(1) for m in MERGE_REF.finditer(data))
            tail = data[-512:]
    merges = []
    for ref in refs:
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode())
        merges.append((min_row, min_col, max_row, max_col))
    return sorted(merges)


# --- .xls ---


def _xls_sheets(data: bytes) -> Iterator[Sheet]:
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except Exception as exc:  # xlrd.XLRDError, CompDocError, struct errors…
        raise LedgerReadError("file_unreadable", format="xls") from exc
    return _xls_worksheets(book)


def _xls_worksheets(book) -> Iterator[Sheet]:
    try:
        for index in range(book.nsheets):
            worksheet = book.sheet_by_index(index)
            merges = sorted((rlo + 1, clo + 1, rhi, chi)
                            for rlo, rhi, clo, chi in worksheet.merged_cells)
            rows = ((r + 1, _xls_values(book, worksheet, r)) for r in range(worksheet.nrows))
            sheet = _sheet(worksheet.name, _fill_merges(rows, merges), merges,
                           hidden=worksheet.visibility != 0)
            if sheet is not None:
                yield sheet
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _xls_values(book, worksheet, r: int) -> list:
    values = []
    for kind, value in zip(worksheet.row_types(r), worksheet.row_values(r), strict=True):
        if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            values.append(None)
        elif kind == xlrd.XL_CELL_DATE:
            try:
                values.append(xlrd.xldate_as_datetime(value, book.datemode))
            except (ValueError, OverflowError):
                values.append(value)
        elif kind == xlrd.XL_CELL_BOOLEAN:
            values.append(bool(value))
        elif kind == xlrd.XL_CELL_ERROR:
            values.append(xlrd.error_text_from_code.get(value, "#ERR"))
        else:
            values.append(value)
    return values


# --- merged cells ---


def _fill_merges(rows: Iterator[RawRow], merges: Sequence[Merge]) -> Iterator[RawRow]:
    """A merged range's value (its top-left cell's) in every cell it covers, across
    columns and down rows, as the sheet shows it."""
    if not merges:
        yield from rows
        return
    pending = iter(merges)  # sorted by first row
    upcoming = next(pending, None)
    active: list[tuple[Merge, object]] = []
    for number, values in rows:
        while upcoming is not None and upcoming[0] <= number:
            if upcoming[0] == number:
                column = upcoming[1] - 1
                active.append((upcoming, values[column] if column < len(values) else None))
            upcoming = next(pending, None)
        if active:
            active = [(m, v) for m, v in active if m[2] >= number]
            for (_, first_col, _, last_col), value in active:
                if len(values) < last_col:
                    values.extend([None] * (last_col - len(values)))
                values[first_col - 1:last_col] = [value] * (last_col - first_col + 1)
        yield number, values


# --- cells as text ---


def cell_text(value) -> tuple[str, bool]:
    """(text, digits lost): integers as plain digits, dates as ISO yyyy-mm-dd, a number
    longer than Excel keeps as Excel shows it (3.70102199001011E+17) and flagged."""
    if value is None:
        return "", False
    if isinstance(value, str):
        return _clean(value), False
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, int):
        digits = str(abs(value))
        # A program may write all 18 digits; Excel writes 15 and zeros.
        if len(digits) > EXCEL_DIGITS and len(digits.rstrip("0")) <= EXCEL_DIGITS:
            return format(value, ".15G"), True
        return str(value), False
    if isinstance(value, float):
        if abs(value) >= 10**EXCEL_DIGITS:
            return format(value, ".15G"), True
        if value.is_integer():
            return str(int(value)), False
        plain = format(value, ".15G")
        return (format(Decimal(plain), "f") if "E" in plain else plain), False
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat(), False
        return value.isoformat(sep=" "), False
    if isinstance(value, dt.date | dt.time):
        return value.isoformat(), False
    return str(value), False


def _clean(text: str) -> str:
    """Outer spaces off (people type them after ID numbers); the apostrophe writing.py
    puts before a formula-like value taken off again."""
    text = text.strip(STRIPPED)
    if text[:1] == "'" and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def _is_text(value) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip(STRIPPED)
    return bool(text) and not NUMERIC.match(text) and not DATE_LIKE.match(text)


def _texts(values: list) -> list[str]:
    return [cell_text(v)[0] for v in values]


# --- the header ---


def _sheet(name: str, rows: Iterator[RawRow], merges: Sequence[Merge], *,
           hidden: bool) -> Sheet | None:
    rows = iter(rows)
    head: list[RawRow] = []
    for number, values in rows:
        if any(_texts(values)):
            head.append((number, values))
            if len(head) == HEADER_SCAN:
                break
    if not head:
        return None
    start, stop = _header_block(head, merges)
    header_texts = [_texts(values) for _, values in head[start:stop]]
    headers = _join_headers(header_texts)
    sheet = Sheet(name=name, headers=headers, header_rows=[n for n, _ in head[start:stop]],
                  rows=[], hidden=hidden)
    body = itertools.chain(head[stop:], rows)
    sheet.rows = _data_rows(body, headers, header_texts, sheet.skipped)
    return sheet


def _header_score(texts: list[str]) -> int:
    score = 0
    for text in set(texts):
        low = normalise_header(text).lower()
        if (low and len(low) <= 20 and sum(c.isdigit() for c in low) <= 1
                and not LABELLED.match(text)
                and (any(w in low for w in HEADER_WORDS) or LATIN_HEADER_WORDS.search(text))):
            score += 1
    return score


def _header_block(head: list[RawRow], merges: Sequence[Merge]) -> tuple[int, int]:
    """Where the header starts and stops in the first rows: the row most like a header
    (most header words, mostly text, at least two different values), else the first row
    with two values; grown up and down over rows that merged cells tie to it."""
    texts = [_texts(values) for _, values in head]
    scores = [_header_score(t) if _mostly_text(values) and _distinct(t) >= 2 else 0
              for (_, values), t in zip(head, texts, strict=True)]
    best = max(range(len(head)), key=lambda i: (scores[i], -i))
    if scores[best] < 2:
        best = next((i for i, t in enumerate(texts) if _distinct(t) >= 2), 0)
    start = best
    while start > 0 and best - start + 1 < MAX_HEADER_ROWS and _is_group_row(
            head[start - 1], head[start], merges):
        start -= 1
    stop = best + 1
    while stop < len(head) and stop - start < MAX_HEADER_ROWS and _continues_header(
            head[stop - 1], head[stop], merges):
        stop += 1
    return start, stop


def _distinct(texts: list[str]) -> int:
    return len({t for t in texts if t})


def _mostly_text(values: list) -> bool:
    filled = [v for v in values if cell_text(v)[0]]
    return sum(_is_text(v) for v in filled) * 2 > len(filled)


def _all_text(values: list) -> bool:
    filled = [v for v in values if cell_text(v)[0]]
    return bool(filled) and all(_is_text(v) for v in filled)


def _is_group_row(upper: RawRow, lower: RawRow, merges: Sequence[Merge]) -> bool:
    """A row of group headers above the header: merged over several columns, or merged
    down into the header row. A title (one value across the sheet) is not one."""
    (u, values), (low, _) = upper, lower
    texts = _texts(values)
    if low != u + 1 or _distinct(texts) < 2 or not _all_text(values):
        return False
    if any(LABELLED.match(t) for t in texts if t):
        return False
    return any((m[0] <= u and m[2] >= low) or (m[0] == m[2] == u and m[3] > m[1])
               for m in merges)


def _continues_header(upper: RawRow, lower: RawRow, merges: Sequence[Merge]) -> bool:
    """The next row is more header: a header cell merged down into it, or a group merged
    across columns that it splits; without merges, header words under gaps above."""
    (u, upper_values), (low, values) = upper, lower
    if low != u + 1 or not _all_text(values):
        return False
    texts = _texts(values)
    for first_row, first_col, last_row, last_col in merges:
        if first_row <= u < last_row:
            return True
        if first_row == last_row == u and last_col > first_col:
            under = texts[first_col - 1:last_col]
            if _distinct(under) >= 2:
                return True
    above = _texts(upper_values)
    under_gap = any(t and (c >= len(above) or not above[c]) for c, t in enumerate(texts))
    return under_gap and _header_score(texts) >= 1


def _join_headers(rows: list[list[str]]) -> list[str]:
    """One header a column: the header rows' texts top to bottom, repeats (a cell merged
    down) once, joined with "/"; a column without one is named by its letter, a repeated
    name gets #2, #3."""
    width = max(len(r) for r in rows)
    columns = []
    for c in range(width):
        parts: list[str] = []
        for row in rows:
            part = normalise_header(row[c]) if c < len(row) else ""
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        columns.append("/".join(parts))
    while columns and not columns[-1]:
        columns.pop()
    headers, seen = [], Counter()
    for c, header in enumerate(columns):
        header = header or get_column_letter(c + 1)
        seen[header] += 1
        headers.append(header if seen[header] == 1 else f"{header}#{seen[header]}")
    return headers


# --- the rows ---


def _data_rows(body: Iterable[RawRow], headers: list[str], header_texts: list[list[str]],
               skipped: list[tuple[int, str]]) -> Iterator[Row]:
    width = len(headers)
    repeated = [_padded([normalise_header(t) for t in row], width) for row in header_texts]
    for number, values in body:
        texts, lost = [], []
        for c, value in enumerate(values):
            text, digits_lost = cell_text(value)
            texts.append(text)
            if digits_lost:
                lost.append(c)
        filled = [t for t in texts if t]
        if not filled:
            continue
        texts = _padded(texts, width)
        reason = _skip_reason(texts[:width], filled, repeated)
        if reason:
            skipped.append((number, reason))
            continue
        problems = [Problem("number_precision_lost", column=headers[c]) for c in lost
                    if c < width]
        problems += [Problem("cell_without_header", column=get_column_letter(c + 1),
                             params={"column": get_column_letter(c + 1)})
                     for c in range(width, len(texts)) if texts[c]]
        yield Row(number, dict(zip(headers, texts, strict=False)), problems)


def _padded(texts: list[str], width: int) -> list[str]:
    return texts + [""] * (width - len(texts)) if len(texts) < width else texts


def _skip_reason(texts: list[str], filled: list[str], repeated: list[list[str]]) -> str:
    """Rows under the header that are not people: the header again (a ledger laid out
    for printing repeats it on every page), totals, "填表人：" footers, our watermark."""
    normalised = [normalise_header(t) for t in texts]
    if any(normalised == row[:len(normalised)] for row in repeated):
        return "repeated_header"
    if filled[0].startswith(TOTAL_WORDS):
        return "total_row"
    if len(filled) == 1 and filled[0].startswith(WATERMARK_PREFIX):
        return "watermark"
    if len(filled) <= 3 and all(LABELLED.match(t) for t in filled):
        return "footer"
    return ""
