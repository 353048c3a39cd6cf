"""SQLite storage through sqlite-utils: schema, versioned migrations and writes.

Every observed message is committed the moment it arrives (WAL, one transaction per row),
so a crash or a SIGKILL loses nothing already seen. Probes left `running` by a process that
no longer exists are marked interrupted at the next start.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from . import __version__
from .config import Platform
from .errors import StoreError


def utc_now() -> str:
    """UTC wall-clock time as stored everywhere: ISO 8601 with milliseconds and a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _v1_initial(db: sqlite_utils.Database) -> None:
    db["platforms"].create(
        {
            "slug": str,
            "name": str,
            "url": str,
            "path": str,
            "promise_first_response_s": float,
            "promise_hours": str,
            "promise_timezone": str,
            "updated_at": str,
        },
        pk="slug",
    )
    db["probes"].create(
        {
            "id": str,
            "platform": str,
            "started_at": str,
            "finished_at": str,
            "state": str,  # running / finished / interrupted
            "tag": str,
            "vantage": str,
            "host": str,
            "pid": int,
            "url": str,
            "http_status": int,
            "question_set": str,
            "question_index": int,
            "question": str,
            "question_at_ms": float,
            "handoff_text": str,
            "handoff_at_ms": float,
            "claimed_status": str,  # online / offline / unknown
            "claimed_status_text": str,
            "outcome": str,
            "fake_online": int,
            "bot_loop": int,
            "template_only": int,
            "first_reply_ms": float,
            "first_human_ms": float,
            "platform_messages": int,
            "reasons": str,  # JSON list of strings: the verdict's, then the notes
            "failure": str,  # the outcome when no conversation could happen (unreachable, ...)
            "failure_reason": str,  # ...and why
            "notes": str,  # JSON list: what the probe noticed besides the verdict
            "screenshot": str,
            "max_wait_s": float,
            "time_scale": float,
            "version": str,
        },
        pk="id",
        foreign_keys=[("platform", "platforms", "slug")],
    )
    db["messages"].create(
        {
            "probe_id": str,
            "seq": int,
            "side": str,  # platform / visitor
            "at_ms": float,  # in-page time since the page's navigation started
            "text": str,
            "sender": str,
            "dom_bot": int,  # the platform's own DOM marked it as a bot/system message
            "typing_ms": float,  # in-page time the typing indicator showed before it
            "frame_url": str,
            "kind": str,  # greeting / bot / auto / human (visitor messages: question / handoff)
            "confidence": float,
            "reasons": str,
            "recorded_at": str,
        },
        pk=("probe_id", "seq"),
        foreign_keys=[("probe_id", "probes", "id")],
    )
    db["ratings"].create(
        {
            "rank": int, "platform": str, "name": str, "grade": str, "score": float, "probes": int,
            "needs_review": int, "human_reached": int,
            "human_rate": float, "human_rate_low": float, "human_rate_high": float,
            "fake_online_rate": float, "fake_online_rate_low": float, "fake_online_rate_high": float,
            "bot_loop_rate": float, "bot_loop_rate_low": float, "bot_loop_rate_high": float,
            "first_reply_median_s": float, "first_reply_p90_s": float,
            "first_human_median_s": float, "first_human_p90_s": float,
            "promise_s": float, "promise_kept_rate": float,
            "peak_first_human_median_s": float, "offpeak_first_human_median_s": float,
            "window_days": float, "computed_at": str,
        },
        pk="platform",
    )
    db["probes"].create_index(["platform", "started_at"])
    db["probes"].create_index(["state"])
    db["probes"].create_index(["outcome"])


def _v2_runs_and_claims(db: sqlite_utils.Database) -> None:
    db["runs"].create(
        {
            "id": str,
            "schedule": str,  # the schedule's name; null for `watchdog probe`
            "tag": str,
            "vantage": str,
            "host": str,
            "pid": int,
            "started_at": str,
            "finished_at": str,
            "state": str,  # running / finished / interrupted
            "selected": int,  # platforms asked for
            "probed": int,
            "skipped": str,  # JSON list of "slug: why"
        },
        pk="id",
    )
    # The run lock: a platform is claimed by one run from before its probe starts until it ends.
    db["claims"].create(
        {"platform": str, "run_id": str, "host": str, "pid": int, "claimed_at": str},
        pk="platform",
    )
    db["probes"].add_column("run_id", str)


# Append only: a database at user_version N has had MIGRATIONS[:N] applied.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1_initial, _v2_runs_and_claims]


class Store:
    """One SQLite database of platforms, probes and messages."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            self.db = sqlite_utils.Database(self.path)
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: cannot use this database: {e}") from e

    @property
    def evidence_dir(self) -> Path:
        """Screenshots live next to the database: watchdog.db -> watchdog-evidence/."""
        return self.path.parent / f"{self.path.stem}-evidence"

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.db.atomic():
                migration(self.db)
                self.db.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        """Closing checkpoints the WAL into the file: copy the file only after this."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def save_platform(self, platform: Platform) -> None:
        hours = platform.promise.hours
        self.db["platforms"].upsert(
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

    def start_probe(self, row: dict[str, Any]) -> None:
        row = {"state": "running", "host": socket.gethostname(), "pid": os.getpid(),
               "version": __version__, **row}
        self.db["probes"].insert(row)

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

    def update_probe(self, probe_id: str, fields: dict[str, Any]) -> None:
        self.db["probes"].update(probe_id, _encode(fields))

    def add_message(self, row: dict[str, Any]) -> None:
        self.db["messages"].insert(_encode({"recorded_at": utc_now(), **row}))

    def update_message(self, probe_id: str, seq: int, fields: dict[str, Any]) -> None:
        self.db["messages"].update((probe_id, seq), _encode(fields))

    def platform_texts(self) -> list[tuple[str, str, str]]:
        """(text, probe id, platform) of every platform-side message: the template evidence."""
        return [tuple(row) for row in self.db.execute(
            "select m.text, m.probe_id, p.platform from messages m join probes p on p.id = m.probe_id "
            "where m.side = 'platform'")]

    def last_probe(self, platform: str) -> dict[str, Any] | None:
        """The platform's latest probe that counts for min_interval (our own failures do not)."""
        rows = self.db["probes"].rows_where("platform = ? and coalesce(outcome, '') != 'probe_error'",
                                            [platform], order_by="started_at desc", limit=1)
        return next(iter(rows), None)

    def probe_count(self, platform: str) -> int:
        return self.db["probes"].count_where("platform = ?", [platform])

    def probe(self, probe_id: str) -> dict[str, Any]:
        return self.db["probes"].get(probe_id)

    def messages(self, probe_id: str) -> list[dict[str, Any]]:
        return list(self.db["messages"].rows_where("probe_id = ?", [probe_id], order_by="seq"))

    def mark_interrupted(self) -> list[str]:
        """Probes and runs left `running` by a process of this host that is gone: mark them.

        Returns the probes' ids. Those of live processes (another run in progress) are left alone.
        """
        host = socket.gethostname()
        for run in self.db["runs"].rows_where("state = 'running' and host = ?", [host]):
            if not process_alive(run["pid"]):
                self.db["runs"].update(run["id"], {"state": "interrupted", "finished_at": utc_now()})
        stale = [
            row["id"]
            for row in self.db["probes"].rows_where("state = 'running' and host = ?", [host])
            if not process_alive(row["pid"])
        ]
        for probe_id in stale:
            row = self.probe(probe_id)
            reasons = json.loads(row["reasons"] or "[]")
            reasons.append(f"interrupted: the probing process (pid {row['pid']}) ended mid-probe")
            self.update_probe(
                probe_id,
                {"state": "interrupted", "outcome": "probe_error", "reasons": reasons,
                 "finished_at": utc_now()},
            )
        return stale


def _encode(fields: dict[str, Any]) -> dict[str, Any]:
    """Lists (reasons) are stored as JSON text, booleans as 0/1."""
    encoded: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, (list, tuple)):
            value = json.dumps(list(value), ensure_ascii=False)
        elif isinstance(value, bool):
            value = int(value)
        encoded[key] = value
    return encoded


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

