"""Follow-ups in the CSV exports (issue 28): `export follow_ups` (one row per message left, by
its probe, whether a person answered within 24 h and 48 h), `export follow_up_replies` (each
reply, timed from the submit), the ratings' 留言 columns; masked as published by default, and
never our tag or our address."""

from __future__ import annotations

import csv
import io

import pytest

from watchdog.records import FormProblem
from watchdog.store import open_store

from .conftest import run_cli
from .left_messages import add_platform, leave

ANSWER = "您好，充值失败会原路退回，急事请打 13812345678。"


@pytest.fixture
def left_db(db_path):
    with open_store(db_path) as store:
        add_platform(store, "shop", "话费卡盟")
        add_platform(store, "mall", "=商城")
        receipt = (0.5, "auto", "已收到您的留言")
        leave(store, "a1b2c3d4", hours_ago=50, replies=(receipt, (30, "human", ANSWER)), promise_h=24)
        leave(store, "e5f6a7b8", hours_ago=30)
        leave(store, "c9d0e1f2", platform="mall", hours_ago=3, problem=FormProblem.NEEDS_PHONE)
    return db_path


def exported(*args) -> list[dict]:
    result = run_cli("export", *args)
    assert result.exit_code == 0, result.output
    assert "a1b2c3d4" not in result.stdout and "watchdog.test" not in result.stdout
    return list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))


def test_the_follow_ups_export_says_what_a_person_answered_in_time(left_db):
    answered, waiting, not_left = exported("follow_ups", "--lang", "en", "--db", left_db)
    assert (answered["probe_id"], answered["platform_name"], answered["state"]) == ("probe-1", "话费卡盟", "answered")
    assert (answered["replies"], answered["first_reply_s"], answered["first_human_s"]) == ("2", "1800.0", "108000.0")
    assert (answered["answered_24h"], answered["answered_48h"]) == ("0", "1")  # answered after 30 h
    assert (answered["promise_h"], answered["confirmation"]) == ("24.0", "留言成功！我们将在24小时内回复您。")
    assert (waiting["state"], waiting["answered_24h"], waiting["answered_48h"]) == ("pending", "0", "")  # not due
    assert (not_left["state"], not_left["problem"], not_left["platform_name"]) == ("not_left", "needs_phone", "'=商城")
    assert list(answered) == [
        "probe_id", "platform", "platform_name", "submitted_at", "state", "problem", "replies", "first_reply_s",
        "first_human_s", "answered_24h", "answered_48h", "promise_h", "promise", "confirmation", "screenshot",
    ]  # fmt: skip


def test_the_replies_export_is_masked_unless_asked(left_db):
    receipt, answer = exported("follow_up_replies", "--lang", "en", "--db", left_db)
    assert (receipt["kind"], receipt["after_s"], answer["kind"], answer["after_s"]) == (
        "auto",
        "1800.0",
        "human",
        "108000.0",
    )
    assert "13812345678" not in answer["text"] and "原路退回" in answer["text"]
    assert answer["sender"] == "*" * 4 + "@" + "*" * 4 + "." + "*" * 7  # an e-mail address, as any
    (unmasked,) = exported("follow_up_replies", "--lang", "en", "--db", left_db, "--unmasked", "--platform", "shop")[1:]
    assert ANSWER == unmasked["text"] and unmasked["sender"] == "kefu@shop.example"


def test_filters_headers_in_chinese_and_the_ratings_columns(left_db):
    assert [
        row["platform"] for row in exported("follow_ups", "--lang", "en", "--db", left_db, "--platform", "mall")
    ] == ["mall"]
    assert exported("follow_ups", "--db", left_db, "--since", "2999-01-01") == []
    (first, *_) = exported("follow_ups", "--db", left_db)
    assert {"探测编号", "状态", "24小时内真人回复", "平台承诺_小时"} <= first.keys()
    ratings = {row["platform"]: row for row in exported("ratings", "--lang", "en", "--db", left_db)}
    assert (ratings["shop"]["follow_ups"], ratings["shop"]["follow_up_48h_rate"]) == ("2", "1.0")
    assert (ratings["mall"]["follow_ups"], ratings["mall"]["follow_up_review"]) == ("0", "1")
