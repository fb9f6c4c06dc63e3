"""`warmgrid warmth form`: check an instrument, export it as .xlsx and XForm XML."""

import pytest
from defusedxml import ElementTree as ET
from django.core.management import CommandError, call_command

from warmgrid.lib.warmth.instrument import read_instrument
from warmgrid.warmth.instruments import DEFAULT_INSTRUMENT

XFORMS = "{http://www.w3.org/2002/xforms}"


def test_the_default_instrument_exports_to_xlsx_and_xform(tmp_path, capsys):
    xlsx, xform = tmp_path / "form.xlsx", tmp_path / "form.xml"
    call_command("warmth", "form", "--xlsx", str(xlsx), "--xform", str(xform))
    assert "shequ_wendu" in capsys.readouterr().out
    # The workbook is the same instrument.
    again, original = read_instrument(xlsx), read_instrument(DEFAULT_INSTRUMENT)
    assert again.items == original.items and again.languages == original.languages
    # The XForm carries both languages, the instance ID offline clients need, and binds.
    root = ET.parse(xform).getroot()
    languages = {t.get("lang") for t in root.iter(f"{XFORMS}translation")}
    assert languages == {"Chinese (zh)", "English (en)"}
    assert any(el.tag.endswith("instanceID") for el in root.iter())
    binds = {b.get("nodeset"): b for b in root.iter(f"{XFORMS}bind")}
    assert binds["/data/outcomes/thermometer"].get("constraint") == ". >= 0 and . <= 10"
    instance = next(el for el in root.iter() if el.get("id") == "shequ_wendu")
    assert instance.get("version") == "2026.1"


def test_a_broken_form_is_refused_with_the_reason(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("| survey |\n| | type | name | label |\n| | select_one nolist | q | Q |\n",
                   encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad\.md"):
        call_command("warmth", "form", str(bad))
