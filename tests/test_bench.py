"""The benchmark script runs (on a tiny N; its figures are for bench/README.md, not a test).
Its two one-browser variants run here; the others (a browser or a process per probe, ~25 s
each) only in real benchmark runs, and mypy checks their code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).parent.parent / "bench" / "concurrency.py"


def test_bench_script_runs_on_two_probes(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--n",
            "2",
            "--runs",
            "1",
            "--reply-after",
            "4",
            "--variants",
            "ours",
            "polling",
            "--json",
            str(tmp_path / "runs.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    header, _, *lines = result.stdout.splitlines()
    names = [cell.strip() for cell in header.split("|")[1:-1]]
    rows = {
        row["variant"]: row
        for row in (dict(zip(names, (cell.strip() for cell in line.split("|")[1:-1]), strict=True)) for line in lines)
    }
    assert list(rows) == ["ours", "polling"]
    for row in rows.values():
        assert row["correct"] == "2/2", row  # both probes recorded the reply
        assert float(row["PSS/probe MB"]) > 0 and float(row["err max ms"]) >= 0
    # in-page stamps beat polling once a second
    assert float(rows["ours"]["err max ms"]) < float(rows["polling"]["err max ms"])
    assert (tmp_path / "runs.json").is_file()
