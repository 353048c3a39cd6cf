"""`watchdog merge` carries the follow-ups (issue 28): each message left once, the copy further
settled with its own replies whichever order the machines come in, the form's screenshot copied
next to the merged database; merging again changes nothing."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from watchdog.followups import record_reply, settle
from watchdog.records import FormProblem
from watchdog.store import open_store

from .conftest import run_cli
from .left_messages import add_platform, leave
from .simulate import png
from .test_merge import copy_db


def follow_ups(db_path) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "select f.id, f.state, f.human_delay_s, f.screenshot is not null, count(r.message_id) "
            "from follow_ups f left join follow_up_replies r on r.follow_up = f.id group by f.id order by f.id"
        ).fetchall()


def answer(db_path, tag: str, after_h: float) -> None:
    """A person's reply to a waiting follow-up, as the mailbox stores it."""
    with open_store(db_path) as store:
        (waiting,) = [f for f in store.pending_follow_ups() if f.id == tag]
        received = waiting.submitted_at + timedelta(hours=after_h)
        record_reply(waiting, "human", received)
        settle(waiting, datetime.now(UTC))
        stamp = received.isoformat(timespec="seconds").replace("+00:00", "Z")
        reply = {"message_id": f"<{tag}.human@shop.example>", "received_at": stamp, "sender": "kefu@shop.example"}
        reply |= {"subject": "回复：售前咨询", "text": "您好。", "kind": "human", "reason": "a person's answer"}
        store.add_reply(waiting, reply)


def test_follow_ups_merge_once_the_further_settled_copy_winning(tmp_path):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    with open_store(a) as store:
        add_platform(store)
        screenshot = store.evidence_dir / "probe-1-form.png"
        screenshot.parent.mkdir()
        screenshot.write_bytes(png())
        leave(store, "a1", hours_ago=10, replies=((0.5, "auto", "已收到您的留言"),), screenshot=str(screenshot))
        leave(store, "b1", hours_ago=40, replies=((3, "human", "您好，一般10分钟到账。"),))
    copy_db(a, b)  # machine b: a copy of a's, then a person answers a1 there
    answer(b, "a1", 2)
    with open_store(b) as store:
        leave(store, "c1", hours_ago=1, problem=FormProblem.NEEDS_PHONE)
    one, other = tmp_path / "one.db", tmp_path / "other.db"
    merged = run_cli("merge", a, b, "-o", one)
    assert merged.exit_code == 0, merged.output
    assert f"{a}: " in merged.stderr and "; 2 follow-up(s) taken" in merged.stderr  # a1 and b1
    assert f"{b}: " in merged.stderr and "; 2 follow-up(s) taken" in merged.stderr  # a1 answered, c1
    assert run_cli("merge", b, a, "-o", other).exit_code == 0  # the other order
    expected = [("a1", "answered", 7200.0, 1, 2), ("b1", "answered", 10800.0, 0, 1), ("c1", "not_left", None, 0, 0)]
    assert follow_ups(one) == follow_ups(other) == expected
    with sqlite3.connect(one) as conn:
        (path,) = conn.execute("select screenshot from follow_ups where id = 'a1'").fetchone()
    copied = tmp_path / "one-evidence" / "probe-1-form.png"
    assert path == str(copied) and copied.read_bytes() == png()
    again = run_cli("merge", a, b, "-o", one)
    assert "follow-up(s) taken" not in again.stderr and follow_ups(one) == expected
