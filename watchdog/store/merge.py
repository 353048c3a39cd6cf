"""Combining the databases of several probing machines into one, idempotently.

Probe ids are unique across machines, so a probe is the same probe in every copy. A probe is
taken from a source when the target lacks it or holds an earlier state of it (still
`running` there, ended in the source); its messages always come with it, from the same
source, so a transcript is never a mix of two copies. Merging the same files again changes
nothing. Screenshots are copied next to the target. Ratings are derived data: recompute
them over the union afterwards (`watchdog merge` does).
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError
from .db import Store, evidence_dir
from .masked import remask_stale
from .schema import MIGRATIONS, analyze


@dataclass
class MergeCount:
    source: Path
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.source}: {self.new} new probe(s), {self.updated} updated, {self.unchanged} already there"


def merge(sources: list[Path], target: Store) -> list[MergeCount]:
    """Merge every source (see `check_sources`) into the open `target` store, one transaction
    per source; then the masked copies another version made are made again, and the planner's
    statistics are brought up to date."""
    counts = [_merge_one(target, source) for source in sources]
    remask_stale(target.db.conn)
    analyze(target.db.conn)
    return counts


def check_sources(sources: list[Path], target: Path) -> None:
    """Raise StoreError, before anything is written, for a source that cannot be merged."""
    for source in sources:
        _check_source(source, target)


def _check_source(source: Path, target: Path) -> None:
    if not source.is_file():
        raise StoreError(f"{source}: no such database")
    if target.exists() and source.resolve() == target.resolve():
        raise StoreError(f"{source}: is also the output; merge into a new file (-o central.db)")
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as conn:
            version = conn.execute("pragma user_version").fetchone()[0]
            tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{source}: cannot read this database: {e}") from e
    if not {"platforms", "probes", "messages"} <= tables:
        raise StoreError(f"{source}: not a watchdog database (no probes table)")
    if version > len(MIGRATIONS):
        raise StoreError(f"{source}: made by a newer watchdog (schema {version}); upgrade this one first")


def _merge_one(store: Store, source: Path) -> MergeCount:
    conn = store.db.conn
    count = MergeCount(source)
    conn.execute("attach database ? as source", [str(source)])
    try:
        with store.exclusive():
            _copy_platforms(conn)
            taken = _probes_to_take(conn, count)
            if taken:
                _copy_rows(conn, "probes", "id in (select id from temp.taken)", replace=True)
                conn.execute("delete from main.messages where probe_id in (select id from temp.taken)")
                _copy_rows(conn, "messages", "probe_id in (select id from temp.taken)", replace=False)
                if _has_table(conn, "template_sightings"):
                    _copy_template_evidence(conn)
                else:  # a source from before schema 6: its probes' texts are read afresh
                    store.templates.record_stored("select id from temp.taken")
                _copy_screenshots(store, conn, source)
            if _has_table(conn, "runs"):
                _copy_rows(conn, "runs", "id not in (select id from main.runs where state != 'running')", replace=True)
            conn.execute("drop table temp.taken")
    finally:
        conn.execute("detach database source")
    return count


def _probes_to_take(conn: sqlite3.Connection, count: MergeCount) -> int:
    conn.execute("create temp table taken (id text primary key)")
    conn.execute(
        "insert into temp.taken select s.id from source.probes s left join main.probes m on m.id = s.id "
        "where m.id is null or (m.state = 'running' and s.state != 'running')"
    )
    count.new = conn.execute(
        "select count(*) from temp.taken t where t.id not in (select id from main.probes)"
    ).fetchone()[0]
    total = conn.execute("select count(*) from temp.taken").fetchone()[0]
    count.updated = total - count.new
    count.unchanged = conn.execute("select count(*) from source.probes").fetchone()[0] - total
    return total


def _copy_platforms(conn: sqlite3.Connection) -> None:
    """The newest description of each platform wins."""
    columns = _shared_columns(conn, "platforms")
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "slug")
    conn.execute(
        f"insert into main.platforms ({', '.join(columns)}) select {', '.join(columns)} from source.platforms "
        f"where true on conflict (slug) do update set {updates} "
        "where excluded.updated_at > platforms.updated_at"
    )


def _copy_rows(conn: sqlite3.Connection, table: str, where: str, *, replace: bool) -> None:
    columns = ", ".join(_shared_columns(conn, table))
    verb = "insert or replace" if replace else "insert"
    conn.execute(f"{verb} into main.{table} ({columns}) select {columns} from source.{table} where {where}")


def _copy_template_evidence(conn: sqlite3.Connection) -> None:
    """The taken probes' template sightings, with their keys and the keys' prefix shingles,
    copied as the source recorded them (the same normalisation: sources of a newer schema are
    refused); key ids differ between databases, so keys are matched by their text."""
    conn.execute("delete from main.template_sightings where probe_id in (select id from temp.taken)")
    conn.execute(
        "create temp table taken_keys as select k.id as source_id, k.key, k.length from source.template_keys k "
        "where k.id in (select key_id from source.template_sightings where probe_id in (select id from temp.taken))"
    )
    conn.execute("insert or ignore into main.template_keys (key, length) select key, length from temp.taken_keys")
    conn.execute(
        "create temp table key_ids as select t.source_id, k.id from temp.taken_keys t "
        "join main.template_keys k on k.key = t.key"
    )
    conn.execute("create index temp.key_ids_source on key_ids (source_id)")
    conn.execute(
        "insert or ignore into main.template_prefixes select p.shingle, p.length, i.id from temp.key_ids i "
        "join source.template_prefixes p on p.key_id = i.source_id"
    )
    conn.execute(
        "insert or ignore into main.template_sightings select i.id, s.probe_id, s.platform "
        "from source.template_sightings s join temp.key_ids i on i.source_id = s.key_id "
        "where s.probe_id in (select id from temp.taken)"
    )
    conn.execute("drop table temp.taken_keys")
    conn.execute("drop table temp.key_ids")


def _copy_screenshots(store: Store, conn: sqlite3.Connection, source: Path) -> None:
    """Evidence follows its probes: copied next to the target, the rows pointed at the copies.
    Only a file inside the source's own evidence folder is evidence (a database from another
    machine has its screenshots next to it, whatever path it recorded): a row naming any other
    file (../../etc/passwd, a link out of the folder) gets no screenshot, and nothing is copied."""
    folder = evidence_dir(source).resolve()
    rows = conn.execute(
        "select id, screenshot from main.probes where screenshot is not null and id in (select id from temp.taken)"
    ).fetchall()
    for probe_id, screenshot in rows:
        name = Path(screenshot).name
        original = (folder / name).resolve()
        copy = store.evidence_dir / name
        inside = original.parent == folder and original.suffix == ".png" and original.is_file()
        if inside and original != copy.resolve():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(original, copy)
        conn.execute(
            "update main.probes set screenshot = ? where id = ?",
            [str(copy) if inside and copy.is_file() else None, probe_id],
        )


def _shared_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """Columns both databases have: an older source simply lacks the newer ones."""
    ours = [row[1] for row in conn.execute(f"pragma main.table_info({table})")]
    theirs = {row[1] for row in conn.execute(f"pragma source.table_info({table})")}
    return [c for c in ours if c in theirs]


def _has_table(conn: sqlite3.Connection, table: str) -> bool:
    return (
        conn.execute("select count(*) from source.sqlite_master where type = 'table' and name = ?", [table]).fetchone()[
            0
        ]
        == 1
    )
