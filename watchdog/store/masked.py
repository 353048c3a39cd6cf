"""The masked copies the store keeps beside each message (masking.masked_copies), so that a
public snapshot of a long history is a copy, not a call into Python per value.

They are written with the message. Copies made by another masking (a watchdog that masks more
since, rows merged from another version) or by none (messages from before schema 8) are made
again when a store is opened, a slice at a time so that a running probe's writes are never
held up for long: a one-off after an upgrade (about 12 s for a million messages). Until then
whoever reads them masks those rows itself (`published`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from ..masking import FINGERPRINT, MASKED, MASKED_WITH, masked_copies, masked_name
from ..records import MessageRecord

SLICE = 20_000
# Written as three ranges so that the index on masked_with answers it.
STALE = f"({MASKED_WITH} is null or {MASKED_WITH} < {FINGERPRINT} or {MASKED_WITH} > {FINGERPRINT})"
MASKED_COLUMNS = list(MASKED["messages"])


def published(column: str, masked_afresh: str) -> str:
    """SQL for a message column as published: its copy where this masking made it (NULL: the
    value as it is), else `masked_afresh` (SQL that masks it)."""
    copy = f'coalesce("{masked_name(column)}", "{column}")'
    return f'case when "{MASKED_WITH}" = {FINGERPRINT} then {copy} else {masked_afresh} end'


def with_masked_copies(message: MessageRecord) -> dict[str, Any]:
    """The message's row as stored: its columns and their masked copies."""
    row = message.to_row()
    return row | masked_copies(row)


def remask_stale(conn: sqlite3.Connection) -> int:
    """Make again every copy this masking did not make; returns how many messages."""
    if not conn.execute(f"select exists (select 1 from messages where {STALE})").fetchone()[0]:
        return 0  # (what every opening of an up-to-date store costs: an indexed lookup)
    remasked, after = 0, 0
    while True:
        count, last = _remask_slice(conn, after)
        remasked += count
        if last is None:
            return remasked
        after = last


def _remask_slice(conn: sqlite3.Connection, after: int) -> tuple[int, int | None]:
    """The stale messages of the next slice of rowids past `after`, in one transaction;
    returns how many and the last rowid (None at the end). The triggers on messages are set
    aside meanwhile: making a copy again changes no message, and a snapshot masks stale rows
    itself to the same result, so no probe's revision needs raising."""
    sets = ", ".join(f"{masked_name(c)} = :{masked_name(c)}" for c in MASKED_COLUMNS)
    conn.execute("BEGIN IMMEDIATE")
    try:
        triggers = conn.execute(
            "select name, sql from sqlite_master where type = 'trigger' and tbl_name = 'messages'"
        ).fetchall()
        for name, _ in triggers:
            conn.execute(f'drop trigger "{name}"')
        rows = conn.execute(
            f"select rowid, {', '.join(MASKED_COLUMNS)} from messages where rowid > ? and {STALE} "
            f"order by rowid limit {SLICE}",
            [after],
        ).fetchall()
        conn.executemany(
            f"update messages set {sets}, {MASKED_WITH} = :{MASKED_WITH} where rowid = :rowid",
            [{"rowid": row[0]} | masked_copies(dict(zip(MASKED_COLUMNS, row[1:], strict=True))) for row in rows],
        )
        for _, sql in triggers:
            conn.execute(sql)
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return len(rows), (rows[-1][0] if len(rows) == SLICE else None)
