"""One community's temperature card (report.community_cards) as a printable A4 PDF, to
hand out at a residents' meeting or pin on the committee's notice board.

Pure, no Django. The text is whatever the caller passes in `labels` (the view hands in
gettext output), so this module is language-neutral; it only formats numbers. Chinese is
set in reportlab's built-in CID font STSong-Light, which PDF readers supply themselves:
no font file ships with WarmGrid and none is embedded.

`labels` keys (a missing one shows its key): the words in LABEL_KEYS, and optionally
`dimensions` (name → label), `bands` (cold/cool/mild/warm → label), `items` (item name →
label; else the item's label in `language`, e.g. "Chinese (zh)", from the card) and
`note` (a line under the card, such as how it was made). Any figure the card lacks is
shown as `not_available`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
LABEL_KEYS = (
    "community", "street", "temperature", "degrees", "interval", "respondents",
    "response_rate", "rank", "rank_band", "street_average", "change", "profile",
    "dimension", "mean", "reliability", "in_temperature", "outside_temperature",
    "strongest", "weakest", "item", "not_available", "unavailable",
)
WARM = colors.HexColor("#d9622b")
MUTED = colors.HexColor("#9a9a9a")
PAGE_WIDTH = A4[0] - 36 * mm  # inside the margins


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=_font(), fontSize=10, leading=14,
                          wordWrap="CJK")
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24),
        "heading": ParagraphStyle("heading", parent=base, fontSize=12, leading=18,
                                  spaceBefore=8, spaceAfter=4),
        "big": ParagraphStyle("big", parent=base, fontSize=30, leading=36,
                              textColor=WARM),
        "note": ParagraphStyle("note", parent=base, fontSize=8, leading=11,
                               textColor=MUTED),
    }


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """Text as given: Paragraph reads markup, so <, > and & are escaped first."""
    return Paragraph(escape(str(text)), style)


class _Words:
    """The caller's labels, a key standing in for any label not given."""

    def __init__(self, labels: Mapping):
        self.labels = labels

    def __call__(self, key: str) -> str:
        return str(self.labels.get(key, key))

    def named(self, group: str, name: str) -> str:
        return str((self.labels.get(group) or {}).get(name, name))

    def item(self, row: Mapping) -> str:
        given = (self.labels.get("items") or {}).get(row.get("item"))
        if given:
            return str(given)
        own = row.get("labels") or {}
        return str(own.get(self.labels.get("language")) or row.get("item", ""))


def _number(value, pattern: str, words: _Words) -> str:
    return words("not_available") if value is None else format(value, pattern)


def _band(band, words: _Words) -> str:
    if not band or None in band:
        return words("not_available")
    low, high = band
    return f"{low:.0f}" if low == high else f"{low:.0f}-{high:.0f}"


def _headline(card: Mapping, words: _Words, styles) -> list:
    warmth = card.get("temperature") or {}
    degrees = warmth.get("degrees")
    big = f"{degrees:.1f}°" if degrees is not None else words("not_available")
    if warmth.get("band"):
        big += f"  {words.named('bands', warmth['band'])}"
    ci = warmth.get("ci_degrees")
    line = (f"{words('temperature')}: {_number(warmth.get('mean'), '.1f', words)} / 100  |  "
            f"{words('interval')}: {_band_degrees(ci, words)}")
    return [_paragraph(big, styles["big"]), _paragraph(line, styles["body"])]


def _band_degrees(ci, words: _Words) -> str:
    if not ci or None in ci:
        return words("not_available")
    return f"{ci[0]:.1f}-{ci[1]:.1f}°"


def _facts(card: Mapping, words: _Words) -> list[list[str]]:
    change = card.get("change") or {}
    street = card.get("street") or {}
    rate = card.get("response_rate")
    rank = card.get("rank")
    rank_text = (words("not_available") if rank is None
                 else f"{rank} / {card['of']}" if card.get("of") else str(rank))
    moved = change.get("degrees")
    return [
        [words("respondents"), _number(card.get("n"), "d", words)],
        [words("response_rate"), _number(rate, ".0%", words)],
        [words("rank"), rank_text],
        [words("rank_band"), _band(card.get("rank_band"), words)],
        [words("street_average"),
         words("not_available") if street.get("degrees") is None
         else f"{street['degrees']:.1f}°"],
        [words("change"), words("not_available") if moved is None else f"{moved:+.1f}°"],
    ]


def _profile(card: Mapping, words: _Words) -> list[list[str]]:
    changes = (card.get("change") or {}).get("dimensions") or {}
    alphas = card.get("reliability") or {}
    rows = [[words("dimension"), words("mean"), words("change"), words("reliability")]]
    for name, row in (card.get("dimensions") or {}).items():
        label = words.named("dimensions", name)
        if row.get("in_temperature") is False:
            label += f" ({words('outside_temperature')})"
        alpha = (alphas.get(name) or {}).get("alpha")
        rows.append([label, _number(row.get("mean"), ".1f", words),
                     _number(changes.get(name), "+.1f", words),
                     words("unavailable") if alpha is None else f"α {alpha:.2f}"])
    return rows


def _bars(card: Mapping, words: _Words) -> Drawing | None:
    """A horizontal bar per dimension on 0–100; temperature dimensions in the warm colour."""
    dimensions = [(name, row) for name, row in (card.get("dimensions") or {}).items()
                  if row.get("mean") is not None]
    if not dimensions:
        return None
    row_height, label_width = 16, 45 * mm
    bar_width = PAGE_WIDTH - label_width - 15 * mm
    drawing = Drawing(PAGE_WIDTH, row_height * len(dimensions) + 4)
    for i, (name, row) in enumerate(dimensions):
        y = (len(dimensions) - 1 - i) * row_height + 4
        drawing.add(String(0, y + 3, words.named("dimensions", name), fontName=_font(),
                           fontSize=9))
        drawing.add(Rect(label_width, y, bar_width, row_height - 5, fillColor=colors.whitesmoke,
                         strokeColor=None))
        colour = WARM if row.get("in_temperature", True) else MUTED
        drawing.add(Rect(label_width, y, bar_width * max(0.0, min(row["mean"], 100)) / 100,
                         row_height - 5, fillColor=colour, strokeColor=None))
        drawing.add(String(label_width + bar_width + 3, y + 3, f"{row['mean']:.0f}",
                           fontName=_font(), fontSize=9))
    return drawing


def _items(rows, words: _Words, styles) -> list[list]:
    return [[words("item"), words("mean")]] + [
        [_paragraph(words.item(row), styles["body"]), _number(row.get("mean"), ".1f", words)]
        for row in rows or []]


def _table(rows: list[list], widths: list[float], *, header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    style = [("FONTNAME", (0, 0), (-1, -1), _font()), ("FONTSIZE", (0, 0), (-1, -1), 10),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
             ("ALIGN", (1, 0), (-1, -1), "RIGHT")]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f4ede6"))]
    table.setStyle(TableStyle(style))
    return table


def render_card_pdf(card: Mapping, labels: Mapping, *, title: str) -> bytes:
    """One community's card as A4 PDF bytes (see the module docstring)."""
    words = _Words(labels)
    styles = _styles()
    street = (card.get("street") or {}).get("code")
    where = f"{words('community')}: {card.get('community', '')}"
    if street:
        where += f"  |  {words('street')}: {street}"
    story: list = [_paragraph(title, styles["title"]), _paragraph(where, styles["body"]),
                   Spacer(1, 4 * mm), *_headline(card, words, styles), Spacer(1, 4 * mm),
                   _table(_facts(card, words), [70 * mm, 50 * mm], header=False),
                   _paragraph(words("profile"), styles["heading"]),
                   _table(_profile(card, words), [PAGE_WIDTH - 90 * mm, 25 * mm, 25 * mm,
                                                  40 * mm])]
    bars = _bars(card, words)
    if bars is not None:
        story += [Spacer(1, 3 * mm), bars]
    for key in ("strongest", "weakest"):
        if card.get(key):
            story += [_paragraph(words(key), styles["heading"]),
                      _table(_items(card[key], words, styles), [PAGE_WIDTH - 30 * mm, 30 * mm])]
    if labels.get("note"):
        story += [Spacer(1, 6 * mm), _paragraph(labels["note"], styles["note"])]
    out = io.BytesIO()
    # invariant: no creation time or random id, so the same card gives the same bytes.
    document = SimpleDocTemplate(out, pagesize=A4, title=title, creator="WarmGrid",
                                 leftMargin=18 * mm, rightMargin=18 * mm,
                                 topMargin=18 * mm, bottomMargin=18 * mm, invariant=True)
    document.build(story)
    return out.getvalue()
