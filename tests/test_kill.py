"""SIGKILL mid-run loses no message already seen; the next run marks the probe interrupted."""

from __future__ import annotations

import signal
import sqlite3
import time

import pytest

from .conftest import run_cli, watchdog_process

pytestmark = pytest.mark.browser


def platform_messages(db_path) -> list[tuple]:
    try:
        with sqlite3.connect(db_path) as conn:
            return conn.execute(
                "select probe_id, seq, text from messages where side = 'platform' order by probe_id, seq"
            ).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


def test_sigkill_keeps_messages_and_next_run_marks_interrupted(sandbox_probes, db_path):
    with watchdog_process("probe", "bot-then-human", "--probes", sandbox_probes, "--db", db_path) as process:
        deadline = time.monotonic() + 30
        seen: list[tuple] = []
        while len(seen) < 2 and time.monotonic() < deadline:  # the bot and the transfer notice
            time.sleep(0.05)
            seen = platform_messages(db_path)
        assert len(seen) >= 2, process.stderr.read() if process.poll() is not None else "too slow"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    after = platform_messages(db_path)
    assert after[: len(seen)] == seen
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select state from probes").fetchall() == [("running",)]

    result = run_cli("probe", "down", "--probes", sandbox_probes, "--db", db_path)
    assert result.exit_code == 0
    assert "marked 1 probe(s) of an earlier run as interrupted" in result.stderr
    with sqlite3.connect(db_path) as conn:
        state, outcome, reasons = conn.execute(
            "select state, outcome, reasons from probes where platform = 'bot-then-human'"
        ).fetchone()
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    assert (state, outcome) == ("interrupted", "probe_error")
    assert "interrupted" in reasons
    assert platform_messages(db_path)[: len(seen)] == seen


def test_sigterm_records_probes_in_flight_as_interrupted(sandbox_probes, db_path):
    probing = ("probe", "slow-human", "fake-online", "--probes", sandbox_probes, "--db", db_path)
    with watchdog_process(*probing) as process:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(visitor_messages(db_path)) < 2:
            time.sleep(0.05)  # both questions asked: the probes are waiting for replies
        before = visitor_messages(db_path)
        assert len(before) == 2
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        took = time.monotonic() - sent
    assert process.returncode == 1 and took < 10
    assert "stopped by SIGTERM" in process.stderr.read()
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("select state, outcome, reasons from probes").fetchall()
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert conn.execute("select state from runs").fetchall() == [("interrupted",)]
        assert conn.execute("select count(*) from claims").fetchone() == (0,)  # the run lock let go
    assert [(state, outcome) for state, outcome, _ in rows] == [("interrupted", "probe_error")] * 2
    assert all("interrupted" in reasons for _, _, reasons in rows)
    assert visitor_messages(db_path)[: len(before)] == before


def visitor_messages(db_path) -> list[tuple]:
    try:
        with sqlite3.connect(db_path) as conn:
            return conn.execute(
                "select probe_id, seq, text from messages where side = 'visitor' order by probe_id, seq"
            ).fetchall()
    except sqlite3.OperationalError:
        return []
