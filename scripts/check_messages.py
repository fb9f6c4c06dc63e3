"""CI check: the committed translation catalogues are current and complete.

Runs `makemessages` into a scratch copy of the package and compares the message ids with
the committed .po files; then checks that every zh_Hans message is translated and that the
compiled .mo files match their .po files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "warmgrid"
LANGUAGES = ("zh_Hans", "en")


def message_ids(po: polib.POFile) -> set[tuple[str, str]]:
    return {(e.msgctxt or "", e.msgid) for e in po if not e.obsolete}


def main() -> int:
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "warmgrid"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
        extracted = subprocess.run(  # noqa: S603
            # The console script, not `python -m`, so that the package's own celery.py
            # does not shadow the celery library from the working directory.
            [str(Path(sys.executable).parent / "warmgrid"), "makemessages",
             *[f"-l{lang}" for lang in LANGUAGES],
             "--no-location", "--no-obsolete", "--ignore", "static/*", "--ignore", "tests/*"],
            cwd=copy, check=False, capture_output=True, text=True,
            env={"DJANGO_SETTINGS_MODULE": "warmgrid.settings", "PYTHONPATH": scratch,
                 "PATH": "/usr/bin:/bin", "WARMGRID_VAR_DIR": scratch + "/var"},
        )
        if extracted.returncode != 0:
            print(extracted.stdout, extracted.stderr)
            return 1
        for lang in LANGUAGES:
            committed_path = PACKAGE / "locale" / lang / "LC_MESSAGES" / "django.po"
            if not committed_path.exists():
                problems.append(f"{committed_path} is missing: run `make messages`")
                continue
            fresh = polib.pofile(str(copy / "locale" / lang / "LC_MESSAGES" / "django.po"))
            committed = polib.pofile(str(committed_path))
            missing = message_ids(fresh) - message_ids(committed)
            stale = message_ids(committed) - message_ids(fresh)
            for _ctx, msgid in sorted(missing)[:20]:
                problems.append(f"{lang}: not extracted yet: {msgid!r}")
            for _ctx, msgid in sorted(stale)[:20]:
                problems.append(f"{lang}: no longer in the code: {msgid!r}")
            if lang == "zh_Hans":
                for entry in committed:
                    if not entry.obsolete and (not entry.translated() or entry.fuzzy):
                        problems.append(f"zh_Hans: untranslated or fuzzy: {entry.msgid!r}")
            mo_path = committed_path.with_suffix(".mo")
            if not mo_path.exists():
                problems.append(f"{mo_path} is missing: run `make messages`")
            else:
                compiled = {(e.msgctxt or "", e.msgid): e.msgstr
                            for e in polib.mofile(str(mo_path))}
                source = {(e.msgctxt or "", e.msgid): e.msgstr for e in committed
                          if e.translated() and not e.fuzzy and not e.msgid_plural}
                if any(compiled.get(k) != v for k, v in source.items()):
                    problems.append(f"{mo_path} is older than its .po: run `make messages`")
    for problem in problems:
        print(problem)
    print(f"{len(problems)} translation problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
