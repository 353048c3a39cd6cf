"""A copy of some columns of the store in a database file of its own, each column passed
through its function (what `serve --public` serves: masked), kept up to date incrementally.

Every change to a probe or its messages raises the probe's `revision` (triggers, schema v7);
the copy remembers the highest revision it holds (its user_version), so bringing it up to date
copies only the probes changed since, with their messages, and the small tables whole. A copy
made with other columns or other functions (a newer watchdog masks more) is made afresh: its
application_id holds a fingerprint of both.

Where the source keeps a table's transformed columns already (the store's masked copies of
messages, store/masked.py), a row made by these very functions is copied as it is: a first copy of
a long history costs a copy, not a call into Python per value."""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import sqlite3
from collections.abc import Callable, Collection
from pathlib import Path
from urllib.parse import quote

from ..errors import StoreError
from .db import remove_database
from .masked import published
from .schema import analyze

Transform = Callable[[str | None], str | None]
# Copied by probe: the rest is small and copied whole.
BY_PROBE = {"probes": "id", "messages": "probe_id"}
# (Each table's primary key, as in the source, has its own index already.)
INDEXES = (
    "create index if not exists probes_platform on probes (platform, started_at)",
    "create index if not exists probes_started on probes (started_at, id)",
    "create index if not exists probes_outcome on probes (outcome)",
    "create index if not exists probes_incidents on probes (started_at) where fake_online = 1 or bot_loop = 1",
    "create index if not exists messages_kind on messages (kind)",
)


def sync_snapshot(
    source: Path,
    target: Path,
    columns: dict[str, list[str] | None],
    transforms: dict[str, dict[str, Transform]],
    kept: Collection[str] = (),
) -> int:
    """Bring `target` up to date with `source` (made afresh when missing or made otherwise);
    returns how many probes were copied. `kept` names the tables whose transformed columns the
    source keeps as masked copies (store/masked.py: `transforms` must be masking.MASKED there).
    Raises StoreError when either cannot be used."""
    try:
        return _sync(source, target, columns, transforms, kept)
    except sqlite3.Error as e:
        raise StoreError(f"{target}: the public snapshot could not be brought up to date: {e}") from e


def _sync(
    source: Path,
    target: Path,
    columns: dict[str, list[str] | None],
    transforms: dict[str, dict[str, Transform]],
    kept: Collection[str],
) -> int:
    fingerprint = _fingerprint(columns, transforms, kept)
    if target.exists() and _application_id(target) != fingerprint:
        remove_database(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return _copy(source, target, columns, transforms, kept, fingerprint, first=False)
    # A first copy is written to a file of its own without a journal (quicker) and put in
    # place whole: a copy cut short is never taken for a complete one.
    building = target.with_name(target.name + ".building")
    remove_database(building)
    copied = _copy(source, building, columns, transforms, kept, fingerprint, first=True)
    building.replace(target)
    return copied


def _copy(
    source: Path,
    target: Path,
    columns: dict[str, list[str] | None],
    transforms: dict[str, dict[str, Transform]],
    kept: Collection[str],
    fingerprint: int,
    *,
    first: bool,
) -> int:
    """The probes changed since the target's revision (all, when `first`) and the small
    tables, into `target`, in one transaction."""
    conn = sqlite3.connect(f"file:{quote(str(target))}", uri=True, isolation_level=None)
    try:
        # A first copy's file is nobody's until complete; afterwards the server reads while
        # this writes (WAL).
        conn.execute("PRAGMA journal_mode = OFF" if first else "PRAGMA journal_mode = WAL")
        conn.execute("attach database ? as source", [f"file:{quote(str(source))}?mode=ro"])
        for table, transformed in transforms.items():
            for name, transform in transformed.items():
                conn.create_function(f"transform_{table}_{name}", 1, transform, deterministic=True)
        conn.execute("BEGIN IMMEDIATE")
        if first:
            _create_tables(conn, columns)
        held = conn.execute("PRAGMA main.user_version").fetchone()[0]
        newest = conn.execute("select coalesce(max(revision), 0) from source.probes").fetchone()[0]
        conn.execute("create temp table changed as select id from source.probes where revision > ?", [held])
        copied = conn.execute("select count(*) from temp.changed").fetchone()[0]
        for table, keep in columns.items():
            selected = ", ".join(_selected(table, name, transforms, kept) for name in _names(conn, table, keep))
            key = BY_PROBE.get(table)
            if key is None:
                conn.execute(f"delete from main.{table}")
                conn.execute(f"insert into main.{table} select {selected} from source.{table}")
            else:
                conn.execute(f"delete from main.{table} where {key} in (select id from temp.changed)")
                conn.execute(
                    f"insert into main.{table} select {selected} from source.{table} "
                    f"where {key} in (select id from temp.changed)"
                )
        conn.execute("drop table temp.changed")
        for statement in INDEXES:  # after a first copy: building an index at once is quicker
            conn.execute(statement)
        conn.execute(f"PRAGMA main.user_version = {int(newest)}")
        conn.execute(f"PRAGMA main.application_id = {fingerprint}")
        conn.execute("COMMIT")
        if first:
            analyze(conn)
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("detach database source")
    finally:
        conn.close()
    return int(copied)


def _create_tables(conn: sqlite3.Connection, columns: dict[str, list[str] | None]) -> None:
    """The tables, with declared types and primary keys as in the source."""
    for table, keep in columns.items():
        info = {row[1]: row for row in conn.execute(f"pragma source.table_info({table})")}
        names = _names(conn, table, keep)
        declared = [f'"{name}" {info[name][2]}' for name in names]
        key = sorted((row[5], name) for name, row in info.items() if row[5] and name in names)
        if key:
            declared.append("primary key (" + ", ".join(f'"{name}"' for _, name in key) + ")")
        conn.execute(f"create table main.{table} ({', '.join(declared)})")


def _names(conn: sqlite3.Connection, table: str, keep: list[str] | None) -> list[str]:
    return keep or [row[1] for row in conn.execute(f"pragma source.table_info({table})")]


def _selected(table: str, name: str, transforms: dict[str, dict[str, Transform]], kept: Collection[str]) -> str:
    if name not in transforms.get(table, {}):
        return f'"{name}"'
    transformed = f'transform_{table}_{name}("{name}")'
    return published(name, transformed) if table in kept else transformed


def _fingerprint(
    columns: dict[str, list[str] | None], transforms: dict[str, dict[str, Transform]], kept: Collection[str]
) -> int:
    """The columns, the functions' code (and the modules they come from), this module's and
    the masked copies' code in 31 bits."""
    modules = {inspect.getmodule(f) for table in transforms.values() for f in table.values()}
    modules.update((inspect.getmodule(_fingerprint), inspect.getmodule(published)))
    text = repr(sorted(columns.items())) + repr(sorted((t, sorted(f)) for t, f in transforms.items()))
    text += repr(sorted(kept))
    text += "".join(sorted(inspect.getsource(module) for module in modules if module is not None))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") >> 1


def _application_id(path: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)) as conn:
            return int(conn.execute("PRAGMA application_id").fetchone()[0])
    except sqlite3.DatabaseError:
        return -1
