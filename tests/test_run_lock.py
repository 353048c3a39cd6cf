"""Cron safety: overlapping runs never probe one platform at once; --dry-run says why."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from watchdog.config import Promise, load_catalog
from watchdog.sandbox import scenario_by_slug
from watchdog.store import open_store, utc_now
from watchdog.store.claims import claim

from .conftest import run_cli
from .simulate import simulate_probe

KEPT = {"fast-human", "down", "honest-offline", "broken-widget"}


def keep_only(probes_dir, slugs=KEPT):
    for path in probes_dir.glob("*.toml"):
        if path.stem not in slugs:
            path.unlink()


@pytest.mark.browser
def test_two_probe_all_processes_never_probe_one_platform_twice_at_once(probes_copy, db_path):
    keep_only(probes_copy)
    command = [sys.executable, "-m", "watchdog", "probe", "--all", "--probes", str(probes_copy), "--db", str(db_path)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=240) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs

    probes = list(
        sqlite_utils.Database(db_path).query(
            "select platform, started_at, finished_at, state, run_id from probes order by started_at"
        )
    )
    assert {p["platform"] for p in probes} == KEPT
    assert all(p["state"] == "finished" for p in probes)
    for slug in KEPT:
        spans = [(p["started_at"], p["finished_at"]) for p in probes if p["platform"] == slug]
        assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False)), (slug, spans)
    stderr = "".join(err for _, err in outputs)
    assert "probed or about to be" in stderr  # the second run said why it skipped
    runs = list(sqlite_utils.Database(db_path)["runs"].rows)
    assert len(runs) == 2 and all(r["state"] == "finished" for r in runs)
    assert sum(r["probed"] for r in runs) == len(probes)
    assert sqlite_utils.Database(db_path).execute("select count(*) from claims").fetchone()[0] == 0


def test_claims_are_exclusive_between_connections(sandbox_probes, db_path):
    platforms = list(load_catalog(sandbox_probes).platforms.values())
    with open_store(db_path) as first, open_store(db_path) as second:
        taken = claim(first, platforms, "run-a")
        assert len(taken.due) == len(platforms)
        refused = claim(second, platforms, "run-b")
        assert refused.due == []
        assert all("claimed by run run-a" in why for _, why in refused.skipped)
        first.release_claim(platforms[0].slug, "run-a")
        assert [p.slug for p in claim(second, platforms, "run-b").due] == [platforms[0].slug]


def test_dry_run_lists_due_and_skipped_without_probing(probes_copy, db_path):
    keep_only(probes_copy, {"down", "fast-human", "honest-offline"})
    (probes_copy / "down.toml").write_text(
        (probes_copy / "down.toml").read_text(encoding="utf-8").replace('min_interval = "1s"', 'min_interval = "6h"'),
        encoding="utf-8",
    )
    # honest-offline promises an hour that is not now, in Shanghai time
    closed = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=3)).strftime("%H:00")
    reopens = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=4)).strftime("%H:00")
    path = probes_copy / "honest-offline.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('hours = "always"', f'hours = "{closed}-{reopens}"'), encoding="utf-8"
    )
    with open_store(db_path) as store:  # `down` was probed just now
        simulate_probe(store, scenario_by_slug()["down"], store.templates, started_at=utc_now())

    result = run_cli("probe", "--all", "--dry-run", "--promised-hours-only", "--probes", probes_copy, "--db", db_path)
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[2:]}
    assert lines["fast-human"].split()[1] == "yes"
    assert "min_interval is 6 h" in lines["down"]
    assert f"outside its promised hours ({closed}-{reopens} Asia/Shanghai)" in lines["honest-offline"]
    assert "1 to probe, 2 skipped (dry run: nothing probed)" in result.stderr
    assert sqlite_utils.Database(db_path)["probes"].count == 1  # nothing probed

    without = run_cli("probe", "--all", "--dry-run", "--probes", probes_copy, "--db", db_path)
    assert "2 to probe, 1 skipped" in without.stderr


def test_promise_hours_across_midnight():
    night = Promise(hours=(time(20), time(2)), timezone="UTC")
    at = lambda hour: datetime(2026, 11, 22, hour, tzinfo=UTC)  # noqa: E731
    assert night.covers(at(23)) and night.covers(at(1)) and not night.covers(at(12))
