"""Ethics under cron: a platform is never probed more often than its min_interval."""

from __future__ import annotations

import re

import pytest
import sqlite_utils

from .conftest import run_cli

pytestmark = pytest.mark.browser


def test_second_run_within_min_interval_skips(probes_copy, db_path):
    text = (probes_copy / "down.toml").read_text(encoding="utf-8").replace('min_interval = "1s"', 'min_interval = "6h"')
    (probes_copy / "down.toml").write_text(text, encoding="utf-8")
    assert run_cli("probe", "down", "--probes", probes_copy, "--db", db_path).exit_code == 0
    again = run_cli("probe", "down", "--probes", probes_copy, "--db", db_path)
    assert again.exit_code == 0
    assert re.search(r"skipped down: probed \d+ s ago; min_interval is 6 h", again.stderr)
    assert sqlite_utils.Database(db_path)["probes"].count == 1
    forced = run_cli("probe", "down", "--ignore-min-interval", "--probes", probes_copy, "--db", db_path)
    assert forced.exit_code == 0 and sqlite_utils.Database(db_path)["probes"].count == 2
