"""The masked copies the store keeps beside each message (schema v8): written with the message
and its verdict, trusted by the public snapshot only when this very masking made them, and a
snapshot made from them is the snapshot made by masking every value afresh."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from watchdog.masking import FINGERPRINT, MASKED, MASKED_WITH, masked_copies, masked_name
from watchdog.publish.datasette import public_snapshot
from watchdog.records import Kind, MessageRecord, ProbeRecord, Side, State
from watchdog.store import masked, open_store

from .conftest import bench_history, run_cli

COLUMNS = list(MASKED["messages"])


def published(folder) -> dict[str, list[tuple]]:
    """Every table of a public snapshot, in order."""
    with sqlite3.connect(folder / "demo.db") as conn:
        tables = [row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")]
        return {t: conn.execute(f"select * from {t} order by rowid").fetchall() for t in sorted(tables)}


def stored_copies(db) -> list[dict]:
    columns = ", ".join(["text", "sender", "reasons", MASKED_WITH, *map(masked_name, COLUMNS)])
    return list(sqlite_utils.Database(db).query(f"select {columns} from messages"))


def test_messages_are_stored_with_their_masked_copies_and_verdicts_keep_them_true(db_path):
    with open_store(db_path) as store:
        probe = ProbeRecord("p1", "leaky", "2026-11-23T00:00:00.000Z", question="你好", state=State.FINISHED)
        store.start_probe(probe)
        leaky = MessageRecord("p1", 1, Side.PLATFORM, 5000.0, "加我QQ 12345678", sender="客服-小红")
        plain = MessageRecord("p1", 2, Side.PLATFORM, 6000.0, "话费一般10分钟到账", sender="")
        store.save_message(leaky)
        store.save_messages([plain])
        leaky.kind, leaky.reasons = Kind.HUMAN, ["said '我是客服小王', QQ 12345678"]
        plain.kind, plain.reasons = Kind.AUTO, ["same text as 3 other probes"]
        store.save_verdict(probe, [leaky, plain])
    first, second = stored_copies(db_path)
    assert first["masked_with"] == second["masked_with"] == FINGERPRINT
    assert first["masked_text"] == "加我QQ ********" and first["masked_sender"] == "客服"
    assert "12345678" not in first["masked_reasons"] and "小王" not in first["masked_reasons"]
    # Nothing to mask: nothing stored twice.
    assert second["masked_text"] is second["masked_sender"] is second["masked_reasons"] is None


@pytest.mark.parametrize("value", ["", "客服", "王丽", "加我QQ 12345678", '["x"]', "一三八一二三四五六七八"])
def test_no_message_mask_turns_a_value_into_nothing(value):
    """A stored NULL means "as it is": a mask that emptied a value would publish it unmasked."""
    copies = masked_copies(dict.fromkeys(COLUMNS, value))
    for column, mask in MASKED["messages"].items():
        assert mask(value) is not None
        assert copies[masked_name(column)] in (None, mask(value))


def test_a_snapshot_from_the_copies_is_the_snapshot_masked_afresh(demo_copy, tmp_path):
    """The demo's leaky platform gives contacts and staff names to mask. Copies made by another
    masking (a forged copy here) or none at all (messages from before schema 8, or merged from
    an older database) are not trusted: those rows are masked afresh, to the same result."""
    assert any(row["masked_text"] for row in stored_copies(demo_copy))
    public_snapshot(demo_copy, tmp_path / "from-copies")
    with sqlite3.connect(demo_copy) as conn:
        conn.execute(f"update messages set {MASKED_WITH} = null where seq % 2 = 0")
        forged = ", ".join(f"{masked_name(c)} = 'LEAK'" for c in COLUMNS)
        conn.execute(f"update messages set {MASKED_WITH} = {FINGERPRINT + 1}, {forged} where seq % 2 = 1")
    public_snapshot(demo_copy, tmp_path / "afresh")
    from_copies, afresh = published(tmp_path / "from-copies"), published(tmp_path / "afresh")
    assert afresh == from_copies
    assert not any("LEAK" in str(row) for row in afresh["messages"])
    assert any("*" in (row[4] or "") for row in afresh["messages"])  # the text column, masked


def test_a_first_snapshot_copies_the_stored_copies_without_masking_again(demo_copy, tmp_path):
    """What makes a first snapshot of a year of history a copy: a current copy is taken as it is."""
    with sqlite3.connect(demo_copy) as conn:
        conn.execute(f"update messages set {masked_name('text')} = 'as the store keeps it' where seq = 1")
    public_snapshot(demo_copy, tmp_path / "public")
    texts = {row[1]: row[4] for row in published(tmp_path / "public")["messages"]}
    assert texts[1] == "as the store keeps it"


def test_stale_copies_are_made_again_when_a_store_is_opened_and_nothing_else_changes(demo_copy, monkeypatch):
    """After an upgrade that masks more (copies by another masking), for messages from before
    schema 8 (none) or merged from another version: made again, a slice at a time, with every
    probe's revision and the triggers as they were."""
    monkeypatch.setattr(masked, "SLICE", 7)  # several slices, even on the demo
    with open_store(demo_copy) as store:
        conn = store.db.conn
        conn.execute(f"update messages set {MASKED_WITH} = null where seq % 2 = 0")
        forged = ", ".join(f"{masked_name(c)} = 'LEAK'" for c in COLUMNS)
        conn.execute(f"update messages set {MASKED_WITH} = {FINGERPRINT + 1}, {forged} where seq % 2 = 1")
        conn.commit()
        revisions = conn.execute("select id, revision from probes order by id").fetchall()
        triggers = conn.execute("select name, sql from sqlite_master where type = 'trigger' order by name").fetchall()
    with open_store(demo_copy) as store:
        conn = store.db.conn
        assert conn.execute("select id, revision from probes order by id").fetchall() == revisions
        assert conn.execute("select name, sql from sqlite_master where type = 'trigger' order by name").fetchall() == (
            triggers
        )
    rows = stored_copies(demo_copy)
    assert len(rows) > 7 * 3
    for row in rows:
        assert row == row | masked_copies(row)


def test_copies_merged_from_another_version_are_made_again_by_the_merge(demo_copy, tmp_path):
    with sqlite3.connect(demo_copy) as conn:  # as a machine running another watchdog left it
        conn.execute(f"update messages set {MASKED_WITH} = {FINGERPRINT + 1}, {masked_name('text')} = 'LEAK'")
    run_cli("merge", demo_copy, "-o", tmp_path / "central.db")
    rows = stored_copies(tmp_path / "central.db")
    assert rows and all(row == row | masked_copies(row) for row in rows)


def test_the_year_of_history_benchmark_writes_messages_as_the_store_does(tmp_path):
    """bench/history.py's first public start is only a fair figure if its synthetic messages
    carry the copies a store writes."""
    bench_history().build(tmp_path / "history.db", platforms=2, days=1)
    rows = stored_copies(tmp_path / "history.db")
    assert len(rows) > 20 and all(row == row | masked_copies(row) for row in rows)
