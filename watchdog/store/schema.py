"""The database schema as versioned migrations: a database at user_version N has had
MIGRATIONS[:N] applied. Append only."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils

from ..masking import MASKED_WITH, masked_name
from ..text import clean_text
from .templates import TemplateIndex, create_tables


def _v1_initial(db: sqlite_utils.Database) -> None:
    db.table("platforms").create(
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
    db.table("probes").create(
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
    db.table("messages").create(
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
    db.table("ratings").create(
        {
            "rank": int,
            "platform": str,
            "name": str,
            "grade": str,
            "score": float,
            "probes": int,
            "needs_review": int,
            "human_reached": int,
            "human_rate": float,
            "human_rate_low": float,
            "human_rate_high": float,
            "fake_online_rate": float,
            "fake_online_rate_low": float,
            "fake_online_rate_high": float,
            "bot_loop_rate": float,
            "bot_loop_rate_low": float,
            "bot_loop_rate_high": float,
            "first_reply_median_s": float,
            "first_reply_p90_s": float,
            "first_human_median_s": float,
            "first_human_p90_s": float,
            "promise_s": float,
            "promise_kept_rate": float,
            "peak_first_human_median_s": float,
            "offpeak_first_human_median_s": float,
            "window_days": float,
            "computed_at": str,
        },
        pk="platform",
    )
    db.table("probes").create_index(["platform", "started_at"])
    db.table("probes").create_index(["state"])
    db.table("probes").create_index(["outcome"])


def _v2_runs_and_claims(db: sqlite_utils.Database) -> None:
    db.table("runs").create(
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
    db.table("claims").create(
        {"platform": str, "run_id": str, "host": str, "pid": int, "claimed_at": str},
        pk="platform",
    )
    db.table("probes").add_column("run_id", str)


# Append only: a database at user_version N has had MIGRATIONS[:N] applied.
def _v3_clean_text_and_sight(db: sqlite_utils.Database) -> None:
    """Message texts cleaned (the page's text kept in raw_text), and how each was seen."""
    messages = db.table("messages")
    messages.add_column("raw_text", str)
    messages.add_column("seen", str)  # live / sent / end
    db.execute(
        "update messages set raw_text = text, seen = case when side = 'visitor' "
        "and reasons like '%not shown by the widget%' then 'sent' else 'live' end"
    )
    db.conn.executemany(
        "update messages set text = ? where rowid = ?",
        [
            (clean_text(text), rowid)
            for rowid, text in db.execute("select rowid, text from messages")
            if text is not None and clean_text(text) != text
        ],
    )


def _v4_screen_check_and_learned_list(db: sqlite_utils.Database) -> None:
    """Whether the transcript was checked against the screen (probes before v4: when their
    notes say so), and the message list a probe learned from our question."""
    probes = db.table("probes")
    probes.add_column("screen_checked", int, not_null_default=0)
    probes.add_column("learned_message", str)
    probes.add_column("learned_visitor", str)
    db.execute(
        "update probes set screen_checked = 1 where notes like '%checked against the screen at the end%' "
        "or notes like '%platform message(s) that the observer never reported%'"
    )


def _v5_events(db: sqlite_utils.Database) -> None:
    """State changes the alerts announce, each recorded once, with how its delivery went."""
    db.table("events").create(
        {
            "id": int,
            "platform": str,
            "kind": str,  # fake_online / bot_loop / no_human
            "change": str,  # started / ended
            "at": str,
            "probe_id": str,  # the probe that made the change
            "detail": str,  # the message sent
            "delivered_at": str,
            "delivery": str,  # "sent to 2 of 2", or what failed
        },
        pk="id",
    )
    db.table("events").create_index(["platform", "kind", "id"])


def _v6_template_evidence(db: sqlite_utils.Database) -> None:
    """Template evidence in tables (store/templates.py), filled from the probes so far."""
    create_tables(db.conn)
    TemplateIndex(db.conn).record_stored()


def _v7_indexes_and_revisions(db: sqlite_utils.Database) -> None:
    """Indexes for what is published and exported, and a revision number that every change to a
    probe or its messages raises (the public snapshot copies only the probes that changed)."""
    db.table("probes").add_column("revision", int, not_null_default=0)
    for statement in (
        "update probes set revision = rowid",
        "create index probes_started on probes (started_at, id)",
        "create index probes_incidents on probes (started_at) where fake_online = 1 or bot_loop = 1",
        "create index probes_revision on probes (revision)",
        "create index messages_kind on messages (kind)",
        *(
            f"create trigger {name} after {event} on {table} {when} begin update probes set revision = "
            f"(select max(revision) from probes) + 1 where id = new.{key}; end"
            for name, event, table, when, key in (
                ("probes_inserted", "insert", "probes", "", "id"),
                ("probes_changed", "update", "probes", "when new.revision = old.revision", "id"),
                ("messages_inserted", "insert", "messages", "", "probe_id"),
                ("messages_changed", "update", "messages", "", "probe_id"),
            )
        ),
    ):
        db.execute(statement)


def _v8_masked_copies(db: sqlite_utils.Database) -> None:
    """Each message's masked columns kept beside it, and the fingerprint of the masking that
    made them (store/masked.py: written with each message; made for earlier ones when a store
    is opened)."""
    messages = db.table("messages")
    for column in ("text", "sender", "reasons"):  # MASKED["messages"] as of schema 8
        messages.add_column(masked_name(column), str)
    messages.add_column(MASKED_WITH, int)
    messages.create_index([MASKED_WITH])


def _v9_lines(db: sqlite_utils.Database) -> None:
    """Whether a message is a line of the chat's list that is not a bubble (a notice, a time)."""
    db.table("messages").add_column("dom_line", int, not_null_default=0)


def _v10_stock_answers(db: sqlite_utils.Database) -> None:
    """A probe answered only in stock words (a quick reply, a macro), and the index the template
    rule's rates read (each platform's probes that sent any text)."""
    db.table("probes").add_column("stock_answer", int, not_null_default=0)
    db.table("ratings").add_column("stock_answer_rate", float)
    create_tables(db.conn)


def _v11_queues_and_handoffs(db: sqlite_utils.Database) -> None:
    """What the chat promised instead of an answer: a queue that did not move, a person
    announced who never came."""
    db.table("probes").add_column("queue_stuck", int, not_null_default=0)
    db.table("probes").add_column("handoff_broken", int, not_null_default=0)


def _v12_read_receipts(db: sqlite_utils.Database) -> None:
    """When the widget showed our question read (已读), whether no human followed, and the
    places in the chat's queue as they went."""
    db.table("probes").add_column("read_ms", float)
    db.table("probes").add_column("queue_places", str)  # JSON: [[seconds after the question, place], ...]
    db.table("probes").add_column("read_no_reply", int, not_null_default=0)


def _v13_signal_ratings(db: sqlite_utils.Database) -> None:
    """A platform's 已读不回 share, and its queues: how many probes queued, the median first
    place, how often the place went down."""
    ratings = db.table("ratings")
    ratings.add_column("read_no_reply_rate", float)
    ratings.add_column("queued", int)
    ratings.add_column("queue_place_median", float)
    ratings.add_column("queue_moved_rate", float)


def _v14_read_by(db: sqlite_utils.Database) -> None:
    """How the widget showed our question read (text=已读, or the marker's selector): evidence
    for 已读不回, and what a platform file without chat.read learns."""
    db.table("probes").add_column("read_by", str)


def _v15_follow_ups(db: sqlite_utils.Database) -> None:
    """Messages left on platforms' forms (留言 / 工单) and the e-mails that answered them."""
    db.table("follow_ups").create(
        {
            "id": str,  # the tag of its address
            "probe_id": str,
            "platform": str,
            "platform_url": str,
            "address": str,
            "submitted_at": str,
            "state": str,
            "first_reply_at": str,
            "first_human_at": str,
            "human_delay_s": float,
            "closed_at": str,
        },
        pk="id",
        not_null={"probe_id", "platform", "address", "submitted_at", "state"},
    )
    db.table("follow_ups").create_index(["state"])
    db.table("follow_up_replies").create(
        {
            "follow_up": str,
            "message_id": str,
            "received_at": str,
            "sender": str,
            "subject": str,
            "text": str,
            "kind": str,
            "reason": str,
        },
        pk=("follow_up", "message_id"),
    )


def _v16_left_messages(db: sqlite_utils.Database) -> None:
    """What a follow-up left and where (the form's fields as filled, the page's confirmation,
    a screenshot, the platform's promise), and why one could not be left; the ratings' 留言
    figures."""
    follow_ups = db.table("follow_ups")
    for column, kind in (
        ("form_url", str),
        ("form_fields", str),  # JSON: [{label, kind, required, value}]
        ("confirmation", str),
        ("screenshot", str),
        ("promise_h", float),
        ("promise", str),
        ("problem", str),
        ("detail", str),
    ):
        follow_ups.add_column(column, kind)
    follow_ups.create_index(["platform", "submitted_at"])
    ratings = db.table("ratings")
    ratings.add_column("follow_ups", int)  # messages left
    ratings.add_column("follow_up_24h_rate", float)  # answered by a person within 24 h
    ratings.add_column("follow_up_48h_rate", float)
    ratings.add_column("follow_up_median_s", float)  # first human answer, median delay
    ratings.add_column("follow_up_promise_h", float)  # the platform's own promise
    ratings.add_column("follow_up_review", int)  # messages that could not be left


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1_initial,
    _v2_runs_and_claims,
    _v3_clean_text_and_sight,
    _v4_screen_check_and_learned_list,
    _v5_events,
    _v6_template_evidence,
    _v7_indexes_and_revisions,
    _v8_masked_copies,
    _v9_lines,
    _v10_stock_answers,
    _v11_queues_and_handoffs,
    _v12_read_receipts,
    _v13_signal_ratings,
    _v14_read_by,
    _v15_follow_ups,
    _v16_left_messages,
]


def refuse_foreign(db: sqlite_utils.Database) -> None:
    """Raise, having written nothing, for a database that is not ours to write: another
    application's (tables, but none of ours) or one made by a newer watchdog."""
    version = _version(db.conn)
    if version > len(MIGRATIONS):
        raise sqlite3.DatabaseError(f"made by a newer watchdog (schema {version}); upgrade this one first")
    tables = {row[0] for row in db.conn.execute("select name from sqlite_master where type = 'table'")}
    if version == 0 and tables and "probes" not in tables:
        shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
        raise sqlite3.DatabaseError(f"not a watchdog database (it has other tables: {shown}); choose another file")


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the database to the newest schema. The write lock is taken before the version is
    read, so processes opening one new database at once migrate it exactly once."""
    if _version(db.conn) == len(MIGRATIONS):
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        version = _version(db.conn)
        if version > len(MIGRATIONS):
            raise sqlite3.DatabaseError(f"made by a newer watchdog (schema {version}); upgrade this one first")
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            migration(db)
            db.conn.execute(f"PRAGMA user_version = {number}")
        analyze(db.conn)
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()


def analyze(conn: sqlite3.Connection, schema: str = "main") -> None:
    """Fresh statistics for the query planner (after migrations and merges): sampled, so that
    it costs about the same however large the tables."""
    conn.execute("PRAGMA analysis_limit = 1000")
    conn.execute(f"ANALYZE {schema}")


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
