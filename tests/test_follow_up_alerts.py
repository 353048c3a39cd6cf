"""An alert when a platform leaves a message unanswered (issue 28): once, when the latest of its
messages left that settled either way got no answer from a person; once more when a person
answers one again; automatic receipts settle it neither way; `follow_ups = false` turns it off."""

from __future__ import annotations

from pathlib import Path

from watchdog.alerts import FOLLOW_UP
from watchdog.store import open_store

from .left_messages import add_platform, leave
from .test_alerts import receiver, run_alerts, write_alerts


def left_alerts(db_path: Path, path: Path) -> list:
    """The follow-up changes announced (the probes that left the messages declared the chat
    offline: no human, a state of their own)."""
    return [(change, delivery) for change, delivery in run_alerts(db_path, path) if change.kind == FOLLOW_UP]


def test_a_message_left_unanswered_is_announced_once_and_its_recovery_once(db_path, tmp_path):
    with open_store(db_path) as store:
        add_platform(store, "shop", "话费卡盟")
        leave(store, "w1", hours_ago=30)  # waiting: nothing to say yet
    with receiver() as (url, received):
        path = write_alerts(tmp_path, url)
        assert left_alerts(db_path, path) == []
        with open_store(db_path) as store:
            leave(store, "u1", hours_ago=8 * 24)  # nothing in 7 days: unanswered
        (unanswered,) = left_alerts(db_path, path)
        assert left_alerts(db_path, path) == []  # a state that holds stays quiet
        with open_store(db_path) as store:
            leave(store, "r1", hours_ago=7.5 * 24, replies=((0.1, "auto", "已收到您的留言"),))  # auto_only
        assert left_alerts(db_path, path) == []  # a receipt is no answer, nor a new silence
        with open_store(db_path) as store:
            leave(store, "h1", hours_ago=50, replies=((5, "human", "您好，充值一般10分钟到账。"),))
        (answered,) = left_alerts(db_path, path)
    change, delivery = unanswered
    assert (change.kind, change.started, delivery) == ("follow_up_unanswered", True, "sent to 1 of 1")
    assert "话费卡盟（shop）的留言无人回复" in change.text and "7 天内没有得到真人回复" in change.text
    assert f"https://watchdog.example.org/-/probe/{change.probe_id}" in change.text
    assert (answered[0].kind, answered[0].started) == ("follow_up_unanswered", False)
    assert "真人在 5小时后回复了" in answered[0].text
    titles = [m["title"] for m in received if "留言" in m["title"]]
    assert titles == ["kefu-watchdog: 话费卡盟 留言无人回复", "kefu-watchdog: 话费卡盟 已恢复（留言无人回复）"]
    with open_store(db_path) as store:
        events = [(e["kind"], e["change"]) for e in store.events() if e["kind"] == FOLLOW_UP]
    assert events == [("follow_up_unanswered", "started"), ("follow_up_unanswered", "ended")]


def test_follow_up_alerts_can_be_turned_off_and_speak_english(db_path, tmp_path):
    with open_store(db_path) as store:
        add_platform(store, "shop", "话费卡盟")
        leave(store, "u1", hours_ago=8 * 24)
    with receiver() as (url, received):
        assert left_alerts(db_path, write_alerts(tmp_path, url, "follow_ups = false")) == []
        ((change, _),) = left_alerts(db_path, write_alerts(tmp_path, url, 'lang = "en"'))
    assert "话费卡盟 (shop) left a message unanswered" in change.text and "in 7 days" in change.text
    assert "kefu-watchdog: 话费卡盟 message left unanswered" in [m["title"] for m in received]
