"""Stored instruments: import is idempotent, a published version is frozen, a changed
form needs a new version, and only district administrators manage them."""

import pytest
from django.core.management import CommandError, call_command

from warmgrid.audit.models import AuditEntry
from warmgrid.errors import Conflict, Forbidden, ValidationFailed
from warmgrid.warmth.actions import do_import_instrument, do_publish_version
from warmgrid.warmth.instruments import DEFAULT_INSTRUMENT
from warmgrid.warmth.models import InstrumentVersion

SOURCE = DEFAULT_INSTRUMENT.read_bytes()


def edited(version: str = "2026.1", title: str = "社区温度量表") -> bytes:
    text = SOURCE.decode("utf-8").replace("| 社区温度量表 | shequ_wendu | 2026.1 |",
                                          f"| {title} | shequ_wendu | {version} |")
    return text.replace("您好！", "您好，").encode("utf-8")


def test_the_same_file_twice_is_stored_once(world):
    admin = world.district_admin
    first, created = do_import_instrument(actor=admin, name="form.md", content=SOURCE)
    again, created_again = do_import_instrument(actor=admin, name="form.md", content=SOURCE)
    assert created and not created_again and first.pk == again.pk
    assert first.summary["items"] == 45 and "<h:html" in first.xform
    assert AuditEntry.objects.filter(object_type="instrument_version").count() == 1


def test_a_published_version_is_frozen_and_a_new_version_is_a_new_row(world):
    admin = world.district_admin
    draft, _ = do_import_instrument(actor=admin, name="form.md", content=SOURCE)
    replaced, created = do_import_instrument(actor=admin, name="form.md", content=edited())
    assert not created and replaced.pk == draft.pk  # a draft may still change
    do_publish_version(actor=admin, version=replaced)
    do_publish_version(actor=admin, version=replaced)  # twice: no-op
    with pytest.raises(Conflict) as refused:
        do_import_instrument(actor=admin, name="form.md", content=SOURCE)
    assert refused.value.code == "instrument_version_frozen"
    assert InstrumentVersion.objects.get(pk=draft.pk).digest == replaced.digest
    newer, created = do_import_instrument(actor=admin, name="form.md",
                                          content=edited(version="2026.2"))
    assert created and newer.version == "2026.2" and not newer.is_published
    assert InstrumentVersion.objects.filter(instrument=draft.instrument).count() == 2


def test_only_district_admins_manage_instruments(world):
    for person in (world.street_admin, world.worker_a, world.community_staff):
        with pytest.raises(Forbidden):
            do_import_instrument(actor=person, name="form.md", content=SOURCE)
    assert not InstrumentVersion.objects.exists()


def test_files_that_are_not_usable_forms_are_refused(world):
    with pytest.raises(ValidationFailed, match="XLSForm"):
        do_import_instrument(actor=world.district_admin, name="form.pdf", content=b"%PDF")
    with pytest.raises(ValidationFailed, match="cannot be used"):
        do_import_instrument(actor=world.district_admin, name="form.md",
                             content=b"| survey |\n| | type | name | label |\n| | text | q | Q |\n")


def test_the_command_imports_and_publishes(db, capsys, tmp_path):
    call_command("warmth", "import-form", str(DEFAULT_INSTRUMENT), "--publish")
    assert "shequ_wendu" in capsys.readouterr().out
    assert InstrumentVersion.objects.get().is_published
    call_command("warmth", "import-form", str(DEFAULT_INSTRUMENT))
    assert "already stored" in capsys.readouterr().out
    changed = tmp_path / "changed.md"
    changed.write_bytes(edited())
    with pytest.raises(CommandError, match="frozen"):
        call_command("warmth", "import-form", str(changed))
