"""warmgrid.lib is pure computation: none of it imports Django or the Django side of
WarmGrid, so it runs (and is tested, benchmarked, used by the researchers' command line
on plain files) without a database or settings."""

import ast
from pathlib import Path

import warmgrid.lib

LIB = Path(warmgrid.lib.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_module_of_warmgrid_lib_imports_django_or_the_apps():
    sources = [p for p in LIB.rglob("*.py") if "tests" not in p.relative_to(LIB).parts]
    assert LIB / "warmth" / "reliability.py" in sources
    offending = {
        str(path.relative_to(LIB)): sorted(
            name for name in imported_modules(path)
            if name.split(".")[0] == "django"
            or (name.startswith("warmgrid.") and not name.startswith("warmgrid.lib")))
        for path in sources}
    assert {path: names for path, names in offending.items() if names} == {}
