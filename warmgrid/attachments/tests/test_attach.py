"""Checking and storing photos (attachments/actions.py): limits, refusals that name the
file, who may attach, what reaches the disk, and the audit entry."""

from __future__ import annotations

import hashlib
import re
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from warmgrid.attachments import actions as attach
from warmgrid.attachments.models import Attachment
from warmgrid.attachments.tests.photos import (
    GPS_IFD,
    jpeg_bytes,
    png_bytes,
    png_header_only,
    upload,
)
from warmgrid.audit.models import AuditEntry
from warmgrid.cases import actions as case_actions
from warmgrid.cases.models import Case
from warmgrid.errors import Conflict, Forbidden, ValidationFailed
from warmgrid.lib import images


def resident_report(world):
    return case_actions.do_report_case(
        actor=world.resident_a, channel=Case.Channel.RESIDENT,
        data=case_actions.CaseInput(description="楼道灯坏了，晚上很黑",
                                    category=None, household=world.household_a))


def worker_report(world, actor=None):
    from warmgrid.cases.models import Category

    return case_actions.do_report_case(
        actor=actor or world.worker_a, channel=Case.Channel.GRID_WORKER,
        data=case_actions.CaseInput(description="3号楼门口垃圾没人清运",
                                    category=Category.objects.get(code="garbage"),
                                    household=world.household_a))


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def test_a_resident_attaches_photos_to_their_own_report(world, media_root):
    case = resident_report(world)
    stored = attach.do_attach_photos(
        actor=world.resident_a, case=case, kind=Attachment.Kind.REPORT,
        files=[upload(jpeg_bytes(), name="../../etc/IMG_0001.jpg"),
               upload(png_bytes(), name="楼道.png", content_type="image/png")])
    assert [a.content_type for a in stored] == ["image/jpeg", "image/png"]
    first = stored[0]
    assert first.event.action == "report" and first.uploaded_by == world.resident_a
    assert first.original_name == "IMG_0001.jpg"  # folders gone: display only
    # A random name under cases/<yyyy>/<mm>/; nothing of the client's name on disk.
    assert re.fullmatch(r"cases/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", first.file.name)
    assert "IMG_0001" not in first.file.name and "楼道" not in stored[1].file.name
    data = first.file.read()
    assert hashlib.sha256(data).hexdigest() == first.sha256 and len(data) == first.size
    image = Image.open(BytesIO(data))
    assert not image.getexif() and not image.getexif().get_ifd(GPS_IFD)
    assert (first.width, first.height) == image.size == (64, 48)
    assert len(files_under(media_root)) == 4  # each photo and its preview


def test_it_is_audited_on_the_case(world):
    case = resident_report(world)
    attach.do_attach_photos(actor=world.resident_a, case=case, kind=Attachment.Kind.REPORT,
                            files=[upload(jpeg_bytes()), upload(jpeg_bytes())],
                            ip_address="10.0.0.8")
    entry = AuditEntry.objects.filter(object_type="case", object_id=str(case.pk)).latest("seq")
    assert entry.changes["photos_added"] == 2 and entry.changes["kind"] == "report"
    assert (entry.actor_id, entry.area_path, entry.ip_address) == (
        world.resident_a.pk, case.area_path, "10.0.0.8")


def test_a_resident_cannot_attach_to_someone_elses_case(world):
    case = worker_report(world)
    for kind in Attachment.Kind.values:
        with pytest.raises(Forbidden):
            attach.do_attach_photos(actor=world.resident_a, case=case, kind=kind,
                                    files=[upload(jpeg_bytes())])
    assert not Attachment.objects.exists()


def test_outsiders_and_other_grids_cannot_attach_handling_photos(world):
    case = worker_report(world)
    for person in (world.outsider, world.worker_b, world.street2_admin, world.volunteer):
        with pytest.raises(Forbidden):
            attach.do_attach_photos(actor=person, case=case, kind=Attachment.Kind.HANDLING,
                                    files=[upload(jpeg_bytes())])
    stored = attach.do_attach_photos(actor=world.worker_a, case=case,
                                     kind=Attachment.Kind.HANDLING,
                                     files=[upload(jpeg_bytes())])
    assert stored[0].kind == "handling"


def test_a_closed_case_takes_no_more_photos(world):
    case = worker_report(world)
    case_actions.do_accept_case(actor=world.worker_a, case=case)
    case_actions.do_resolve_case(actor=world.worker_a, case=case, outcome="fixed", result="已清运")
    case_actions.do_close_case(actor=world.community_staff, case=case)
    with pytest.raises(Conflict):
        attach.do_attach_photos(actor=world.worker_a, case=case.__class__.objects.get(pk=case.pk),
                                kind=Attachment.Kind.REPORT, files=[upload(jpeg_bytes())])


def test_ten_photos_are_refused(world):
    case = resident_report(world)
    with pytest.raises(ValidationFailed) as refused:
        attach.do_attach_photos(actor=world.resident_a, case=case, kind="report",
                                files=[upload(jpeg_bytes()) for _ in range(10)])
    assert refused.value.fields == {"photos": ["Choose at most 9 photos."]}
    assert not Attachment.objects.exists()


def test_a_report_holds_nine_photos_however_they_come(world, media_root):
    case = resident_report(world)
    attach.do_attach_photos(actor=world.resident_a, case=case, kind="report",
                            files=[upload(jpeg_bytes()) for _ in range(7)])
    with pytest.raises(ValidationFailed) as refused:
        attach.do_attach_photos(actor=world.resident_a, case=case, kind="report",
                                files=[upload(jpeg_bytes()) for _ in range(3)])
    assert "already has 7" in refused.value.fields["photos"][0]
    assert Attachment.objects.count() == 7
    assert len(files_under(media_root)) == 14  # the refused three left no file behind


def test_each_bad_file_is_named_in_its_own_message(world):
    case = resident_report(world)
    html = upload(b"<html><script>alert(1)</script></html>", name="photo.jpg")
    svg = upload(b'<svg xmlns="http://www.w3.org/2000/svg"/>', name="map.svg",
                 content_type="image/svg+xml")
    broken = jpeg_bytes(size=(200, 200))
    truncated = upload(broken[: len(broken) // 2], name="half.jpg")
    bomb = upload(png_header_only(100_000, 100_000), name="bomb.png")
    with pytest.raises(ValidationFailed) as refused:
        attach.do_attach_photos(actor=world.resident_a, case=case, kind="report",
                                files=[upload(jpeg_bytes(), name="good.jpg"), html, svg,
                                       truncated, bomb])
    assert refused.value.fields["photos"] == [
        "“photo.jpg” is not a JPEG, PNG or WebP photo.",
        "“map.svg” is not a JPEG, PNG or WebP photo.",
        "“half.jpg” is damaged or incomplete and cannot be read.",
        "“bomb.png” has too many pixels: at most 40 megapixels.",
    ]
    assert not Attachment.objects.exists()  # the good one is not kept alone either


def test_an_oversize_upload_is_refused_before_it_is_decoded(world, settings, monkeypatch):
    settings.WARMGRID_UPLOAD_MAX_BYTES = 1024 * 1024

    def never(*args, **kwargs):
        raise AssertionError("decoded a file that was too large")

    monkeypatch.setattr(images, "clean_image", never)
    big = upload(b"\xff\xd8\xff" + b"\x00" * (1024 * 1024), name="huge.jpg")
    with pytest.raises(ValidationFailed) as refused:
        attach.check_photos([big])
    assert refused.value.fields["photos"] == ["“huge.jpg” is larger than 1 MB."]


def test_nothing_stays_on_disk_when_the_write_fails(world, media_root, monkeypatch):
    case = resident_report(world)

    def broken_audit(**kwargs):
        raise RuntimeError("the audit chain is locked")

    monkeypatch.setattr(attach, "do_record_audit", broken_audit)
    with pytest.raises(RuntimeError):
        attach.do_attach_photos(actor=world.resident_a, case=case, kind="report",
                                files=[upload(jpeg_bytes()), upload(jpeg_bytes())])
    assert not Attachment.objects.exists()
    assert files_under(media_root) == []


@pytest.mark.parametrize(("given", "shown"), [
    ("C:\\Users\\张三\\Desktop\\楼道.jpg", "楼道.jpg"),
    ("a\x00b\u202ec.jpg", "abc.jpg"),  # NUL and a right-to-left override
    ("  many   spaces .png ", "many spaces .png"),
    ("x" * 300 + ".jpeg", "x" * 95 + ".jpeg"),
    ("", ""),
])
def test_the_shown_name_is_trimmed(given, shown):
    assert attach.display_name(given) == shown
