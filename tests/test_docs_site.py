"""The documentation site (docs/, Sphinx): it builds in both languages without a warning, and
its command reference documents every command and every option, in Chinese and in English."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from watchdog.cli import cli

DOCS = Path(__file__).parent.parent / "docs"
LANGUAGES = {"zh": "zh_CN", "en": "en"}


@pytest.mark.parametrize("tree", LANGUAGES)
def test_the_docs_build_without_a_warning(tree, tmp_path):
    command = [sys.executable, "-m", "sphinx", "-q", "-W", "-c", DOCS, "-D", f"language={LANGUAGES[tree]}"]
    built = subprocess.run([*map(str, command), str(DOCS / tree), str(tmp_path)], capture_output=True, text=True)
    assert built.returncode == 0 and not built.stderr, built.stderr
    assert (tmp_path / "index.html").is_file() and (tmp_path / "cli.html").is_file()


def test_both_trees_have_the_same_pages():
    pages = {tree: sorted(p.name for p in (DOCS / tree).glob("*.md")) for tree in LANGUAGES}
    assert pages["zh"] == pages["en"]


def sections(page: str) -> dict[str, str]:
    """The command reference's sections by command: "## watchdog NAME" up to the next one."""
    parts = re.split(r"^## watchdog (\S+)$", page, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("tree", LANGUAGES)
def test_every_command_and_option_is_documented(tree):
    documented = sections((DOCS / tree / "cli.md").read_text(encoding="utf-8"))
    assert sorted(documented) == sorted(cli.commands)
    for name, command in cli.commands.items():
        flags = [max(p.opts, key=len) for p in command.params if isinstance(p, click.Option)]
        missing = [flag for flag in flags if f"`{flag}`" not in documented[name]]
        assert not missing, (tree, name, missing)
