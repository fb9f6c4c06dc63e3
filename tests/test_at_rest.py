"""The database file itself holds no ID number or mobile number in clear.

Builds a small demo district into a real SQLite file through the command line, as
`make run` does, then reads the raw bytes of the file and its write-ahead log.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from warmgrid.lib.idnumber import check_character

ID_NUMBER = re.compile(
    rb"[1-8]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
)


def warmgrid(*args: str, env: dict) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "warmgrid"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True,  # noqa: S603
                          timeout=600)


@pytest.mark.slow
def test_no_identifier_is_stored_in_clear(tmp_path):
    database = tmp_path / "warmgrid.sqlite3"
    env = {**os.environ, "DATABASE_URL": str(database), "WARMGRID_VAR_DIR": str(tmp_path)}
    warmgrid("migrate", "--noinput", env=env)
    warmgrid("demo", "--households", "300", "--seed", "7", env=env)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("warmgrid.sqlite3*"))
    ids = {m for m in ID_NUMBER.findall(raw)
           if check_character(m[:17].decode()) == m[17:].decode().upper()}
    assert ids == set()
    # Every real identifier the demo registered, opened with the key, is absent as bytes.
    plain = tmp_path / "plain.json"
    warmgrid("shell", "-c", (
        "import json; from warmgrid.people.models import Resident;"
        "from warmgrid.people.identifiers import open_id_number, open_phone;"
        "rows = Resident.objects.values_list('id_number_cipher', 'phone_cipher');"
        "ids = [open_id_number(i) for i, _ in rows if i];"
        "phones = [open_phone(p) for _, p in rows if p];"
        f"open({str(plain)!r}, 'w').write(json.dumps([ids, phones]))"
    ), env=env)
    ids, phones = json.loads(plain.read_text())
    assert len(ids) > 500 and len(phones) > 300
    leaked = [v for v in ids + phones if v.encode() in raw]
    assert leaked == []
