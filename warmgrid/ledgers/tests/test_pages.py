"""Ledger pages: upload, mapping with preview, progress, error report, review queue,
history and export — within the user's areas; exports masked by role, injection-safe,
watermarked and audited."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from warmgrid.audit.models import AuditEntry
from warmgrid.celery import app
from warmgrid.ledgers.models import LedgerExport, LedgerImport
from warmgrid.ledgers.tests.ledger_files import good_rows, new_id, write_csv
from warmgrid.people.models import Resident


@pytest.fixture(autouse=True)
def eager():
    """The worker's tasks run at once, as the embedded default's worker would run them."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def upload(client, path, template=""):
    with open(path, "rb") as handle:
        return client.post(reverse("ledgers:upload"), {"file": handle, "template": template})


def test_an_upload_in_the_registry_format_is_recognised_and_imported(login, world,
                                                                      tmp_path):
    staff = login(world.community_staff)
    bad = ("坏号", "370102196105041234", "1", world.building_a.name, "2", "301")
    rows = [*good_rows(world, 3), bad]
    response = upload(staff, write_csv(tmp_path / "名册.csv", rows))
    job = LedgerImport.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/")
    assert job.template.code == "registry" and job.status == LedgerImport.Status.DONE
    progress = staff.get(reverse("ledgers:import", args=[job.pk]) + "?format=json").json()
    assert progress["rows_done"] == progress["rows_total"] == 4
    assert progress["created"] == 3 and progress["rejected"] == 1
    page = staff.get(reverse("ledgers:import", args=[job.pk])).content.decode()
    assert "坏号" not in page  # problems are shown by row and column, not by value
    report = staff.get(reverse("ledgers:errors", args=[job.pk]))
    book = openpyxl.load_workbook(io.BytesIO(report.content))
    text = " ".join(str(c.value) for row in book.active.iter_rows() for c in row if c.value)
    assert "坏号" in text  # the rejected row comes back to be fixed
    assert all(name not in text for name, *_ in rows[:3])  # the good rows do not
    history = staff.get(reverse("ledgers:history", args=["registry"])).content.decode()
    assert "名册.csv" in history


def test_unknown_headers_go_through_the_mapping_page(login, world, tmp_path):
    staff = login(world.community_staff)
    headers = ("户主姓名", "身份证号码", "手机号", "楼号", "单元", "房间号", "备注")
    rows = [(name, pid, phone, b, u, r, "x") for name, pid, phone, b, u, r in
            good_rows(world, 2)]
    response = upload(staff, write_csv(tmp_path / "残联.csv", rows, headers=headers))
    job = LedgerImport.objects.get()
    assert response["Location"] == reverse("ledgers:mapping", args=[job.pk])
    page = staff.get(response["Location"]).content.decode()
    assert "****" in page and rows[0][1] not in page  # the preview masks ID numbers
    form = {"code": "canlian", "name": "残疾人名册", "legal_basis": "statutory_duty",
            "column_0": "name", "column_1": "id_number", "column_2": "phone",
            "column_3": "building", "column_4": "unit", "column_5": "room", "column_6": ""}
    done = staff.post(response["Location"], form)
    assert done.status_code == 302
    job.refresh_from_db()
    assert job.template.code == "canlian" and job.created == 2, (
        job.status, list(job.issues.values("column", "code")))
    # The next ledger with these headers is recognised without mapping.
    upload(staff, write_csv(tmp_path / "残联2.csv", rows, headers=headers))
    assert LedgerImport.objects.order_by("-pk").first().template.code == "canlian"


def test_imports_outside_the_area_are_not_found(login, world, tmp_path):
    staff = login(world.community_staff)
    upload(staff, write_csv(tmp_path / "a.csv", good_rows(world, 1)))
    job = LedgerImport.objects.get()
    for user in (world.worker_b, world.street2_admin, world.resident_a):
        client = login(user)
        assert client.get(reverse("ledgers:import", args=[job.pk])).status_code == 404
        assert client.get(reverse("ledgers:errors", args=[job.pk])).status_code == 404
    assert login(world.resident_a).get(reverse("ledgers:index")).status_code == 404


def export(client, code="registry", file_format="xlsx", reason="民政核对低保"):
    response = client.post(reverse("ledgers:export"), {"template": code,
                                                       "format": file_format,
                                                       "reason": reason})
    job = LedgerExport.objects.order_by("-pk").first()
    assert response.status_code == 302 and job.status == LedgerExport.Status.DONE
    return job, client.get(reverse("ledgers:export_download", args=[job.pk]))


def cells(download) -> list[list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    return [[str(c.value or "") for c in row] for row in book.active.iter_rows()]


def test_exports_are_scoped_masked_by_role_neutralised_and_watermarked(login, world):
    Resident.objects.filter(pk=world.zhang_san.pk).update(occupation="=HYPERLINK(1)")
    job, download = export(login(world.worker_a))
    table = cells(download)
    text = "\n".join(",".join(r) for r in table)
    assert "张三" in text and "李四" not in text and "王五" not in text  # grid A only
    assert world.zhang_san.id_number_masked in text  # a grid worker: ID masked
    assert world.zhang_san.id_number_plain not in text
    assert "13812345678" in text  # ...but may see phones whole
    assert "=HYPERLINK" not in [c for row in table for c in row]
    assert any(c.startswith("'=HYPERLINK") for row in table for c in row)
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    assert "worker_a" in (book.properties.description or "")  # the watermark names who
    assert "worker_a" in (book.active.oddFooter.center.text or "")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT, object_type="ledger")
    assert entry.changes["rows"] == 1 and entry.changes["whole_identifiers"] is True
    _job2, download2 = export(login(world.community_staff), file_format="csv")
    body = download2.content.decode("utf-8-sig")
    assert world.zhang_san.id_number_plain in body and "李四" in body  # staff: whole IDs
    assert "王五" not in body
    assert login(world.worker_b).get(reverse("ledgers:export_download", args=[job.pk])
                                     ).status_code == 404  # someone else's export
    assert entry.changes["reason"] == "民政核对低保"


def test_an_export_with_whole_identifiers_needs_a_reason_and_is_handed_out_once(
        login, world):
    worker = login(world.worker_a)  # may see phones whole
    refused = worker.post(reverse("ledgers:export"), {"template": "registry",
                                                      "format": "csv", "reason": ""})
    assert refused.status_code == 200 and not LedgerExport.objects.exists()
    job, first = export(worker, file_format="csv")
    assert first.status_code == 200 and "张三" in first.content.decode("utf-8-sig")
    again = worker.get(reverse("ledgers:export_download", args=[job.pk]))
    assert again.status_code == 404  # deleted once collected
    job.refresh_from_db()
    assert job.file_cipher == ""


def test_the_review_page_shows_both_sides_masked(login, world, tmp_path):
    from warmgrid.ledgers.models import RowOutcome

    staff = login(world.community_staff)
    headers = ("姓名", "公民身份号码", "楼栋", "单元", "房号", "出生日期", "备注")
    upload(staff, write_csv(tmp_path / "r.csv", [
        ("张叁", new_id(3), world.building_a.name, "2", "301", new_id(3)[6:14],
         "残疾证" + new_id(3) + "11")], headers=headers), template="registry")
    outcome = RowOutcome.objects.get()
    RowOutcome.objects.filter(pk=outcome.pk).update(outcome=RowOutcome.Outcome.REVIEW,
                                                    resident=world.zhang_san)
    page = staff.get(reverse("ledgers:review")).content.decode()
    assert "张叁" in page and world.zhang_san.id_number_masked in page
    assert new_id(3) not in page  # not as the ID, not inside another column either
    assert "残疾证" not in page  # an unmapped column is not shown to a reviewer
    assert new_id(3)[6:14] not in page and new_id(3)[6:10] in page  # birth date: its year
    merged = staff.post(reverse("ledgers:decide", args=[outcome.pk, "merge"]))
    assert merged.status_code == 302
    outcome.refresh_from_db()
    assert outcome.outcome == RowOutcome.Outcome.MERGED
    assert login(world.worker_b).post(
        reverse("ledgers:decide", args=[outcome.pk, "undo"])).status_code == 404


def test_an_export_that_breaks_says_so_instead_of_waiting_forever(login, world,
                                                                  monkeypatch):
    from warmgrid.lib.ledgers import writing

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(writing, "write_csv", broken)
    client = login(world.worker_a)
    client.post(reverse("ledgers:export"), {"template": "registry", "format": "csv",
                                            "reason": "核对低保名单"})
    job = LedgerExport.objects.get()
    assert job.status == LedgerExport.Status.FAILED and "failed" in job.error
    assert client.get(reverse("ledgers:export_download", args=[job.pk])).status_code == 404
