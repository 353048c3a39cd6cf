"""A copy of some columns of the store in a new database file: what `serve --public` serves."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

Transform = Callable[[str | None], str | None]


def write_snapshot(
    source: Path,
    target: Path,
    columns: dict[str, list[str] | None],
    transforms: dict[str, dict[str, Transform]],
) -> Path:
    """`target` made afresh with, of each table, the listed columns (None: all), each column
    named in `transforms` passed through its function (in SQL: one statement per table)."""
    target.unlink(missing_ok=True)
    conn = sqlite3.connect(target)
    try:
        conn.execute("attach database ? as source", [str(source)])
        for table, keep in columns.items():
            names = keep or [row[1] for row in conn.execute(f"pragma source.table_info({table})")]
            selected = []
            for name in names:
                transform = transforms.get(table, {}).get(name)
                if transform is None:
                    selected.append(f'"{name}"')
                else:
                    function = f"transform_{table}_{name}"
                    conn.create_function(function, 1, transform, deterministic=True)
                    selected.append(f'{function}("{name}") as "{name}"')
            conn.execute(f"create table {table} as select {', '.join(selected)} from source.{table}")
        conn.execute("create index probes_platform on probes (platform, started_at)")
        conn.execute("create index messages_probe on messages (probe_id, seq)")
        conn.commit()
        conn.execute("detach database source")
    finally:
        conn.close()
    return target
