"""The SQLite store: WAL, versioned migrations, and its tables."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from watchdog.errors import StoreError
from watchdog.records import Kind, MessageRecord, Outcome, ProbeRecord, Side, State
from watchdog.sandbox import scenario_by_slug
from watchdog.store import open_store
from watchdog.store.schema import MIGRATIONS

from .simulate import platform_of


def test_fresh_database_is_migrated_in_wal_mode(db_path):
    with open_store(db_path):
        pass
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("pragma journal_mode").fetchone() == ("wal",)
        assert conn.execute("pragma user_version").fetchone() == (len(MIGRATIONS),)
        tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    assert {"platforms", "probes", "messages"} <= tables


def test_reopening_does_not_migrate_again(db_path):
    with open_store(db_path) as store:
        store.save_platform(platform_of(scenario_by_slug()["down"]))
    with open_store(db_path) as store:
        assert [p["slug"] for p in store.platforms()] == ["down"]


def test_evidence_folder_sits_next_to_database(tmp_path):
    with open_store(tmp_path / "audit.db") as store:
        assert store.evidence_dir == tmp_path / "audit-evidence"


def test_records_round_trip(db_path):
    probe = ProbeRecord("p1", "prompt-human", "2026-11-22T00:00:00.000Z", question="多久到账？", tag="peak")
    message = MessageRecord("p1", 1, Side.PLATFORM, 1234.5, "在的", sender="客服-小林", typing_ms=1000.0)
    with open_store(db_path) as store:
        store.save_platform(platform_of(scenario_by_slug()["prompt-human"]))
        store.start_probe(probe)
        store.save_message(message)
        probe.state, probe.outcome, probe.reasons, probe.fake_online = State.FINISHED, Outcome.HUMAN, ["因为"], True
        message.kind, message.confidence, message.reasons = Kind.HUMAN, 0.8, ["typing indicator shown before it"]
        store.save_verdict(probe, [message])
        assert store.probe("p1") == probe
        (stored,) = store.messages("p1")
        assert stored == message and stored.recorded_at is not None
        assert [p.id for p in store.probes(finished=True)] == ["p1"]


def test_live_run_is_not_marked_interrupted(db_path):
    with open_store(db_path) as store:
        store.save_platform(platform_of(scenario_by_slug()["down"]))
        probe = ProbeRecord("live", "down", "2026-11-22T00:00:00.000Z")
        store.start_probe(probe)
        assert store.mark_interrupted() == []  # our own pid is alive
        probe.pid = 2**22 + 12345  # a pid that does not exist
        store.save_probe(probe)
        assert store.mark_interrupted() == ["live"]
        assert (store.probe("live").state, store.probe("live").outcome) == (State.INTERRUPTED, Outcome.PROBE_ERROR)


OPEN = "import sys; from watchdog.store import open_store\nwith open_store(sys.argv[1]) as store: store.ratings()"


def test_ten_processes_opening_one_new_database_all_succeed(db_path):
    """Each takes the write lock before reading the schema version: one migrates, nine wait."""
    processes = [
        subprocess.Popen([sys.executable, "-c", OPEN, str(db_path)], stderr=subprocess.PIPE, text=True)
        for _ in range(10)
    ]
    errors = [p.communicate(timeout=60)[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 10, errors
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("pragma user_version").fetchone() == (len(MIGRATIONS),)


def test_another_applications_database_is_refused_untouched(tmp_path):
    other = tmp_path / "notes.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table notes (body text)")
        conn.execute("insert into notes values ('我的笔记')")
    before = other.read_bytes()
    with pytest.raises(StoreError, match="not a watchdog database \\(it has other tables: notes\\)"):
        with open_store(other):
            pass
    assert other.read_bytes() == before and not (tmp_path / "notes.db-wal").exists()


def test_a_newer_schema_is_refused_untouched(db_path):
    with open_store(db_path):
        pass
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"pragma user_version = {len(MIGRATIONS) + 1}")
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="made by a newer watchdog"):
        with open_store(db_path):
            pass
    assert db_path.read_bytes() == before
