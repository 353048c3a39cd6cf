"""The SQLite store: WAL, versioned migrations, and its tables."""

from __future__ import annotations

import sqlite3

from watchdog.store import MIGRATIONS, Store


def test_fresh_database_is_migrated_in_wal_mode(db_path):
    Store(db_path).close()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("pragma journal_mode").fetchone() == ("wal",)
        assert conn.execute("pragma user_version").fetchone() == (len(MIGRATIONS),)
        tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    assert {"platforms", "probes", "messages"} <= tables


def test_reopening_does_not_migrate_again(db_path):
    store = Store(db_path)
    store.db["platforms"].insert({"slug": "a", "name": "甲", "url": "https://a.cn/"})
    store.close()
    assert Store(db_path).db["platforms"].count == 1


def test_evidence_folder_sits_next_to_database(tmp_path):
    assert Store(tmp_path / "audit.db").evidence_dir == tmp_path / "audit-evidence"
