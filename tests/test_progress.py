"""Long runs show a progress bar on a terminal and plain log lines anywhere else."""

from __future__ import annotations

import io

import pytest

from watchdog.progress import Progress

from .conftest import run_cli


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Named:
    def __init__(self, slug: str):
        self.slug = slug


def run_through(stream) -> str:
    progress = Progress(stream, total=3)
    progress.skipped("skipped c: min_interval")
    progress.start(Named("a"))
    progress.start(Named("b"))
    progress.done("a")
    progress.message("a: human (a person answered)")
    progress.close()
    return stream.getvalue()


def test_terminal_gets_a_bar_with_done_total_and_current_platforms():
    output = run_through(Terminal())
    assert "[----------" in output and "0/2 done · probing a, b" in output
    assert "[##########----------] 1/2 done · probing b" in output
    assert "a: human (a person answered)\n" in output
    assert output.endswith("\r\x1b[K")  # the bar is cleared at the end


def test_pipes_and_files_get_plain_lines_only():
    assert run_through(io.StringIO()) == "skipped c: min_interval\na: human (a person answered)\n"


@pytest.mark.browser
def test_probe_log_lines_without_a_terminal(sandbox_probes, db_path):
    result = run_cli("probe", "down", "--probes", sandbox_probes, "--db", db_path)
    assert result.stderr.splitlines()[0].startswith("down: unreachable (")
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
