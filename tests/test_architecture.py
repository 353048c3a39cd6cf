"""The package's shape, checked: the conversation core is pure, only the store package touches
the database, and imports follow the flow of a probe's data (docs/en/architecture.md)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "watchdog"
# Each stage may import the stages listed (and itself); the rest of the package is above them all.
BOTTOM = {"records", "reasons", "i18n", "timescale", "formatting", "text", "errors", "near_duplicates", "masking"}
LAYERS = {
    "records": {"reasons", "i18n", "formatting", "timescale", "text"},
    "reasons": {"i18n", "formatting", "text"},
    "i18n": {"formatting", "text"},
    "timescale": set(),
    "formatting": {"text"},
    "text": set(),
    "errors": set(),
    "near_duplicates": set(),
    "masking": set(),
    "config": {"errors", "formatting"},
    "store": {"config", *BOTTOM},
    "verdicts": {"store", "config", *BOTTOM},
    "leave": {*BOTTOM},  # what a 留言 form gets: decisions only
    "followups": {*BOTTOM},  # which follow-up a mail answers, and when it closes: decisions only
    "probe": {"verdicts", "leave", "followups", "store", "config", *BOTTOM},
    "publish": {"store", "config", *BOTTOM},
}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def stage(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported_stages(path: Path) -> set[str]:
    """The stages of the package a module imports from (relative or absolute)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").startswith("watchdog."):
                found.add(node.module.split(".")[1])
            elif node.level:
                base = path.parent.relative_to(PACKAGE).parts[
                    : len(path.parent.relative_to(PACKAGE).parts) - (node.level - 1)
                ]
                parts = [*base, *(node.module or "").split(".")] if node.module else list(base)
                parts = [p for p in parts if p] or [node.names[0].name]
                is_module = (PACKAGE / f"{parts[0]}.py").exists() or (PACKAGE / parts[0]).is_dir()
                found.add(parts[0] if is_module else "__init__")
    return found - {"__init__"}


def test_the_pure_cores_import_neither_the_browser_nor_the_store():
    code = (
        "import sys, watchdog.probe.conversation, watchdog.probe.discovery\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('playwright', 'sqlite3', 'sqlite_utils', "
        "'httpx') or m.startswith('watchdog.store')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_only_the_store_package_touches_the_database():
    touching = re.compile(r"\.db(?=[.\[),\s])|^\s*(?:import|from) (?:sqlite3|sqlite_utils)\b", re.MULTILINE)
    outside = [
        f"{path.relative_to(PACKAGE)}: {match.group(0).strip()}"
        for path in modules()
        if stage(path) != "store"
        for match in touching.finditer(path.read_text(encoding="utf-8"))
    ]
    assert outside == []


@pytest.mark.parametrize(
    "path", [p for p in modules() if stage(p) in LAYERS], ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_imports_follow_the_flow(path):
    allowed = LAYERS[stage(path)] | {stage(path)}
    assert imported_stages(path) <= allowed
