"""The printed community card: an A4 PDF in the built-in Chinese font whose text can be
read back, from a real card and from one with most pieces missing."""

import base64
import re
import zlib

from warmgrid.lib.tests.test_warmth_report import EFFECTS, SIZES, generate, make_instrument
from warmgrid.lib.warmth.pdf import LABEL_KEYS, render_card_pdf
from warmgrid.lib.warmth.report import community_cards

LABELS = {
    **{key: key for key in LABEL_KEYS},
    "temperature": "社区温度", "strongest": "做得最好的三项", "weakest": "最需改进的三项",
    "street_average": "街道平均", "respondents": "受访人数",
    "dimensions": {"interests": "利益", "capital": "社会资本"},
    "bands": {"cold": "冷", "cool": "凉", "mild": "温", "warm": "暖"},
    "language": "Chinese (zh)", "note": "按 <5 人不显示 & 其他规则",
}


def _streams(pdf: bytes):
    """Each stream's bytes, its filters undone (reportlab: ASCII85 then Flate)."""
    for match in re.finditer(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        head, body = match.groups()
        if b"ASCII85Decode" in head:
            body = base64.a85decode(body.strip().removesuffix(b"~>"))
        if b"FlateDecode" in head:
            body = zlib.decompress(body)
        yield body


def _literal(raw: bytes) -> bytes:
    """A PDF literal string's bytes, escapes undone."""
    out, i = bytearray(), 0
    simple = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b",
              ord("f"): b"\f"}
    while i < len(raw):
        if raw[i] != ord("\\"):
            out.append(raw[i])
            i += 1
            continue
        nxt = raw[i + 1]
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
        if octal:
            out.append(int(octal.group(), 8))
            i += 1 + len(octal.group())
        else:
            out += simple.get(nxt, bytes([nxt]))
            i += 2
    return bytes(out)


def shown_text(pdf: bytes) -> str:
    """The strings the pages show, each read as the CID font's UCS-2 (Latin strings come
    out as noise, which does not matter for finding Chinese)."""
    parts = []
    for stream in _streams(pdf):
        for raw in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", stream, re.S):
            parts.append(_literal(raw).decode("utf-16-be", errors="replace"))
    return "".join(parts)


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page(?!s)", pdf))


def a_card() -> dict:
    answers, codes = generate(EFFECTS, SIZES, seed=81)
    result = community_cards(make_instrument(), answers, codes, draws=100,
                             parents={"c0": "东街"}, response_rates={"c0": 0.62})
    return result["communities"]["c0"]


def test_it_renders_a_card_in_the_built_in_chinese_font():
    card = a_card()
    pdf = render_card_pdf(card, LABELS, title="幸福社区 社区温度卡")
    assert pdf.startswith(b"%PDF")
    assert b"/BaseFont /STSong-Light" in pdf
    assert b"/Encoding /UniGB-UCS2-H" in pdf
    assert page_count(pdf) == 1
    text = shown_text(pdf)
    for label in ("幸福社区 社区温度卡", "做得最好的三项", "最需改进的三项", "街道平均", "利益",
                  "东街", "按 <5 人不显示 & 其他规则"):
        assert label in text, label
    best = card["strongest"][0]
    assert f"题目 {best['item']}" in text  # the item's own label in the chosen language
    assert f"{card['temperature']['degrees']:.1f}°" in text
    assert band_label(card) in text
    assert render_card_pdf(card, LABELS, title="幸福社区 社区温度卡") == pdf  # reproducible


def band_label(card: dict) -> str:
    return LABELS["bands"][card["temperature"]["band"]]


def test_a_card_with_missing_pieces_still_renders():
    sparse = {"community": "c9", "temperature": {"mean": None, "degrees": None},
              "dimensions": {"interests": {"mean": None, "in_temperature": True},
                             "outcomes": {"mean": 61.0, "in_temperature": False}},
              "reliability": {"interests": {"alpha": None, "unavailable": "single_item"}},
              "change": None, "street": None, "rank_band": None}
    pdf = render_card_pdf(sparse, {"not_available": "暂无"}, title="空白卡")
    assert pdf.startswith(b"%PDF") and page_count(pdf) == 1
    text = shown_text(pdf)
    assert "空白卡" in text and "暂无" in text
    assert render_card_pdf({}, {}, title="Empty").startswith(b"%PDF")
