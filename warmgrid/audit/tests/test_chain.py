"""The audit trail is append-only and `warmgrid audit verify` names the first tampered entry."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from warmgrid.audit.actions import do_record_audit, verify_chain
from warmgrid.audit.models import AuditEntry


def record(n):
    return [do_record_audit(action="update", actor_username=f"u{i}", object_type="resident",
                            object_id=i, changes={"name": ["a", f"b{i}"]}) for i in range(n)]


def raw_update(sql, params):
    """Tampering as an intruder with database access would: behind the application's back.
    On PostgreSQL that intruder is the table's owner, who can switch the trigger off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


def test_entries_chain_from_the_previous_one(db):
    entries = record(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[1].prev_hash == entries[0].entry_hash
    assert verify_chain() == (3, None)


def test_verify_passes_on_an_untouched_trail(db, capsys):
    record(5)
    call_command("audit", "verify")
    assert "5" in capsys.readouterr().out


def test_verify_names_the_altered_entry(db):
    entries = record(6)
    raw_update("UPDATE audit_auditentry SET action = action || 'x' WHERE id = %s",
               [entries[3].id])
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify")
    assert "#4" in str(caught.value)


TAMPERING = {
    "sqlite": ["occurred_at = occurred_at || 'x'", "occurred_at = '2020-01-01 00:00:00'",
               "changes = json_set(changes, '$.name', 'forged')"],
    "postgresql": ["occurred_at = occurred_at - interval '1 second'",
                   "changes = jsonb_set(changes::jsonb, '{name}', '\"forged\"')"],
}


@pytest.mark.parametrize(
    "assignment",
    [*TAMPERING["sqlite"], *TAMPERING["postgresql"], "reason = 'x'",
     "actor_username = 'someone_else'", "area_path = '370102/'"],
)
def test_verify_catches_tampering_in_any_column(db, assignment):
    other = "postgresql" if connection.vendor != "postgresql" else "sqlite"
    if assignment in TAMPERING[other]:
        pytest.skip(f"{other} syntax")
    entries = record(4)
    raw_update(f"UPDATE audit_auditentry SET {assignment} WHERE id = %s",  # noqa: S608
               [entries[2].id])
    _, broken = verify_chain()
    assert broken is not None and broken.row_id == entries[2].id


def test_verify_notices_a_removed_entry(db):
    entries = record(5)
    raw_update("DELETE FROM audit_auditentry WHERE id = %s", [entries[2].id])
    _, broken = verify_chain()
    assert broken.seq == 4 and broken.reason == "removed_or_reordered"


def test_verify_notices_reordering(db):
    entries = record(4)
    raw_update("UPDATE audit_auditentry SET seq = -1 WHERE id = %s", [entries[1].id])
    raw_update("UPDATE audit_auditentry SET seq = 2 WHERE id = %s", [entries[2].id])
    raw_update("UPDATE audit_auditentry SET seq = 3 WHERE id = %s", [entries[1].id])
    _, broken = verify_chain()
    assert broken is not None


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_to_change_or_delete_an_entry(db):
    entry = record(1)[0]
    for sql in ("UPDATE audit_auditentry SET action = 'x' WHERE id = %s",
                "DELETE FROM audit_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.id])
    assert AuditEntry.objects.get(pk=entry.pk).action == "update"


def test_the_nightly_task_reports_an_intact_chain(db):
    from warmgrid.audit.tasks import verify_audit_chain

    record(3)
    assert verify_audit_chain.apply().get() == {"checked": 3, "broken_seq": None, "reason": ""}
