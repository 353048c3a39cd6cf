"""`watchdog schedule` on a real process: schedules fire with second-level intervals, tags are
stored, min_interval holds across schedules, no schedule overlaps itself, SIGTERM stops it."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime

import pytest

from .conftest import run_cli
from .test_run_lock import keep_only

pytestmark = pytest.mark.browser


def write(path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def at(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


@pytest.fixture
def schedules(tmp_path, probes_copy):
    keep_only(probes_copy, {"fast-human", "down"})
    path = probes_copy / "down.toml"
    write(path, path.read_text(encoding="utf-8").replace('min_interval = "1s"', 'min_interval = "5s"'))
    folder = tmp_path / "schedules"
    folder.mkdir()
    # Both want `down` every second or two; its min_interval (5 s) must win.
    # `often` fires every second but its runs (fast-human: about 10 s) last longer: no overlap allowed.
    write(folder / "often.toml", 'name = "often"\ninterval = "1s"\ntag = "peak"\nplatforms = ["fast-*", "down"]\n')
    write(
        folder / "other.toml",
        'name = "other"\ninterval = "2s"\ntag = "offpeak"\nplatforms = ["down"]\nmax_wait = "1m"\n',
    )
    return folder


def enough_seen(db_path) -> bool:
    """Both schedules have fired and probed: a human reached on fast-human, `down` probed 3 times."""
    try:
        with sqlite3.connect(db_path) as conn:
            return (
                conn.execute(
                    "select sum(platform = 'fast-human' and outcome = 'human') >= 1 and sum(platform = 'down') >= 3 "
                    "and count(distinct tag) = 2 from probes where state = 'finished'"
                ).fetchone()[0]
                == 1
            )
    except sqlite3.OperationalError:  # not created yet
        return False


def test_schedule_fires_tags_min_interval_and_no_overlap(schedules, probes_copy, db_path):
    assert run_cli("check", "--probes", probes_copy, "--schedules", schedules).exit_code == 0
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "watchdog",
            "schedule",
            "--schedules",
            str(schedules),
            "--probes",
            str(probes_copy),
            "--db",
            str(db_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None and not enough_seen(db_path):
        time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, log = process.communicate(timeout=30)
    assert process.returncode == 0, log
    assert "often: every 1 s, tag peak, platforms fast-* down; next run 20" in log
    assert "often: previous run still going; this run skipped (one at a time)" in log
    assert "fast-human: human (" in log, log

    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        probes = conn.execute(
            "select p.*, r.schedule from probes p join runs r on r.id = p.run_id order by p.started_at"
        ).fetchall()
        runs = conn.execute("select * from runs order by started_at").fetchall()
        assert conn.execute("select count(*) from claims").fetchone()[0] == 0
    assert {r["schedule"] for r in runs} == {"often", "other"}
    assert sum(r["schedule"] == "other" for r in runs) >= 3
    for probe in probes:
        assert probe["tag"] == {"often": "peak", "other": "offpeak"}[probe["schedule"]]
    assert {p["platform"] for p in probes if p["tag"] == "peak"} >= {"fast-human"}
    assert {p["platform"] for p in probes if p["tag"] == "offpeak"} == {"down"}

    downs = [at(p["started_at"]) for p in probes if p["platform"] == "down"]
    assert len(downs) >= 3
    assert all(later - earlier >= 5 for earlier, later in zip(downs, downs[1:], strict=False)), downs

    for name in ("often", "other"):
        spans = [(r["started_at"], r["finished_at"]) for r in runs if r["schedule"] == name]
        assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False)), spans
    assert all(r["state"] in ("finished", "interrupted") for r in runs)
    assert all(p["state"] in ("finished", "interrupted") for p in probes)


def test_check_reports_schedule_problems(tmp_path, sandbox_probes):
    folder = tmp_path / "schedules"
    folder.mkdir()
    write(folder / "a.toml", 'name = "a"\ncron = "61 * * * *"\nplatforms = ["nosuch"]\ncolour = "red"\n')
    write(folder / "b.toml", 'name = "b"\ninterval = "soon"\n')
    write(folder / "c.toml", 'tag = "peak"\ncron = "0 20 * * *"\ninterval = "1h"\n')
    write(folder / "d.toml", 'name = "b"\ninterval = "1h"\n')
    result = run_cli("check", "--probes", sandbox_probes, "--schedules", folder)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"{folder / 'a.toml'}: cron: ") and "61" in line for line in lines)
    assert f"{folder / 'a.toml'}: platforms: no valid platform file nosuch.toml in the probes folder" in lines
    assert f"{folder / 'a.toml'}: colour: unknown key" in lines
    assert any(line.startswith(f"{folder / 'b.toml'}: interval: not a duration") for line in lines)
    assert f"{folder / 'c.toml'}: name: missing" in lines
    assert f"{folder / 'c.toml'}: interval: give a cron expression or an interval, not both" in lines
    assert f"{folder / 'd.toml'}: name: 'b' is also the name of {folder / 'b.toml'}" not in lines  # b is invalid
    write(folder / "b.toml", 'name = "b"\ninterval = "1h"\n')
    again = run_cli("check", "--probes", sandbox_probes, "--schedules", folder).stdout.splitlines()
    assert f"{folder / 'd.toml'}: name: 'b' is also the name of {folder / 'b.toml'}" in again

    refused = run_cli("schedule", "--probes", sandbox_probes, "--schedules", folder, "--db", tmp_path / "w.db")
    assert refused.exit_code == 1 and "problem(s) in schedule files" in refused.stderr
    assert not (tmp_path / "w.db").exists()


def test_shipped_example_schedules_are_valid(sandbox_probes):
    result = run_cli("check", "--probes", sandbox_probes, "--schedules", "schedules")
    assert result.exit_code == 0, result.output
    assert "2 schedule file(s), 2 valid" in result.stderr
