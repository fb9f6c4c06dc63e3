"""The rejected rows of an import, handed back as a spreadsheet the user fixes and imports
again: the ledger's own headers and values, a first column saying what is wrong, and each
offending cell filled red with a comment naming its problem.

The messages come already worded (the Django side translates the reason codes); this
module only lays them out. Values are written as text cells in the Text ("@") format, so
that an ID number the user corrects stays text, and formula-like values are neutralised
as in writing.py (reading.py takes the apostrophe off again). The problems column,
PROBLEMS_HEADER, is left out of the header signature, so the fixed file finds the same
column mapping. CSV gives the same without colours or comments.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from warmgrid.lib.ledgers.reading import PROBLEMS_HEADER
from warmgrid.lib.ledgers.writing import Target, neutralise, sheet_title, text_target

PROBLEM_FILL = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFD9D9D9", end_color="FFD9D9D9")
COMMENT_AUTHOR = "WarmGrid"
TEXT_FORMAT = "@"


@dataclass
class AnnotatedRow:
    values: Mapping[str, str]  # the ledger's header → the value as read
    messages: Sequence[str]  # the row's problems, worded, for the first column
    # header → the worded problem(s) of that cell: the cell is filled and commented
    cells: Mapping[str, str | Sequence[str]] = field(default_factory=dict)


@dataclass
class AnnotatedSheet:
    name: str
    headers: Sequence[str]
    rows: Iterable[AnnotatedRow]


def write_annotated_xlsx(target: Target, sheets: Sequence[AnnotatedSheet]) -> None:
    """One worksheet per ledger sheet that had rejected rows, in the same order."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for annotated in sheets:
        sheet = book.create_sheet(sheet_title(annotated.name, book.sheetnames))
        _fill_sheet(sheet, annotated)
    if not book.sheetnames:
        book.create_sheet("Sheet1").append([PROBLEMS_HEADER])
    book.save(target)


def _fill_sheet(sheet, annotated: AnnotatedSheet) -> None:
    headers = list(annotated.headers)
    sheet.append([PROBLEMS_HEADER, *(neutralise(h) for h in headers)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(annotated.rows, start=2):
        problems = sheet.cell(row=r, column=1, value=neutralise("\n".join(row.messages)))
        problems.alignment = wrap
        for c, header in enumerate(headers, start=2):
            cell = sheet.cell(row=r, column=c, value=neutralise(row.values.get(header) or ""))
            cell.number_format = TEXT_FORMAT
            message = row.cells.get(header)
            if message:
                text = message if isinstance(message, str) else "\n".join(message)
                cell.fill = PROBLEM_FILL
                cell.comment = Comment(text, COMMENT_AUTHOR, height=120, width=240)
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 40
    for c, header in enumerate(headers, start=2):
        sheet.column_dimensions[get_column_letter(c)].width = max(10, min(30, len(header) * 2 + 2))


def write_annotated_csv(target: Target, headers: Sequence[str],
                        rows: Iterable[AnnotatedRow]) -> None:
    """One sheet's rejected rows as CSV (UTF-8 with a BOM): the problems first column,
    then the ledger's columns; no highlighting, so the messages name the columns."""
    with text_target(target) as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([PROBLEMS_HEADER, *(neutralise(h) for h in headers)])
        for row in rows:
            writer.writerow([neutralise("\n".join(row.messages)),
                             *(neutralise(row.values.get(h) or "") for h in headers)])
