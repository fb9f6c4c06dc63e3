"""Writing a department's ledger back out of the registry, in the department's own
columns and order, as .xlsx and CSV.

Two things every export carries. Text that a spreadsheet would run as a formula (=, +, -,
@, a tab or carriage return first) gets a leading apostrophe, kept in the value itself so
that it survives the file being converted or pasted elsewhere — except in columns the
caller marks numeric, where a real number (-12.5) stays a number. And a watermark of
who exported it and when: in .xlsx the page header and footer (printed on every page)
and the document properties, leaving row 1 the headers so the file imports again as it
is; in CSV the last line, "导出人: X  时间: Y", a single cell that reading.py recognises
and skips — a first line would break every other program's import.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from warmgrid.lib.ledgers.reading import FORMULA_STARTS, WATERMARK_PREFIX

NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
SHEET_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")
EXCEL_DIGITS = 15

Target = str | Path | BinaryIO
LedgerRow = Sequence[str] | Mapping[str, str]


def neutralise(value, *, numeric: bool = False) -> str:
    """"=HYPERLINK(…)" → "'=HYPERLINK(…)"; in a numeric column "-12.5" stays as it is."""
    text = "" if value is None else str(value)
    if numeric and NUMBER.match(text):
        return text
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def watermark(exported_by: str, exported_at: dt.datetime) -> str:
    """"导出人: 王芳  时间: 2026-11-27 14:05+08:00"; the time must be timezone-aware."""
    if exported_at.tzinfo is None:
        raise ValueError("exported_at must be timezone-aware")
    who = " ".join(str(exported_by).split())
    return f"{WATERMARK_PREFIX} {who}  时间: {exported_at.isoformat(sep=' ', timespec='minutes')}"


def sheet_title(name: str, taken: Collection[str] = ()) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unique among `taken`."""
    base = SHEET_TITLE_CHARS.sub("_", name).strip("'") or "Sheet"
    title, n = base[:31], 1
    while title.lower() in {t.lower() for t in taken}:
        n += 1
        title = f"{base[:31 - len(str(n)) - 1]}~{n}"
    return title


def write_xlsx(target: Target, *, headers: Sequence[str], rows: Iterable[LedgerRow],
               exported_by: str, exported_at: dt.datetime, numeric: Collection[str] = (),
               sheet_name: str = "Sheet1") -> None:
    """Headers in row 1 (bold, frozen), one row each after; every cell text except the
    numbers of `numeric` columns. Streams: 100,000 rows take seconds and little memory."""
    mark = watermark(exported_by, exported_at)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(sheet_name))
    sheet.freeze_panes = "A2"
    for part in (sheet.oddHeader.right, sheet.oddFooter.center):
        part.text = mark.replace("&", "&&")  # & starts a header/footer code
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=neutralise(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    numeric_at = [h in numeric for h in headers]
    for row in rows:
        sheet.append([_xlsx_value(text, number) for text, number in
                      zip(_aligned(row, headers), numeric_at, strict=True)])
    properties = book.properties
    properties.creator = properties.lastModifiedBy = " ".join(str(exported_by).split())
    when = exported_at.astimezone(dt.UTC).replace(tzinfo=None)  # the file stores UTC
    properties.created = properties.modified = when
    properties.description = mark
    book.save(target)


def _xlsx_value(text: str, numeric: bool):
    if numeric and NUMBER.match(text):
        digits = len(text.lstrip("+-").replace(".", "").lstrip("0"))
        if digits <= EXCEL_DIGITS:  # a longer "number" would lose digits in Excel
            return float(text) if "." in text else int(text)
    return neutralise(text)


def write_csv(target: Target, *, headers: Sequence[str], rows: Iterable[LedgerRow],
              exported_by: str, exported_at: dt.datetime,
              numeric: Collection[str] = ()) -> None:
    """UTF-8 with a byte-order mark (Excel then reads Chinese), CRLF lines as RFC 4180,
    the watermark as the last line."""
    mark = watermark(exported_by, exported_at)
    numeric_at = [h in numeric for h in headers]
    with text_target(target) as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([neutralise(h) for h in headers])
        for row in rows:
            writer.writerow([neutralise(text, numeric=number) for text, number in
                             zip(_aligned(row, headers), numeric_at, strict=True)])
        writer.writerow([mark])


def _aligned(row: LedgerRow, headers: Sequence[str]) -> list[str]:
    """A row as text in the headers' order, from a sequence or a {header: text} mapping."""
    if isinstance(row, Mapping):
        values = [row.get(h) for h in headers]
    else:
        values = list(row) + [None] * (len(headers) - len(row))
        if len(values) > len(headers):
            raise ValueError(f"A row of {len(values)} values for {len(headers)} headers.")
    return ["" if v is None else str(v) for v in values]


@contextlib.contextmanager
def text_target(target: Target) -> Iterator[io.TextIOWrapper]:
    """A path or a binary stream as UTF-8-with-BOM text; a stream passed in stays open."""
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8-sig", newline="") as stream:
            yield stream
        return
    stream = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    try:
        yield stream
    finally:
        stream.flush()
        stream.detach()
