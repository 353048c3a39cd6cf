"""Ratings: the documented formula, Wilson intervals, and an order that matches behaviour."""

from __future__ import annotations

import sqlite_utils

from watchdog.publish.ratings import Window, compute_ratings, grade, percentile, rate_platform, speed_score, wilson
from watchdog.records import Outcome, ProbeRecord
from watchdog.store import open_store

from .conftest import run_cli


def test_wilson_interval():
    low, high = wilson(8, 10)
    assert (low, high) == (0.4902, 0.9433)
    assert wilson(0, 0) == (None, None)
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0


def test_speed_score_log_scale():
    assert speed_score(30) == 1 and speed_score(60) == 1
    assert speed_score(900) == 0 and speed_score(None) == 0
    assert abs(speed_score(232.4) - 0.5) < 0.01  # the geometric middle of 60 s and 15 min


def test_percentile_and_grades():
    assert percentile([5, 1, 3, 2, 4], 0.9) == 5 and percentile([], 0.5) is None
    assert [grade(s) for s in (90, 75, 60, 45, 10, None)] == ["A", "B", "C", "D", "F", "insufficient data"]


def probe(outcome="human", human_ms=30_000.0, **flags) -> ProbeRecord:
    return ProbeRecord(
        "p",
        "a",
        "2026-11-22T00:00:00.000Z",
        outcome=Outcome(outcome),
        first_reply_ms=human_ms,
        first_human_ms=human_ms if outcome == "human" else None,
        **flags,
    )


def test_score_formula_and_exclusions():
    platform = {"slug": "a", "name": "甲", "promise_first_response_s": None}
    probes = [probe() for _ in range(4)] + [probe("no_reply", None, fake_online=True)]
    probes += [probe("probe_error", None), probe("chat_missing", None)]  # never counted
    row = rate_platform(platform, probes)
    assert row["probes"] == 5 and row["needs_review"] == 1
    # 40 x 0.8 reach + 30 x 1 speed (30 s) + 20 x (1 - 0.2) honesty + 10 x 0.8 promise (15 min)
    assert row["score"] == 86.0 and row["grade"] == "A"
    assert rate_platform(platform, probes[:4])["grade"] == "insufficient data"


def test_leaderboard_orders_platforms_by_behaviour(demo_db):
    db = sqlite_utils.Database(demo_db)
    ranked = [r["platform"] for r in db["ratings"].rows_where("rank is not null", order_by="rank")]
    position = {slug: ranked.index(slug) for slug in ranked}
    assert position["prompt-human"] < position["slow-human"] < position["bot-loop"]
    assert position["slow-human"] < position["fake-online"]
    ratings = {r["platform"]: r for r in db["ratings"].rows}
    assert ratings["prompt-human"]["grade"] == "A"
    assert ratings["fake-online"]["fake_online_rate"] == 1 and ratings["fake-online"]["grade"] == "F"
    assert ratings["broken-widget"]["needs_review"] == 5 and ratings["broken-widget"]["probes"] == 0
    assert ratings["prompt-human"]["peak_first_human_median_s"] is not None
    assert ratings["prompt-human"]["offpeak_first_human_median_s"] is not None


def test_ratings_command_prints_leaderboard(demo_copy):
    result = run_cli("ratings", "--db", demo_copy)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["rank", "name", "platform", "grade"]
    assert any("闪电卡盟" in line and " A " in line for line in lines) and "score = 40" in result.stderr


def test_a_run_recomputes_only_the_platforms_it_probed_and_ranks_all(demo_copy):
    """After a run only the probed platforms' rows are computed again; the others are kept as
    stored, and ranks are given over all of them."""
    with open_store(demo_copy) as store:
        before = {row["platform"]: row for row in store.ratings()}
        store.db.execute("update probes set outcome = 'no_reply', fake_online = 1 where platform = 'prompt-human'")
        store.db.execute("update probes set outcome = 'no_reply', fake_online = 1 where platform = 'slow-human'")
        rows = compute_ratings(store, platforms={"prompt-human"})
        after = {row["platform"]: row for row in store.ratings()}
    assert len(rows) == len(before) == len(after)
    assert after["prompt-human"]["fake_online_rate"] == 1 and after["prompt-human"]["grade"] == "F"
    assert after["slow-human"] == before["slow-human"] | {"rank": after["slow-human"]["rank"]}  # kept as stored
    assert sorted(row["rank"] for row in after.values() if row["rank"]) == list(
        range(1, 1 + sum(1 for row in before.values() if row["rank"]))
    )
    assert after["prompt-human"]["rank"] > before["prompt-human"]["rank"]


def test_ratings_over_another_window_are_all_recomputed(demo_copy):
    with open_store(demo_copy) as store:
        compute_ratings(store, Window(days=7))
        compute_ratings(store, platforms={"prompt-human"})  # the default 30 days: nothing kept
        assert {row["window_days"] for row in store.ratings()} == {30.0}
