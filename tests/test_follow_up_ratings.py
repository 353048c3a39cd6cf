"""The ratings' 留言 figures (issue 28): messages left, the share a person answered within 24 h
and 48 h (a message still waiting and younger than that is not counted yet), the median delay,
the platform's own promise, the messages that could not be left; never in the score."""

from __future__ import annotations

from datetime import UTC, datetime

from watchdog.publish.ratings import FOLLOW_UP_COLUMNS, compute_ratings
from watchdog.records import FormProblem
from watchdog.store import open_store

from .left_messages import add_platform, leave


def test_follow_up_figures_count_what_is_due(db_path):
    now = datetime.now(UTC)
    with open_store(db_path) as store:
        add_platform(store, "shop")
        add_platform(store, "quiet", "无留言卡盟")
        receipt, answer = (0.1, "auto", "已收到您的留言"), (2, "human", "您好，一般10分钟到账。")
        leave(store, "a1", hours_ago=50, replies=(receipt, answer))
        leave(store, "a2", hours_ago=50, replies=((30, "human", "抱歉回复晚了，充值失败会原路退回。"),), promise_h=24)
        leave(store, "a3", hours_ago=30, now=now)  # waiting 30 h: missed 24 h, not yet due for 48 h
        leave(store, "a4", hours_ago=2, now=now)  # waiting 2 h: due for neither
        leave(store, "a5", hours_ago=1, problem=FormProblem.NEEDS_PHONE, detail="手机号")
        ratings = {row["platform"]: row for row in compute_ratings(store)}
        stored = {row["platform"]: row for row in store.ratings()}
    shop = ratings["shop"]
    assert shop["follow_ups"] == 4 and shop["follow_up_review"] == 1
    assert shop["follow_up_24h_rate"] == round(1 / 3, 4)  # a1 in 2 h; a2 late; a3 missed it
    assert shop["follow_up_48h_rate"] == 1.0  # a1 and a2; a3 and a4 not due yet
    assert shop["follow_up_median_s"] == 16 * 3600.0  # the median of 2 h and 30 h
    assert shop["follow_up_promise_h"] == 24
    assert {column: stored["shop"][column] for column in FOLLOW_UP_COLUMNS} == {
        column: shop[column] for column in FOLLOW_UP_COLUMNS
    }
    assert all(ratings["quiet"][column] is None for column in FOLLOW_UP_COLUMNS)


def test_a_platform_whose_every_message_could_not_be_left_is_a_case_to_review(db_path):
    with open_store(db_path) as store:
        add_platform(store)
        leave(store, "b1", problem=FormProblem.NEEDS_QQ)
        leave(store, "b2", problem=FormProblem.NO_FORM)
        (row,) = compute_ratings(store)
    assert (row["follow_ups"], row["follow_up_review"]) == (0, 2)
    assert row["follow_up_24h_rate"] is None and row["follow_up_median_s"] is None


def test_follow_ups_never_change_the_score_or_the_rank(demo_copy):
    with open_store(demo_copy) as store:
        before = {row["platform"]: row for row in compute_ratings(store)}
        for probe in store.probes(platform="fake-online"):  # the worst platform answers every message at once...
            leave(store, f"f-{probe.id}", probe_id=probe.id, platform="fake-online", hours_ago=60,
                  replies=((0.5, "human", "您好。"),))  # fmt: skip
        for probe in store.probes(platform="prompt-human"):  # ...and the best none
            leave(store, f"p-{probe.id}", probe_id=probe.id, platform="prompt-human", hours_ago=200)
        after = {row["platform"]: row for row in compute_ratings(store)}
    assert after["fake-online"]["follow_up_24h_rate"] == 1 and after["prompt-human"]["follow_up_24h_rate"] == 0
    for slug, row in before.items():
        assert (after[slug]["score"], after[slug]["grade"], after[slug]["rank"]) == (
            row["score"],
            row["grade"],
            row["rank"],
        )


def test_follow_ups_outside_the_window_are_not_counted(db_path):
    with open_store(db_path) as store:
        add_platform(store)
        leave(store, "old", hours_ago=31 * 24, replies=((1, "human", "您好。"),))
        (row,) = compute_ratings(store)
    assert row["follow_ups"] is None
