"""The SQLite store through sqlite-utils: every read and write the rest of the package needs.

Nothing outside this package touches the database: other modules call these methods with
typed records (records.py) and get typed records back. Every observed message is committed
the moment it arrives (WAL, one transaction per row), so a crash or a SIGKILL loses nothing
already seen. Probes left `running` by a process that no longer exists are marked
interrupted when a command opens the store (`open_store`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from ..config import Platform
from ..errors import StoreError
from ..masking import masked_copy, masked_name
from ..reasons import Reason
from ..records import FollowUp, FollowUpState, FormField, FormProblem, MessageRecord, Outcome, ProbeRecord, State
from .masked import remask_stale, with_masked_copies
from .schema import migrate, refuse_foreign
from .templates import TemplateIndex

SET_UP_ATTEMPTS = 10
# Probes from the first one's (started_at, id) up to the next range's first, excluded (None: to the end).
ProbeRange = tuple[tuple[str, str], tuple[str, str] | None]


def evidence_dir(db_path: Path) -> Path:
    """Screenshots live next to the database: watchdog.db -> watchdog-evidence/."""
    return db_path.parent / f"{db_path.stem}-evidence"


def _probes_where(state: str, platform: str | None, since: str, prefix: str = "") -> tuple[str, list[str]]:
    """A where clause (and its parameters) for probes in `state` started at or after `since`,
    of one platform or all; `prefix` names the table where a query joins others."""
    where, params = f"{state} and {prefix}started_at >= ?", [since]
    if platform is not None:
        where += f" and {prefix}platform = ?"
        params.append(platform)
    return where, params


def remove_database(database: Path) -> None:
    """A database file and the files SQLite keeps beside it."""
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal")):
        path.unlink(missing_ok=True)


def utc_now() -> str:
    """UTC wall-clock time as stored everywhere: ISO 8601 with milliseconds and a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Store:
    """One SQLite database of platforms, probes, messages, runs, claims and ratings."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.interrupted: list[str] = []  # probes found running by a dead process (open_store)
        try:
            self.db = sqlite_utils.Database(self.path)
            self.db.execute("PRAGMA busy_timeout = 10000")
            self._set_up()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: cannot use this database: {e}") from e

    def _set_up(self) -> None:
        """Refuse what is not ours, switch to WAL, migrate, make stale masked copies again
        (store/masked.py). Processes opening one new file at
        once can deadlock on the lock upgrade, which SQLite answers at once with "locked"
        (waiting could not help): each tries again after a short, growing pause."""
        for attempt in range(1, SET_UP_ATTEMPTS + 1):
            try:
                refuse_foreign(self.db)  # before anything is written to it
                self.db.enable_wal()
                self.db.execute("PRAGMA synchronous = NORMAL")
                migrate(self.db)
                remask_stale(self.db.conn)
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or attempt == SET_UP_ATTEMPTS:
                    raise
                time.sleep(0.02 * attempt)

    @functools.cached_property
    def templates(self) -> TemplateIndex:
        """The template evidence of every probe so far (store/templates.py)."""
        return TemplateIndex(self.db.conn)

    @property
    def evidence_dir(self) -> Path:
        return evidence_dir(self.path)

    def close(self) -> None:
        """Closing checkpoints the WAL into the file: copy the file only after this."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """One write transaction taken before reading (BEGIN IMMEDIATE): what is read inside
        cannot change until it commits, so check-then-write is safe across processes."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    # -- platforms ------------------------------------------------------------------------

    def save_platform(self, platform: Platform) -> None:
        hours = platform.promise.hours
        self.db.table("platforms").upsert(
            {
                "slug": platform.slug,
                "name": platform.name,
                "url": platform.url,
                "path": platform.path,
                "promise_first_response_s": platform.promise.first_response_s,
                "promise_hours": f"{hours[0]:%H:%M}-{hours[1]:%H:%M}" if hours else "always",
                "promise_timezone": platform.promise.timezone,
                "updated_at": utc_now(),
            },
            pk="slug",
        )

    def platforms(self) -> list[dict[str, Any]]:
        return list(self.db.table("platforms").rows_where(order_by="slug"))

    # -- probes and messages ----------------------------------------------------------------

    def start_probe(self, probe: ProbeRecord) -> None:
        self.db.table("probes").insert(probe.to_row())

    def save_probe(self, probe: ProbeRecord) -> None:
        row = probe.to_row()
        self.db.table("probes").update(row.pop("id"), row)

    def save_message(self, message: MessageRecord) -> None:
        """Insert a new message, or replace it when seen again (its text re-rendered)."""
        if message.recorded_at is None:
            message.recorded_at = utc_now()
        self.db.table("messages").insert(with_masked_copies(message), replace=True)

    def save_messages(self, messages: list[MessageRecord]) -> None:
        """Several at once (a burst the page reported together), in one transaction."""
        now = utc_now()
        for message in messages:
            message.recorded_at = message.recorded_at or now
        self.db.table("messages").insert_all((with_masked_copies(m) for m in messages), replace=True)

    def save_verdict(self, probe: ProbeRecord, messages: Iterable[MessageRecord]) -> None:
        """A probe's verdict and its messages' kinds, in one transaction. (A message's masked
        reasons are written with its reasons; its masked text and sender stay as they were:
        current, or stale and so not trusted.)"""
        with self.db.atomic():
            rows = [message.to_row() for message in messages]
            self.db.conn.executemany(
                f"update messages set kind = ?, confidence = ?, reasons = ?, {masked_name('reasons')} = ? "
                "where probe_id = ? and seq = ?",
                [
                    (
                        row["kind"],
                        row["confidence"],
                        row["reasons"],
                        masked_copy("reasons", row["reasons"]),
                        row["probe_id"],
                        row["seq"],
                    )
                    for row in rows
                ],
            )
            self.save_probe(probe)

    def probe(self, probe_id: str) -> ProbeRecord:
        return ProbeRecord.from_row(self.db.table("probes").get(probe_id))

    def messages(self, probe_id: str) -> list[MessageRecord]:
        return [
            MessageRecord.from_row(row)
            for row in self.db.table("messages").rows_where("probe_id = ?", [probe_id], order_by="seq")
        ]

    def probes(
        self, *, platform: str | None = None, since: str = "", ended: bool = False, finished: bool = False
    ) -> list[ProbeRecord]:
        """Probes started at or after `since` (UTC ISO), oldest first: all, or only those that
        `ended` (finished or interrupted), or only `finished` ones (with a verdict)."""
        where, params = ["started_at >= ?"], [since]
        if platform is not None:
            where.append("platform = ?")
            params.append(platform)
        if ended:
            where.append("state != 'running'")
        if finished:
            where.append("state = 'finished'")
        rows = self.db.table("probes").rows_where(" and ".join(where), params, order_by="started_at, id")
        return [ProbeRecord.from_row(row) for row in rows]

    def finished_after(
        self, after: str = "", *, platform: str | None = None, since: str = "", batch: int = 1000
    ) -> Iterator[list[ProbeRecord]]:
        """The finished probes whose id sorts after `after` (of one platform, or all; started at
        or after `since`), in id order, `batch` at a time: each batch its own query for the ids
        after the last one given (keyset), so only one batch is held and the store may be
        written between batches."""
        where, params = self._finished_after(platform, since)
        while True:
            rows = self.db.query(
                f"select * from probes where {where} and id > ? order by id limit ?", [*params, after, batch]
            )
            probes = [ProbeRecord.from_row(row) for row in rows]
            if not probes:
                return
            yield probes
            after = probes[-1].id

    def finished_count(self, after: str = "", *, platform: str | None = None, since: str = "") -> int:
        """How many probes `finished_after` gives, in one query."""
        where, params = self._finished_after(platform, since)
        count = self.db.execute(f"select count(*) from probes where {where} and id > ?", [*params, after]).fetchone()
        return int(count[0])

    @staticmethod
    def _finished_after(platform: str | None, since: str) -> tuple[str, list[str]]:
        # `+state`: not by the state index (nearly every probe is finished), so that the
        # rows come in the primary key's order and a batch reads only its own.
        return _probes_where("+state = 'finished'", platform, since)

    @contextlib.contextmanager
    def committed(self) -> Iterator[None]:
        """Many writes in one transaction, committed at the end, and also when an exception
        (Ctrl-C) ends them early: for writes each whole in itself (save_verdict's, in a
        savepoint of its own), so what was written is kept and nothing is half-written."""
        conn = self.db.conn
        conn.execute("BEGIN")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.commit()

    def rated_probes(self, since: str, platforms: Iterable[str] | None = None) -> Iterator[ProbeRecord]:
        """The finished probes started at or after `since` (of the given platforms, or all),
        platform by platform, with only what ratings read: one query, read as it is used."""
        where, params = "state = 'finished' and started_at >= ?", [since]
        if platforms is not None:
            slugs = list(platforms)
            where += f" and platform in ({', '.join('?' * len(slugs))})"
            params += slugs
        columns = (
            "id, platform, started_at, tag, outcome, fake_online, bot_loop, stock_answer, read_no_reply, "
            "queue_places, first_reply_ms, first_human_ms, time_scale"
        )
        query = f"select {columns} from probes where {where} order by platform, started_at, id"
        return (ProbeRecord.from_row(row) for row in self.db.query(query, params))

    def ended_probes(self, platform: str | None, since: str) -> Iterator[tuple[ProbeRecord, str | None]]:
        """Probes that ended (finished or interrupted), started at or after `since`, oldest
        first, each with its platform's name: read as they are used, in one query."""
        where, params = self._ended(platform, since)
        rows = self.db.query(
            f"select probes.*, platforms.name as platform_name from probes left join platforms "
            f"on platforms.slug = probes.platform where {where} order by probes.started_at, probes.id",
            params,
        )
        return ((ProbeRecord.from_row(row), row["platform_name"]) for row in rows)

    def ended_messages(
        self, platform: str | None, since: str, between: ProbeRange | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """The messages of those probes (only those `between` two probe_slices keys, the
        second excluded or None), in probe order then as seen, as tuples (probe_id, platform,
        probe_started_at, seq, side, at_s, text, sender, kind, confidence, reasons as stored:
        a JSON list): one query, read as used."""
        where, params = self._ended(platform, since)
        if between is not None:
            (first_at, first_id), end = between
            where += " and (probes.started_at, probes.id) >= (?, ?)"
            params += [first_at, first_id]
            if end is not None:
                where += " and (probes.started_at, probes.id) < (?, ?)"
                params += list(end)
        return self.db.execute(
            "select m.probe_id, probes.platform, probes.started_at, m.seq, m.side, round(m.at_ms / 1000.0, 3), m.text, "
            "m.sender, m.kind, m.confidence, m.reasons "
            "from probes join messages m on m.probe_id = probes.id "
            f"where {where} order by probes.started_at, probes.id, m.seq",
            params,
        )

    def probe_slices(self, platform: str | None, since: str, size: int) -> list[ProbeRange]:
        """Those probes in order, cut in slices of `size`: each slice as the keys (started_at,
        id) of its first probe and of the next slice's (None for the last)."""
        where, params = self._ended(platform, since)
        keys = self.db.execute(
            f"select started_at, id from (select started_at, id, row_number() over (order by started_at, id) as n "
            f"from probes where {where}) where (n - 1) % ? = 0 order by n",
            [*params, size],
        ).fetchall()
        ends: list[tuple[str, str] | None] = [*keys[1:], None]
        return list(zip(keys, ends, strict=True))

    @staticmethod
    def _ended(platform: str | None, since: str) -> tuple[str, list[str]]:
        return _probes_where("probes.state != 'running'", platform, since, "probes.")

    def probe_count(self, platform: str) -> int:
        return self.db.table("probes").count_where("platform = ?", [platform])

    def last_probe(self, platform: str) -> ProbeRecord | None:
        """The platform's latest probe that counts for min_interval (our own failures do not)."""
        rows = self.db.table("probes").rows_where(
            "platform = ? and coalesce(outcome, '') != 'probe_error'", [platform], order_by="started_at desc", limit=1
        )
        return next((ProbeRecord.from_row(row) for row in rows), None)

    def mark_interrupted(self) -> list[str]:
        """Probes and runs left `running` by a process of this host that is gone: mark them.

        Returns the probes' ids. Those of live processes (another run in progress) are left alone.
        """
        host = socket.gethostname()
        for run in self.db.table("runs").rows_where("state = 'running' and host = ?", [host]):
            if not process_alive(run["pid"]):
                self.db.table("runs").update(run["id"], {"state": State.INTERRUPTED, "finished_at": utc_now()})
        running = self.db.table("probes").rows_where("state = 'running' and host = ?", [host])
        stale = [probe for probe in map(ProbeRecord.from_row, running) if not process_alive(probe.pid)]
        for probe in stale:
            probe.state, probe.outcome, probe.finished_at = State.INTERRUPTED, Outcome.PROBE_ERROR, utc_now()
            probe.reasons.append(Reason("interrupted_process", pid=probe.pid))
            self.save_probe(probe)
        return [probe.id for probe in stale]

    # -- runs and the run lock (claims) -------------------------------------------------------

    def start_run(self, run: dict[str, Any]) -> None:
        row = {"host": socket.gethostname(), "started_at": utc_now(), "state": State.RUNNING, **run}
        self.db.table("runs").insert(row)

    def finish_run(self, run_id: str, fields: dict[str, Any]) -> None:
        self.db.table("runs").update(run_id, {"finished_at": utc_now(), **fields})

    def runs(self) -> list[dict[str, Any]]:
        return list(self.db.table("runs").rows_where(order_by="started_at"))

    def claims(self) -> dict[str, dict[str, Any]]:
        """Who holds each claimed platform (platform slug -> claim row)."""
        return {row["platform"]: row for row in self.db.table("claims").rows}

    def add_claims(self, slugs: Iterable[str], run_id: str, host: str, pid: int) -> None:
        # Plain SQL: inside `exclusive()` nothing may commit before the claims are in.
        now = utc_now()
        self.db.conn.executemany(
            "insert into claims (platform, run_id, host, pid, claimed_at) values (?, ?, ?, ?, ?)",
            [(slug, run_id, host, pid, now) for slug in slugs],
        )

    def drop_claims(self, slugs: Iterable[str]) -> None:
        self.db.conn.executemany("delete from claims where platform = ?", [(slug,) for slug in slugs])

    def release_claim(self, slug: str, run_id: str) -> None:
        with self.db.conn:
            self.db.conn.execute("delete from claims where platform = ? and run_id = ?", [slug, run_id])

    # -- alerts: state changes -----------------------------------------------------------

    def recent_verdicts(self, platform: str, limit: int, leave_out: Iterable[str]) -> list[dict[str, Any]]:
        """The platform's latest finished probes (id, outcome, flags), newest first, but those
        whose outcome is in `leave_out`."""
        left_out = list(leave_out)
        marks = ", ".join("?" for _ in left_out) or "''"
        return list(
            self.db.query(
                "select id, outcome, fake_online, bot_loop, read_no_reply, started_at from probes where platform = ? "
                f"and state = 'finished' and outcome not in ({marks}) order by started_at desc limit ?",
                [platform, *left_out, limit],
            )
        )

    def alert_states(self) -> dict[tuple[str, str], bool]:
        """(platform, kind) -> whether its latest event started it (no event: not started)."""
        rows = self.db.query(
            "select platform, kind, change from events e where id = "
            "(select max(id) from events where platform = e.platform and kind = e.kind)"
        )
        return {(row["platform"], row["kind"]): row["change"] == "started" for row in rows}

    def add_event(self, event: dict[str, Any]) -> int:
        events = self.db.table("events").insert({"at": utc_now(), **event})
        assert events.last_rowid is not None  # set by the insert
        return events.last_rowid

    def event_delivered(self, event_id: int, delivery: str) -> None:
        self.db.table("events").update(event_id, {"delivered_at": utc_now(), "delivery": delivery})

    def events(self) -> list[dict[str, Any]]:
        return list(self.db.table("events").rows_where(order_by="id"))

    # -- follow-ups (留言 / 工单) ------------------------------------------------------------

    def start_follow_up(self, follow_up: FollowUp) -> None:
        self.db.table("follow_ups").insert(_follow_up_row(follow_up))

    def claim_follow_up(self, follow_up: FollowUp, every_s: float) -> bool:
        """Record the follow-up unless the platform had one (left or tried) within `every_s`
        of it: two runs at once never both leave a message. It is recorded as not left until
        its form is submitted, so a run that dies on the way claims no answer was owed."""
        since = _stamp(follow_up.submitted_at - timedelta(seconds=every_s))
        with self.exclusive():
            sql = "select 1 from follow_ups where platform = ? and submitted_at > ? limit 1"
            if self.db.execute(sql, [follow_up.platform, since]).fetchone():
                return False
            self.start_follow_up(follow_up)
        return True

    def pending_follow_ups(self) -> list[FollowUp]:
        """The follow-ups still waiting, each with the kinds of the replies it has had."""
        rows = self.db.query(
            "select f.*, group_concat(r.kind) as kinds from follow_ups f "
            "left join follow_up_replies r on r.follow_up = f.id where f.state = ? "
            "group by f.id order by f.submitted_at",
            [FollowUpState.PENDING],
        )
        return [_follow_up(row) for row in rows]

    def has_reply(self, message_id: str) -> bool:
        return bool(self.db.execute("select 1 from follow_up_replies where message_id = ?", [message_id]).fetchone())

    def replies_elsewhere(self, text: str, follow_up: str) -> int:
        """How many other follow-ups had a reply of exactly these words."""
        sql = "select count(distinct follow_up) from follow_up_replies where text = ? and follow_up != ?"
        return int(self.db.execute(sql, [text, follow_up]).fetchone()[0])

    def add_reply(self, follow_up: FollowUp, reply: dict[str, Any]) -> None:
        """A reply matched to a follow-up, and the follow-up as it now stands, in one transaction."""
        with self.db.atomic():
            self.db.table("follow_up_replies").insert({"follow_up": follow_up.id, **reply})
            self.save_follow_up(follow_up)

    def save_follow_up(self, follow_up: FollowUp) -> None:
        row = _follow_up_row(follow_up)
        self.db.table("follow_ups").update(row.pop("id"), row)

    def follow_ups(self) -> list[dict[str, Any]]:
        return list(self.db.table("follow_ups").rows_where(order_by="submitted_at"))

    def follow_up_replies(self, follow_up: str) -> list[dict[str, Any]]:
        return list(self.db.table("follow_up_replies").rows_where("follow_up = ?", [follow_up], order_by="received_at"))

    # -- ratings --------------------------------------------------------------------------

    def replace_ratings(self, rows: list[dict[str, Any]]) -> None:
        with self.db.atomic():
            self.db.execute("delete from ratings")
            if rows:
                self.db.table("ratings").insert_all(rows)

    def ratings(self) -> list[dict[str, Any]]:
        """The stored ratings, best first (unrated platforms last)."""
        return list(self.db.table("ratings").rows_where(order_by="rank is null, rank, platform"))


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _when(stamp: str | None) -> datetime | None:
    return _moment(stamp) if stamp else None


def _stamp(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment else None


def _follow_up(row: dict[str, Any]) -> FollowUp:
    """A follow-up as stored, with `kinds` (its replies' kinds, comma-separated)."""
    return FollowUp(
        row["id"],
        row["probe_id"],
        row["platform"],
        row["platform_url"] or "",
        row["address"],
        _moment(row["submitted_at"]),
        FollowUpState(row["state"]),
        _when(row["first_reply_at"]),
        _when(row["first_human_at"]),
        row["kinds"].split(",") if row["kinds"] else [],
        row["form_url"] or "",
        [FormField(**f) for f in json.loads(row["form_fields"] or "[]")],
        row["confirmation"] or "",
        row["screenshot"],
        row["promise_h"],
        row["promise"] or "",
        FormProblem(row["problem"]) if row["problem"] else None,
        row["detail"] or "",
    )


def _follow_up_row(follow_up: FollowUp) -> dict[str, Any]:
    closed = follow_up.state not in (FollowUpState.PENDING, FollowUpState.NOT_LEFT)
    return {
        "id": follow_up.id,
        "probe_id": follow_up.probe_id,
        "platform": follow_up.platform,
        "platform_url": follow_up.platform_url,
        "address": follow_up.address,
        "submitted_at": _stamp(follow_up.submitted_at),
        "state": follow_up.state,
        "first_reply_at": _stamp(follow_up.first_reply_at),
        "first_human_at": _stamp(follow_up.first_human_at),
        "human_delay_s": follow_up.human_delay_s,
        "closed_at": utc_now() if closed else None,
        "form_url": follow_up.form_url,
        "form_fields": json.dumps([asdict(f) for f in follow_up.form_fields], ensure_ascii=False),
        "confirmation": follow_up.confirmation,
        "screenshot": follow_up.screenshot,
        "promise_h": follow_up.promise_h,
        "promise": follow_up.promise,
        "problem": follow_up.problem,
        "detail": follow_up.detail,
    }


@contextlib.contextmanager
def open_store(path: Path | str, *, existing: bool = False) -> Iterator[Store]:
    """The one way to open a store: it is always closed (the WAL checkpointed into the file),
    and probes left running by a dead process of this host are marked interrupted.
    `existing`: the database must already be there (commands that only read)."""
    if existing and not Path(path).is_file():
        raise StoreError(f"{path}: no such database (run `watchdog probe` or `watchdog demo` first)")
    store = Store(path)
    try:
        store.interrupted = store.mark_interrupted()
        yield store
    finally:
        store.close()


def process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
