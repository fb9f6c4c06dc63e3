"""Every reason a row can be refused has words of its own; the command shows progress
and a summary; a resident's page shows where their data came from and what disagrees."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from warmgrid.ledgers.messages import MESSAGES, UNKNOWN, issue_message
from warmgrid.ledgers.tests.ledger_files import HEADERS, good_rows, write_csv
from warmgrid.lib.ledgers import reading, validation


def test_every_reason_code_is_worded():
    codes = set(validation.REASONS) | set(reading.READ_ERRORS)
    generic = str(UNKNOWN) % {"code": "x"}
    for code in codes:
        text = issue_message(code, {"min": 2, "max": 20, "earliest": "1900-01-01",
                                    "latest": "2026-11-27", "column": "F", "byte": "0xff",
                                    "offset": 7, "length": 17, "detected": "html",
                                    "format": "xlsx"})
        assert text and text != generic, code
        assert "%(" not in text, code
    assert set(MESSAGES) >= {c for c in codes if not c.endswith("_missing")}


def test_the_command_shows_progress_and_a_summary(world, tmp_path):
    bad = ("坏", "123", "1", world.building_a.name, "2", "301")
    path = write_csv(tmp_path / "ledger.csv", [*good_rows(world, 3), bad])
    out, err = StringIO(), StringIO()
    call_command("ledgers", "import", str(path), "--template", "registry", stdout=out,
                 stderr=err)
    assert "4 / 4" in err.getvalue()  # rows done of all
    summary = out.getvalue()
    assert "3 new residents" in summary and "1 rejected" in summary
    assert "An ID number has 18 characters." in summary


def test_the_resident_page_shows_sources_and_disagreements(world, tmp_path, login):
    zhang = world.zhang_san
    rows = [("张三丰", zhang.id_number_plain, "13700000000", world.building_a.name, "2",
             "301")]
    call_command("ledgers", "import", str(write_csv(tmp_path / "l.csv", rows,
                                                     headers=HEADERS)),
                 "--template", "registry", stdout=StringIO(), stderr=StringIO())
    page = login(world.community_staff).get(
        reverse("people:resident_detail", args=[zhang.pk])).content.decode()
    assert "张三丰" in page and "l.csv" in page
    assert "137****0000" in page and "13700000000" not in page  # masked in the conflict
