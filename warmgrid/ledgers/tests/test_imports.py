"""Importing ledgers: encodings, nothing lost, idempotent re-import, resume, scope,
linking without overwriting, the review queue and undo."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from warmgrid.audit.models import AuditEntry
from warmgrid.errors import Conflict, Forbidden
from warmgrid.ledgers.actions import (
    do_cancel_import,
    do_keep_apart,
    do_merge,
    do_resume_import,
    do_save_template,
    do_start_import,
    do_undo,
    run_import,
)
from warmgrid.ledgers.models import (
    FieldConflict,
    FieldSource,
    LedgerImport,
    LedgerTemplate,
    RowIssue,
    RowOutcome,
)
from warmgrid.ledgers.tests.ledger_files import HEADERS, good_rows, new_id, write_csv
from warmgrid.people.models import Resident, ResidentTag, Tag
from warmgrid.testing import make_user


def run_command(path, template="registry", **options) -> str:
    out = StringIO()
    call_command("ledgers", "import", str(path), "--template", template, stdout=out,
                 stderr=StringIO(), **options)
    return out.getvalue()


def counts(job: LedgerImport) -> dict:
    return {k: getattr(job, k) for k in ("created", "linked", "unchanged", "review",
                                          "rejected")}


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_a_ledger_in_any_chinese_encoding_lands_once(world, tmp_path, encoding):
    rows = good_rows(world, 6)
    if encoding == "gb18030":
        rows[0] = ("𠮷明", *rows[0][1:])  # outside GBK: four bytes in GB18030
    bad = [("错号", new_id(90)[:17] + ("0" if new_id(90)[17] != "0" else "1"),
            "13900009999", world.building_a.name, "2", "301"),
           ("", new_id(91), "13900009998", world.building_a.name, "2", "301")]
    path = write_csv(tmp_path / "ledger.csv", rows + bad, encoding=encoding)
    before = Resident.objects.count()
    summary = run_command(path)
    job = LedgerImport.objects.get()
    assert job.status == LedgerImport.Status.DONE
    assert counts(job) == {"created": 6, "linked": 0, "unchanged": 0, "review": 0,
                           "rejected": 2}
    assert job.rows_total == 8 == sum(counts(job).values())  # nothing lost
    assert Resident.objects.count() == before + 6
    for name, *_rest in rows:
        assert Resident.objects.filter(name=name).count() == 1
    assert {i.row_number for i in RowIssue.objects.all()} == {8, 9}
    assert "6" in summary and "2" in summary


def test_importing_the_same_file_again_changes_nothing(world, tmp_path):
    path = write_csv(tmp_path / "ledger.csv", good_rows(world, 5))
    run_command(path)
    residents = list(Resident.objects.order_by("pk").values())
    second = run_command(path)
    assert list(Resident.objects.order_by("pk").values()) == residents
    again = LedgerImport.objects.order_by("-pk").first()
    assert again.duplicate_of is not None and "imported before" in second
    assert counts(again) == {"created": 0, "linked": 0, "unchanged": 5, "review": 0,
                             "rejected": 0}


def test_a_cancelled_import_resumes_where_it_stopped(world, tmp_path):
    path = write_csv(tmp_path / "ledger.csv", good_rows(world, 7))
    job = do_start_import(actor=world.community_staff, template=LedgerTemplate.objects.get(
        code="registry"), name=path.name, content=path.read_bytes())
    seen = []

    def stop_after_first_batch(progress):
        seen.append(progress.rows_done)
        do_cancel_import(actor=world.community_staff, ledger_import=progress)

    job = run_import(job, progress=stop_after_first_batch, batch=3)
    assert job.status == LedgerImport.Status.CANCELLED and job.rows_done == 3
    assert Resident.objects.filter(household__building=world.building_a).count() == 1 + 3
    job = run_import(do_resume_import(actor=world.community_staff, ledger_import=job),
                     batch=3)
    assert job.status == LedgerImport.Status.DONE and job.rows_done == 7
    assert job.created == 7 and RowOutcome.objects.filter(ledger_import=job).count() == 7


def test_rows_outside_the_importers_area_are_refused(world, tmp_path):
    """Community 2's staff cannot place rows in community 1's building, nor link to a
    resident registered there."""
    staff2 = make_user("staff_c2", ("community_staff", world.community2))
    rows = [("外区人", new_id(5), "13900001111", world.building_a.code, "2", "301"),
            ("张三", world.zhang_san.id_number_plain, "", world.building_c.name, "1", "101")]
    path = write_csv(tmp_path / "ledger.csv", rows)
    job = run_import(do_start_import(actor=staff2, template=LedgerTemplate.objects.get(
        code="registry"), name=path.name, content=path.read_bytes()))
    assert job.rejected == 2 and job.created == 0
    assert {i.code for i in RowIssue.objects.filter(ledger_import=job)} == {
        "building_unknown", "registered_elsewhere"}


def test_a_link_fills_what_is_empty_and_never_overwrites(world, tmp_path):
    zhang = world.zhang_san  # has a phone; no ethnicity set in the fixture beyond default
    Resident.objects.filter(pk=zhang.pk).update(occupation="")
    rows = [(zhang.name + "丰", zhang.id_number_plain, "13700000000", world.building_b.name,
             "1", "502")]
    headers = (*HEADERS, "职业")
    path = write_csv(tmp_path / "ledger.csv", [(*rows[0], "退休")], headers=headers)
    template = do_save_template(actor=world.community_staff, code="occupations",
                                name="职业登记", legal_basis="statutory_duty",
                                columns=[{"header": h, "field": f} for h, f in zip(
                                    headers, ("name", "id_number", "phone", "building",
                                              "unit", "room", "occupation"), strict=True)])
    job = run_import(do_start_import(actor=world.community_staff, template=template,
                                     name=path.name, content=path.read_bytes()))
    assert job.linked == 1, list(RowIssue.objects.values("column", "code", "params"))
    zhang.refresh_from_db()
    assert zhang.occupation == "退休"
    assert zhang.name == "张三" and zhang.phone_masked == "138****5678"  # not overwritten
    assert set(FieldConflict.objects.filter(resident=zhang).values_list("field", flat=True)
               ) == {"name", "phone", "household"}
    assert FieldSource.objects.filter(resident=zhang, field="occupation").exists()
    assert AuditEntry.objects.filter(object_type="resident", object_id=str(zhang.pk),
                                     changes__occupation="退休").exists()
    outcome = RowOutcome.objects.get(ledger_import=job)
    do_undo(actor=world.community_staff, outcome=outcome)
    zhang.refresh_from_db()
    assert zhang.occupation == "" and not FieldConflict.objects.filter(resident=zhang).exists()
    outcome.refresh_from_db()
    assert outcome.outcome == RowOutcome.Outcome.REVIEW
    with pytest.raises(Conflict):
        do_undo(actor=world.community_staff, outcome=outcome)  # nothing left to undo


def test_undo_keeps_what_someone_changed_since(world, tmp_path):
    zhang = world.zhang_san
    Resident.objects.filter(pk=zhang.pk).update(occupation="")
    headers = (*HEADERS, "职业")
    row = (zhang.name, zhang.id_number_plain, "", world.building_a.name, "2", "301", "退休")
    template = do_save_template(actor=world.community_staff, code="jobs", name="职业",
                                legal_basis="statutory_duty",
                                columns=[{"header": h, "field": f} for h, f in zip(
                                    headers, ("name", "id_number", "phone", "building",
                                              "unit", "room", "occupation"), strict=True)])
    path = write_csv(tmp_path / "jobs.csv", [row], headers=headers)
    job = run_import(do_start_import(actor=world.community_staff, template=template,
                                     name=path.name, content=path.read_bytes()))
    Resident.objects.filter(pk=zhang.pk).update(occupation="社区志愿者")  # corrected since
    do_undo(actor=world.community_staff, outcome=RowOutcome.objects.get(ledger_import=job))
    zhang.refresh_from_db()
    assert zhang.occupation == "社区志愿者"


def test_without_an_id_number_the_same_person_is_found_by_the_matcher(world, tmp_path):
    zhang = world.zhang_san
    headers = ("姓名", "联系电话", "楼栋", "单元", "房号", "性别", "出生日期")
    row = ("张三", "13812345678", world.building_a.name, "2", "301", "男",
           zhang.birth_date.isoformat())
    path = write_csv(tmp_path / "ledger.csv", [row], headers=headers)
    before = Resident.objects.count()
    job = run_import(do_start_import(actor=world.community_staff,
                                     template=LedgerTemplate.objects.get(code="registry"),
                                     name=path.name, content=path.read_bytes()))
    outcome = RowOutcome.objects.get(ledger_import=job)
    assert outcome.outcome == RowOutcome.Outcome.UNCHANGED and outcome.resident_id == zhang.pk
    levels = {k: v["level"] for k, v in outcome.breakdown["fields"].items()}
    assert levels["name"] == levels["phone"] == levels["birth_date"] == "exact"
    assert "values" not in str(outcome.breakdown)  # no personal values stored with it
    assert Resident.objects.count() == before


def test_a_near_match_waits_in_the_queue_to_be_merged_undone_or_kept_apart(world, tmp_path):
    """A homophone of the name at the same flat, with no birth date: a person decides."""
    zhang = world.zhang_san
    headers = ("姓名", "楼栋", "单元", "房号", "性别")
    row = ("张叁", world.building_a.name, "2", "301", "男")
    path = write_csv(tmp_path / "ledger.csv", [row], headers=headers)
    job = run_import(do_start_import(actor=world.community_staff,
                                     template=LedgerTemplate.objects.get(code="registry"),
                                     name=path.name, content=path.read_bytes()))
    outcome = RowOutcome.objects.get(ledger_import=job)
    assert outcome.outcome == RowOutcome.Outcome.REVIEW and outcome.resident_id == zhang.pk
    assert job.review == 1
    with pytest.raises(Forbidden):
        do_merge(actor=world.worker_b, outcome=outcome)  # another grid's worker
    merged = do_merge(actor=world.community_staff, outcome=outcome)
    assert merged.outcome == RowOutcome.Outcome.MERGED and merged.decided_by_id
    with pytest.raises(Conflict):
        do_merge(actor=world.community_staff, outcome=outcome)  # a second click
    assert FieldConflict.objects.filter(resident=zhang, field="name").exists()
    job.refresh_from_db()
    assert (job.review, job.linked) == (0, 1)
    back = do_undo(actor=world.community_staff, outcome=merged)
    assert back.outcome == RowOutcome.Outcome.REVIEW
    assert not FieldConflict.objects.filter(resident=zhang, field="name").exists()
    # Kept apart, the row must become a resident of its own: without a birth date the
    # registry refuses it, and says why.
    apart = do_keep_apart(actor=world.community_staff, outcome=back)
    assert apart.outcome == RowOutcome.Outcome.REJECTED
    assert RowIssue.objects.filter(ledger_import=job, code="registry_refused").exists()
    job.refresh_from_db()
    assert (job.review, job.rejected) == (0, 1)


def test_a_template_with_a_tag_puts_its_residents_in_the_group(world, tmp_path):
    low_income = Tag.objects.get(code="low_income")
    headers = ("姓名", "身份证号", "楼栋", "单元", "房号", "享受日期")
    columns = [{"header": h, "field": f} for h, f in zip(
        headers, ("name", "id_number", "building", "unit", "room", "valid_from"),
        strict=True)]
    template = do_save_template(actor=world.community_staff, code="dibao-street",
                                name="低保名册（街道格式）",
                                columns=columns, tag=low_income,
                                legal_basis="statutory_duty",
                                defaults={"relation": "other",
                                          "residence_status": "hukou"})
    rows = [("李四", world.li_si.id_number_plain, world.building_b.name, "1", "502",
             "2026-03-01"), ("新户", new_id(7), world.building_a.name, "2", "301",
                             "2026-04-01")]
    path = write_csv(tmp_path / "dibao.csv", rows, headers=headers)
    job = run_import(do_start_import(actor=world.community_staff, template=template,
                                     name=path.name, content=path.read_bytes()))
    assert (job.linked, job.created) == (1, 1)
    memberships = ResidentTag.objects.filter(tag=low_income)
    assert memberships.count() == 2
    li = memberships.get(resident=world.li_si)
    assert str(li.valid_from) == "2026-03-01" and "低保名册" in li.source


def test_kept_apart_the_row_becomes_a_resident_of_its_own(world, tmp_path):
    headers = ("姓名", "楼栋", "单元", "房号", "性别", "出生日期")
    row = ("张叁", world.building_a.name, "2", "301", "男", "1990-01-02")
    path = write_csv(tmp_path / "ledger.csv", [row], headers=headers)
    job = run_import(do_start_import(actor=world.community_staff,
                                     template=LedgerTemplate.objects.get(code="registry"),
                                     name=path.name, content=path.read_bytes()))
    outcome = RowOutcome.objects.get(ledger_import=job)
    assert outcome.outcome == RowOutcome.Outcome.REVIEW  # same flat, name sounds alike
    before = Resident.objects.count()
    apart = do_keep_apart(actor=world.community_staff, outcome=outcome)
    assert apart.outcome == RowOutcome.Outcome.KEPT_APART
    assert Resident.objects.count() == before + 1 and apart.resident.name == "张叁"


def test_a_dibao_ledger_is_recognised_and_sets_its_tag(world, tmp_path, login):
    """The built-in 低保名册: recognised by its headers, its rows in the low-income group
    from the date the ledger gives."""
    from warmgrid.ledgers.actions import template_for_headers

    template = LedgerTemplate.objects.get(code="dibao")
    headers = [c["header"] for c in template.columns]
    assert template_for_headers(reversed(headers)) == template  # any column order
    row = ["李四", world.li_si.id_number_plain, "", world.building_b.name, "1", "502", "户主",
           "2", "2026-01-01", ""]
    path = write_csv(tmp_path / "低保.csv", [row], headers=headers)
    job = run_import(do_start_import(actor=world.community_staff, template=template,
                                     name=path.name, content=path.read_bytes()))
    assert job.linked == 1
    membership = ResidentTag.objects.get(resident=world.li_si, tag__code="low_income")
    assert str(membership.valid_from) == "2026-01-01"


def test_a_worker_that_finds_its_rows_done_by_another_leaves_the_import_alone(world,
                                                                               tmp_path):
    """A resume while the first worker was still in a batch: the second worker to reach
    a batch sees rows_done moved on and stops, without marking the import done."""
    path = write_csv(tmp_path / "ledger.csv", good_rows(world, 4))
    job = do_start_import(actor=world.community_staff, template=LedgerTemplate.objects.get(
        code="registry"), name=path.name, content=path.read_bytes())
    seen = []

    def another_worker_moves_on(progress):
        if not seen:  # after the first batch, someone else handles the next rows
            LedgerImport.objects.filter(pk=progress.pk).update(rows_done=progress.rows_done + 1)
        seen.append(progress.rows_done)

    job = run_import(job, progress=another_worker_moves_on, batch=2)
    assert job.status == LedgerImport.Status.RUNNING  # not marked done by this worker
    assert RowOutcome.objects.filter(ledger_import=job).count() == 2
