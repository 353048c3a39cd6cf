"""A copy of some columns of the store in a new database file: what `serve --public` serves."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

# (text, sender, kind) of a message -> the (text, sender) to keep
MessageTransform = Callable[[str | None, str | None, str | None], tuple[str | None, str | None]]


def write_snapshot(
    source: Path, target: Path, columns: dict[str, list[str] | None], transform: MessageTransform
) -> Path:
    """`target` made afresh with, of each table, the listed columns (None: all), every message
    passed through `transform`, and no screenshot paths."""
    target.unlink(missing_ok=True)
    conn = sqlite3.connect(target)
    try:
        conn.execute("attach database ? as source", [str(source)])
        for table, keep in columns.items():
            selected = ", ".join(f'"{c}"' for c in keep) if keep else "*"
            conn.execute(f"create table {table} as select {selected} from source.{table}")
        conn.execute("update probes set screenshot = null")
        conn.execute("create index probes_platform on probes (platform, started_at)")
        conn.execute("create index messages_probe on messages (probe_id, seq)")
        rows = conn.execute("select rowid, text, sender, kind from messages").fetchall()
        conn.executemany(
            "update messages set text = ?, sender = ? where rowid = ?",
            [(*transform(text, sender, kind), rowid) for rowid, text, sender, kind in rows],
        )
        conn.commit()
        conn.execute("detach database source")
    finally:
        conn.close()
    return target
