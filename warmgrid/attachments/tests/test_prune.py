"""Photo files left without a row (a failed upload's leftovers) are found and removed;
nothing a row names, and nothing still young, is touched."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from warmgrid.attachments.actions import do_attach_photos, do_prune_orphan_files
from warmgrid.attachments.tests.photos import jpeg_bytes, upload
from warmgrid.audit.models import AuditEntry
from warmgrid.cases import actions as case_actions
from warmgrid.cases.models import Case, Category


@pytest.fixture
def kept(world):
    case = case_actions.do_report_case(
        actor=world.resident_a, channel=Case.Channel.RESIDENT,
        data=case_actions.CaseInput(description="3号楼门口垃圾没人清运",
                                    category=Category.objects.get(code="garbage"),
                                    household=world.household_a))
    return do_attach_photos(actor=world.resident_a, case=case, kind="report",
                            files=[upload(jpeg_bytes())])[0]


def stray(media_root, folder: str, name: str, *, hours_old: float):
    path = media_root / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8 left behind")
    then = (timezone.now() - dt.timedelta(hours=hours_old)).timestamp()
    os.utime(path, (then, then))
    return f"{folder}/{name}"


def test_only_old_files_without_a_row_go(world, kept, media_root):
    month = kept.file.name.rsplit("/", 1)[0]
    old = stray(media_root, month, "0123abcd.jpg", hours_old=3)
    other_month = stray(media_root, "cases/2025/01", "feedbeef.jpg", hours_old=24 * 30)
    young = stray(media_root, month, "fresh.jpg", hours_old=0.1)
    for named in (kept.file.name, kept.preview.name):  # old, but a row names them
        when = (timezone.now() - dt.timedelta(days=2)).timestamp()
        os.utime(media_root / named, (when, when))

    assert do_prune_orphan_files(dry_run=True) == [other_month, old]
    assert (media_root / old).exists()  # a dry run deletes nothing …
    assert not AuditEntry.objects.filter(object_type="attachment_files").exists()

    assert do_prune_orphan_files() == [other_month, old]
    assert not (media_root / old).exists() and not (media_root / other_month).exists()
    assert (media_root / young).exists()
    assert (media_root / kept.file.name).exists() and (media_root / kept.preview.name).exists()
    entry = AuditEntry.objects.get(object_type="attachment_files")
    assert entry.action == AuditEntry.Action.DELETE and entry.changes == {"deleted": 2}
    assert do_prune_orphan_files() == []


def test_the_command_lists_what_it_removes(world, kept, media_root):
    month = kept.file.name.rsplit("/", 1)[0]
    old = stray(media_root, month, "0123abcd.jpg", hours_old=3)
    out, err = io.StringIO(), io.StringIO()
    call_command("attachments", "prune", "--dry-run", stdout=out, stderr=err)
    assert out.getvalue().split() == [old] and "1" in err.getvalue()
    call_command("attachments", "prune", "--older-than-hours", "5", stdout=out, stderr=err)
    assert (media_root / old).exists()  # three hours old is younger than five


def test_nothing_stored_yet_is_nothing_to_prune(world):
    assert do_prune_orphan_files() == []
