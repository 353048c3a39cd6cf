"""Combining the databases of several probing machines into one, idempotently.

Probe ids are unique across machines, so a probe is the same probe in every copy. A probe is
taken from a source when the target lacks it or holds an earlier state of it (still
`running` there, ended in the source); its messages always come with it, from the same
source, so a transcript is never a mix of two copies. Merging the same files again changes
nothing. Screenshots are copied next to the target. Ratings are derived data: recompute
them over the union afterwards (`watchdog merge` does).

Follow-ups (留言 / 工单, messages left on a platform's form) go the same way: a follow-up's id is
the tag of its address, unique across machines; it is taken when the target lacks it or holds
it less far settled, with its replies, from the same source.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError
from .db import Store, evidence_dir
from .masked import remask_stale
from .schema import MIGRATIONS, analyze
from .templates import create_tables


@dataclass
class MergeCount:
    source: Path
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    follow_ups: int = 0  # messages left, new or further settled

    def __str__(self) -> str:
        said = f"{self.source}: {self.new} new probe(s), {self.updated} updated, {self.unchanged} already there"
        return said + (f"; {self.follow_ups} follow-up(s) taken" if self.follow_ups else "")


def merge(sources: list[Path], target: Store) -> list[MergeCount]:
    """Merge every source (see `check_sources`) into the open `target` store, one transaction
    per source; then the masked copies another version made are made again, and the planner's
    statistics are brought up to date."""
    conn = target.db.conn
    new = not conn.execute("select exists (select 1 from probes) or exists (select 1 from platforms)").fetchone()[0]
    apart = new and _evidence_apart_possible(conn, sources)
    with (
        _bulk_settings(conn, NEW_TARGET_SETTINGS if new else {}),
        _evidence_apart(sources, target.path) if apart else contextlib.nullcontext() as evidence,
    ):
        # A new target's secondary indexes are set aside for the whole merge, not source by
        # source: the second source's rows would otherwise go into each of them one by one.
        # (Without a journal a failed merge leaves no usable file either way: the caller
        # removes it.) Merged apart, the template evidence comes with its indexes made.
        indexes: list[str] = []
        if new:
            with target.exclusive():
                indexes = _indexes_aside(conn, ("probes",) if evidence else BULK_TABLES)
        counts = [_merge_one(target, source, evidence_here=evidence is None) for source in sources]
        if evidence:
            _copy_evidence_made_apart(target, evidence.result())
        if indexes:
            with target.exclusive():
                for sql in indexes:
                    conn.execute(sql)
    remask_stale(target.db.conn)
    analyze(target.db.conn)
    return counts


# For the merge's duration: a page cache large enough for the indexes being filled (the
# default, 2 MB, spills and reads them back again and again), temporary tables in memory.
BULK_SETTINGS: dict[str, object] = {"cache_size": -256 * 1024, "temp_store": 2}
# A new database is nobody's until the merge is done (as a first public snapshot): written
# without a journal and without waiting for the disk, every page once instead of twice (the
# WAL, then the file): 12 s -> 9-11 s for 1.2 M messages. If the merge fails, `watchdog merge`
# removes the new file (nothing was recorded in it before).
NEW_TARGET_SETTINGS: dict[str, object] = {"journal_mode": "off", "synchronous": "off"}


@contextlib.contextmanager
def _bulk_settings(conn: sqlite3.Connection, extra: dict[str, object]) -> Iterator[None]:
    settings = BULK_SETTINGS | extra
    before = {name: conn.execute(f"pragma {name}").fetchone()[0] for name in settings}
    for name, value in settings.items():
        conn.execute(f"pragma {name} = {value}")
    try:
        yield
    finally:
        for name, value in before.items():
            conn.execute(f"pragma {name} = {value}")


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


def _merge_one(store: Store, source: Path, *, evidence_here: bool = True) -> MergeCount:
    conn = store.db.conn
    count = MergeCount(source)
    conn.execute("attach database ? as source", [str(source)])
    try:
        with store.exclusive():
            _copy_platforms(conn)
            taken = _probes_to_take(conn, count)
            if taken:
                triggers = _revision_triggers_aside(conn)
                indexes = _indexes_aside(conn, BULK_TABLES)
                with ThreadPoolExecutor(max_workers=1) as pool:
                    found = _screenshots_found(store, conn, source)
                    # The screenshots are copied by a thread of their own while SQLite copies
                    # the rows (file system calls and SQLite's work both let go of the GIL);
                    # started only now: while Python inserts the paths one by one, the GIL
                    # would go to and fro between the two threads row after row (0.8 s a half
                    # on the benchmark).
                    copying = _start_copying(store, source, found, pool)
                    _copy_probes(conn)
                    conn.execute("delete from main.messages where probe_id in (select id from temp.taken)")
                    _copy_messages(conn)
                    if evidence_here:  # (else merged apart meanwhile: _evidence_apart)
                        if _has_table(conn, "template_sightings"):
                            _copy_template_evidence(conn)
                        else:  # a source from before schema 6: its probes' texts are read afresh
                            store.templates.record_stored("select id from temp.taken")
                    if copying:
                        copying.result()
                for sql in triggers:
                    conn.execute(sql)
                for sql in indexes:
                    conn.execute(sql)
            if _has_table(conn, "runs"):
                _copy_rows(conn, "runs", "id not in (select id from main.runs where state != 'running')", replace=True)
            if _has_table(conn, "follow_ups"):
                count.follow_ups = _copy_follow_ups(store, conn, source)
            conn.execute("drop table temp.taken")
    finally:
        conn.execute("detach database source")
    return count


# The triggers that raise a probe's revision on every change to it or its messages (schema 7).
REVISION_TRIGGERS = ("probes_inserted", "probes_changed", "messages_inserted", "messages_changed")


# The tables whose secondary indexes are set aside while the merge fills them, if empty before.
BULK_TABLES = ("probes", "template_sightings")
# ...but for those whose entries come in order, kept: a taken probe's revision is above every
# other, and a state or an outcome is one of a few values with the row's id (ever higher) after
# it; each goes at the end of its run, cheaper than making the index again (0.3 s for 180,000).
KEPT_INDEXES = ("probes_revision", "idx_probes_state", "idx_probes_outcome")


def _indexes_aside(conn: sqlite3.Connection, tables: tuple[str, ...]) -> list[str]:
    """The secondary indexes of those of `tables` the target has no row in yet, dropped for
    the copy inside its transaction (a rollback brings them back); returns their SQL, to make
    them again once the rows are in (one sort of each, where every row copied would have
    been an insertion into each index)."""
    dropped = []
    for table in tables:
        if (
            not _has_main_table(conn, table)
            or conn.execute(f"select exists (select 1 from main.{table})").fetchone()[0]
        ):
            continue
        for name, sql in conn.execute(
            "select name, sql from main.sqlite_master where type = 'index' and tbl_name = ? and sql is not null",
            [table],
        ).fetchall():
            if name in KEPT_INDEXES:
                continue
            conn.execute(f'drop index main."{name}"')
            dropped.append(sql)
    return dropped


def _has_main_table(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute(
        "select exists (select 1 from main.sqlite_master where type = 'table' and name = ?)", [table]
    ).fetchone()[0]


def _revision_triggers_aside(conn: sqlite3.Connection) -> list[str]:
    """The revision triggers dropped for the copy, inside its transaction (a rollback brings
    them back); returns their SQL. Each fires per row: a million messages copied would update
    their probe a million times, where the merge does it once a probe."""
    triggers = conn.execute(
        f"select name, sql from main.sqlite_master where type = 'trigger' "
        f"and name in ({', '.join('?' * len(REVISION_TRIGGERS))})",
        REVISION_TRIGGERS,
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f'drop trigger main."{name}"')
    return [sql for _, sql in triggers]


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


def _copy_probes(conn: sqlite3.Connection) -> None:
    """The taken probes in one INSERT, as they are but for two columns: each screenshot the
    copy's path, or none where the row named no evidence (temp.screenshot_copies); and what the
    revision triggers (set aside) would have done, each probe a revision of its own above every
    other (in the order taken), so that a public snapshot copies it again."""
    screenshot = "s.screenshot" if _source_has(conn, "probes", "screenshot") else "null"
    revision = "s.revision" if _source_has(conn, "probes", "revision") else "0"
    highest = conn.execute(  # (what max(revision) is once the taken probes are in, as they are)
        "select max(coalesce((select revision from main.probes where id not in (select id from temp.taken) "
        f"order by revision desc limit 1), 0), coalesce((select max({revision}) from source.probes s "
        "where s.id in (select id from temp.taken)), 0))"
    ).fetchone()[0]
    columns = [c for c in _shared_columns(conn, "probes") if c not in ("screenshot", "revision")]
    conn.execute(
        f"insert or replace into main.probes ({', '.join(columns)}, screenshot, revision) "
        f"select {', '.join('s.' + c for c in columns)}, "
        f"(select copy from temp.screenshot_copies where recorded = {screenshot}), ? + t.rowid "
        "from source.probes s cross join temp.taken t on t.id = s.id",
        [highest],
    )
    conn.execute("drop table temp.screenshot_copies")


def _copy_messages(conn: sqlite3.Connection) -> None:
    """The taken probes' messages, in the source's order: where every message of the source is
    taken, read as stored rather than probe by probe (0.2 s less for 600,000), and where the
    target has none yet, copied as they are (`_as_they_are`)."""
    shared = _shared_columns(conn, "messages")
    columns = ", ".join(shared)
    if not _all_taken(conn, "messages"):
        conn.execute(
            f"insert into main.messages ({columns}) select {', '.join('m.' + c for c in shared)} "
            "from temp.taken t join source.messages m on m.probe_id = t.id"
        )
    elif _as_they_are(conn, "messages"):
        conn.execute("insert into main.messages select * from source.messages")
    else:
        conn.execute(f"insert into main.messages ({columns}) select {columns} from source.messages")


def _all_taken(conn: sqlite3.Connection, table: str) -> bool:
    """Whether every row of the source's `table` (rows of probes, by probe_id) is of a taken probe."""
    return not conn.execute(
        f"select exists (select 1 from (select probe_id from source.{table} group by probe_id) "
        "where probe_id not in (select id from temp.taken))"
    ).fetchone()[0]


def _as_they_are(conn: sqlite3.Connection, table: str) -> bool:
    """Whether all of the source's `table` can go into the target's in one `insert ... select *`
    that SQLite runs as a copy of the records and their index entries as they are (its transfer
    optimisation), without decoding a row: the target has no row there yet, and both tables
    have the same columns."""
    return _same_columns(conn, table) and not conn.execute(f"select exists (select 1 from main.{table})").fetchone()[0]


def _same_columns(conn: sqlite3.Connection, table: str) -> bool:
    """Whether both databases' `table` has the same columns, in the same order, of the same kind."""
    return (
        conn.execute(f"pragma main.table_info({table})").fetchall()
        == conn.execute(f"pragma source.table_info({table})").fetchall()
    )


def _copy_template_evidence(conn: sqlite3.Connection) -> None:
    """The taken probes' template sightings, with their keys and the keys' prefix shingles,
    copied as the source recorded them (the same normalisation: sources of a newer schema are
    refused); key ids differ between databases, so keys are matched by their text."""
    conn.execute("delete from main.template_sightings where probe_id in (select id from temp.taken)")
    conn.execute(
        "create temp table taken_keys as select k.id as source_id, k.key, k.length from source.template_keys k "
        "where k.id in (select key_id from source.template_sightings where probe_id in (select id from temp.taken))"
    )
    if _same_key_ids(conn):  # (a new target, or one merged from the same machines): no ids to map
        conn.execute(
            "insert or ignore into main.template_keys (id, key, length) "
            "select source_id, key, length from temp.taken_keys order by source_id"
        )
        conn.execute(
            "insert or ignore into main.template_prefixes select shingle, length, key_id from source.template_prefixes "
            "where key_id in (select source_id from temp.taken_keys)"
        )
        if _all_taken(conn, "template_sightings") and _as_they_are(conn, "template_sightings"):
            conn.execute("insert into main.template_sightings select * from source.template_sightings")
        else:
            conn.execute(
                "insert or ignore into main.template_sightings select key_id, probe_id, platform "
                "from source.template_sightings where probe_id in (select id from temp.taken)"
            )
        conn.execute("drop table temp.taken_keys")
        return
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
        "where s.probe_id in (select id from temp.taken) order by i.id, s.probe_id"
    )
    conn.execute("drop table temp.taken_keys")
    conn.execute("drop table temp.key_ids")


# The template evidence's tables (store/templates.py).
TEMPLATE_TABLES = ("template_keys", "template_prefixes", "template_sightings")
# The page cache of the connection that merges the template evidence apart (its three tables
# and their indexes come to ~75 MB for 1.2 M messages).
APART_CACHE_SIZE = -64 * 1024


def _evidence_apart_possible(conn: sqlite3.Connection, sources: list[Path]) -> bool:
    """Whether the template evidence can be merged apart (`_evidence_apart`): the target has
    none yet, and every source has its tables (none is from before schema 6)."""
    if any(conn.execute(f"select exists (select 1 from main.{table})").fetchone()[0] for table in TEMPLATE_TABLES):
        return False
    for source in sources:
        with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as theirs:
            found = {row[0] for row in theirs.execute("select name from sqlite_master where type = 'table'")}
        if not set(TEMPLATE_TABLES) <= found:
            return False
    return True


@contextlib.contextmanager
def _evidence_apart(sources: list[Path], target: Path) -> Iterator[Future[Path]]:
    """The template evidence of `sources` merged into a database of its own (next to `target`,
    removed afterwards) by a connection of its own, in a thread, while the target's connection
    copies probes and messages: a second core does a third of the work (1 s less of 10 for
    1.2 M messages); the target then takes the tables whole (`_copy_evidence_made_apart`). If
    the merge fails meanwhile, that connection is stopped at once."""
    stop = threading.Event()
    with (
        tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.stem}-merge-") as folder,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        made = pool.submit(_merge_evidence, sources, Path(folder) / "evidence.db", stop)
        try:
            yield made
        finally:
            stop.set()  # (after a merge that succeeded, made is done already)


def _merge_evidence(sources: list[Path], path: Path, stop: threading.Event) -> Path:
    """The template evidence of `sources` merged into a new database at `path`, exactly as into
    the new target: the probes taken from each source are those the target takes (the same
    rule, against a table of the ids and states taken so far), their evidence copied by the
    same statements. Returns `path`."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.set_progress_handler(stop.is_set, 1_000_000)
        for name, value in (BULK_SETTINGS | NEW_TARGET_SETTINGS | {"cache_size": APART_CACHE_SIZE}).items():
            conn.execute(f"pragma {name} = {value}")
        create_tables(conn)
        conn.execute("create table probes (id text primary key, state text)")
        for source in sources:
            conn.execute("attach database ? as source", [str(source)])
            conn.execute("begin")
            if _probes_to_take(conn, MergeCount(source)):
                conn.execute(
                    "insert or replace into main.probes select id, state from source.probes "
                    "where id in (select id from temp.taken)"
                )
                _copy_template_evidence(conn)
            conn.execute("drop table temp.taken")
            conn.execute("commit")
            conn.execute("detach database source")
    finally:
        conn.close()
    return path


def _copy_evidence_made_apart(store: Store, path: Path) -> None:
    """Each table of the template evidence made apart, with its indexes, into the target's,
    empty: whole, so that SQLite copies the records and index entries as they are (its
    transfer optimisation)."""
    conn = store.db.conn
    conn.execute("attach database ? as evidence", [str(path)])
    try:
        with store.exclusive():
            for table in TEMPLATE_TABLES:
                conn.execute(f"insert into main.{table} select * from evidence.{table}")
    finally:
        conn.execute("detach database evidence")


def _same_key_ids(conn: sqlite3.Connection) -> bool:
    """Whether every taken key the target has already has the source's id there, and no other
    key in the target holds one of the source's ids: then the keys are copied with their ids."""
    return not conn.execute(
        "select exists (select 1 from temp.taken_keys t join main.template_keys k on k.key = t.key "
        "where k.id != t.source_id) or exists (select 1 from temp.taken_keys t "
        "join main.template_keys k on k.id = t.source_id where k.key != t.key)"
    ).fetchone()[0]


def _screenshots_found(store: Store, conn: sqlite3.Connection, source: Path) -> set[str]:
    """Evidence follows its probes, copied next to the target. Only a regular .png file
    directly inside the source's own evidence folder is evidence (a database from another
    machine has its screenshots next to it, whatever path it recorded): a row naming any other
    file (../../etc/passwd, a link, out of the folder or not) gets no screenshot, and nothing is
    copied. Set-based: the folder is listed once (and the files found are copied in bulk:
    `_start_copying`). Read from the source's taken probes before they are copied; the names
    found are returned, and each recorded path whose file was found is left in
    temp.screenshot_copies with its copy's path."""
    names = (
        {
            path: _file_name(path)
            for (path,) in conn.execute(
                "select screenshot from source.probes where screenshot is not null "
                "and id in (select id from temp.taken)"
            )
        }
        if _source_has(conn, "probes", "screenshot")
        else {}
    )
    found = _evidence_files(evidence_dir(source), set(names.values()))
    # Each path's copy worked out here, once, rather than by SQLite calling back into Python
    # for each probe row (three calls a probe: 0.3 s a half on the benchmark).
    copies = str(store.evidence_dir) + os.sep
    conn.execute("create temp table screenshot_copies (recorded text primary key, copy text not null)")
    conn.executemany(
        "insert into temp.screenshot_copies values (?, ?)",
        ((path, copies + name) for path, name in names.items() if name in found),
    )
    return found


def _start_copying(store: Store, source: Path, found: set[str], pool: Executor) -> Future[None] | None:
    """The files `found` in the source's evidence folder copied next to the target, in `pool`."""
    return pool.submit(_copy_evidence, store, source, found) if found else None


def _copy_evidence(store: Store, source: Path, found: set[str]) -> None:
    """The files `found` in the source's evidence folder copied next to the target (nothing to
    do when that folder is the target's own)."""
    folder, target = evidence_dir(source), store.evidence_dir
    if not found or folder.resolve() == target.resolve():
        return
    target.mkdir(parents=True, exist_ok=True)
    _copy_files(folder, target, found)


def _standing(row: str, database: str) -> str:
    """SQL for how far a follow-up (`row`, of `database`) has gone: claimed (not_left until its
    form is submitted), pending, then settled, a person's answer furthest; then its replies so
    far. Of two copies the one further on wins."""
    progress = f"case {row}.state when 'not_left' then 0 when 'pending' then 1 when 'answered' then 3 else 2 end"
    replies = f"select count(*) from {database}.follow_up_replies r where r.follow_up = {row}.id"
    return f"({progress}, ({replies}))"


def _copy_follow_ups(store: Store, conn: sqlite3.Connection, source: Path) -> int:
    """The source's follow-ups the target lacks or holds less far on, each with its replies
    (those of the target's copy go) and its form's screenshot (as probes': only a .png of the
    source's evidence folder, copied next to the target); returns how many were taken."""
    conn.execute(
        "create temp table taken_follow_ups as select s.id from source.follow_ups s left join main.follow_ups m "
        f"on m.id = s.id where m.id is null or {_standing('s', 'source')} > {_standing('m', 'main')}"
    )
    try:
        taken = conn.execute("select count(*) from temp.taken_follow_ups").fetchone()[0]
        if not taken:
            return 0
        conn.execute("delete from main.follow_up_replies where follow_up in (select id from temp.taken_follow_ups)")
        _copy_rows(conn, "follow_ups", "id in (select id from temp.taken_follow_ups)", replace=True)
        _copy_rows(conn, "follow_up_replies", "follow_up in (select id from temp.taken_follow_ups)", replace=False)
        shots = dict(
            conn.execute(
                "select id, screenshot from main.follow_ups where screenshot is not null "
                "and id in (select id from temp.taken_follow_ups)"
            ).fetchall()
        )
        found = _evidence_files(evidence_dir(source), {_file_name(path) for path in shots.values()})
        _copy_evidence(store, source, found)
        copies = str(store.evidence_dir) + os.sep
        conn.executemany(
            "update main.follow_ups set screenshot = ? where id = ?",
            [(copies + _file_name(path) if _file_name(path) in found else None, tag) for tag, path in shots.items()],
        )
        return int(taken)
    finally:
        conn.execute("drop table temp.taken_follow_ups")


def _file_name(path: str) -> str:
    """A recorded path's last part."""
    return path.rstrip("/").rpartition("/")[2]


def _evidence_files(folder: Path, wanted: set[str]) -> set[str]:
    """The names among `wanted` of the regular .png files directly inside `folder` (not
    following links): one listing of the folder."""
    try:
        with os.scandir(folder) as entries:
            return {
                entry.name
                for entry in entries
                if entry.name in wanted
                and len(entry.name) > len(".png")
                and entry.name.endswith(".png")
                and entry.is_file(follow_symlinks=False)
            }
    except (FileNotFoundError, NotADirectoryError):
        return set()


def _copy_files(folder: Path, target: Path, names: set[str]) -> None:
    """Each file into `target`, replacing what is there (removed first: never written through,
    it may be a link): a hard link where both folders are on one file system (a screenshot is
    written once and never changed, so a link is a copy at a fifth of the cost and no space),
    else a copy."""
    link = True
    source, copies = str(folder) + os.sep, str(target) + os.sep
    for name in names:
        original, copy = source + name, copies + name
        if link:
            try:
                os.link(original, copy)
                continue
            except FileExistsError:
                if os.path.samefile(original, copy):
                    continue
                os.unlink(copy)
                try:
                    os.link(original, copy)
                    continue
                except OSError:
                    link = False
            except OSError:  # another file system, or one without links: copies from here on
                link = False
        try:
            os.unlink(copy)
        except FileNotFoundError:
            pass
        shutil.copy2(original, copy)


def _shared_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """Columns both databases have: an older source simply lacks the newer ones."""
    ours = [row[1] for row in conn.execute(f"pragma main.table_info({table})")]
    theirs = {row[1] for row in conn.execute(f"pragma source.table_info({table})")}
    return [c for c in ours if c in theirs]


def _source_has(conn: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in conn.execute(f"pragma source.table_info({table})"))


def _has_table(conn: sqlite3.Connection, table: str) -> bool:
    return (
        conn.execute("select count(*) from source.sqlite_master where type = 'table' and name = ?", [table]).fetchone()[
            0
        ]
        == 1
    )
