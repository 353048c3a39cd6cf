"""The benchmark script runs (on a tiny N; its figures are for bench/README.md, not a test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "bench" / "concurrency.py"


def test_bench_script_runs_every_variant_on_two_probes(tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT), "--n", "2", "--runs", "1", "--reply-after", "4",
                             "--json", str(tmp_path / "runs.json")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = [line.split("|")[1:-1] for line in result.stdout.splitlines()[2:]]
    assert [row[0].strip() for row in rows] == ["ours", "per-browser", "polling"]
    for row in rows:
        assert row[7].strip() == "2/2"  # both probes saw the reply
        assert float(row[4]) > 0 and float(row[8]) >= 0  # memory per probe, timing error
    ours, polling = float(rows[0][10]), float(rows[2][10])
    assert ours < polling  # in-page stamps beat polling once a second
    assert (tmp_path / "runs.json").is_file()
