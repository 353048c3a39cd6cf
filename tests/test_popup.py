"""A chat that opens in a new window: the probe follows it, and times the reply on that
window's clock as exactly as anywhere else."""

from __future__ import annotations

import pytest
import sqlite_utils

from .conftest import json_lines, run_cli, truth

pytestmark = pytest.mark.browser
TOLERANCE_MS = 50


def test_a_popup_chat_is_followed_and_timed_to_the_truth(sandbox, sandbox_probes, db_path):
    result = run_cli("probe", "popup-human", "--json", "--probes", sandbox_probes, "--db", db_path)
    (row,) = json_lines(result.stdout)
    assert row["outcome"] == "human", row["reasons"]
    assert any(reason.startswith("the chat opened in a new window") for reason in row["reasons"])
    session = [s for s in truth(sandbox)["sessions"] if s["platform"] == "popup-human"][-1]
    shown = session["messages"]
    stored = list(sqlite_utils.Database(db_path)["messages"].rows_where(order_by="seq"))
    assert [m["text"] for m in stored] == [m["text"] for m in shown]
    question = next(i for i, m in enumerate(shown) if m["side"] == "visitor")
    reply = next(i for i, m in enumerate(shown) if m["side"] == "platform" and i > question)
    measured = stored[reply]["at_ms"] - stored[question]["at_ms"]
    true = shown[reply]["shown_at"] - shown[question]["shown_at"]
    assert abs(measured - true) <= TOLERANCE_MS, (measured, true)
    assert row["first_human_ms"] == pytest.approx(measured, abs=0.2)
    with open(row["screenshot"], "rb") as evidence:
        assert evidence.read(8) == b"\x89PNG\r\n\x1a\n"
