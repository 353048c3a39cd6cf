"""Measured reply times against the sandbox's ground truth, 20 probes at once."""

from __future__ import annotations

import pytest
import sqlite_utils

from watchdog.sandbox import platform_file, scenario_by_slug

from .conftest import TIME_SCALE, json_lines, run_cli, truth

pytestmark = pytest.mark.browser

TOLERANCE_MS = 50
REPLYING = ["prompt-human", "bot-then-human", "slow-human", "bot-loop", "template-only"]


def test_reply_times_within_50ms_of_truth_at_20_concurrent(sandbox, tmp_path, probes_copy, db_path):
    # 20 platform files: four copies of each replying platform, told apart by the page query.
    for path in probes_copy.glob("*.toml"):
        path.unlink()
    scenarios = scenario_by_slug()
    for slug in REPLYING:
        for copy in range(4):
            text = platform_file(scenarios[slug], sandbox.url, TIME_SCALE, query=f"copy={slug}-{copy}")
            (probes_copy / f"{slug}-{copy}.toml").write_text(text, encoding="utf-8")

    result = run_cli("probe", "--all", "--json", "--concurrency", 20, "--probes", probes_copy, "--db", db_path)
    assert result.exit_code == 0, result.output
    rows = json_lines(result.stdout)
    assert len(rows) == 20

    sessions = {s["page"].removeprefix("?copy="): s for s in truth(sandbox)["sessions"] if "copy=" in s["page"]}
    db = sqlite_utils.Database(db_path)
    compared = 0
    for row in rows:
        session = sessions[row["platform"]]
        shown = session["messages"]
        stored = list(db["messages"].rows_where("probe_id = ?", [row["probe_id"]], order_by="seq"))
        assert [m["text"] for m in stored] == [m["text"] for m in shown]
        question = next(i for i, m in enumerate(shown) if m["side"] == "visitor")
        question_shown, question_at = shown[question]["shown_at"], stored[question]["at_ms"]
        true_first_reply = next(m["shown_at"] for m in shown[question:] if m["side"] == "platform")
        first_reply_error = row["first_reply_ms"] - (true_first_reply - question_shown)
        assert abs(first_reply_error) <= TOLERANCE_MS, (row["platform"], first_reply_error)
        for measured, true in zip(stored, shown, strict=True):
            error = (measured["at_ms"] - question_at) - (true["shown_at"] - question_shown)
            assert abs(error) <= TOLERANCE_MS, (row["platform"], measured["text"], error)
            compared += 1
    assert compared >= 60
