"""Proof of sight in a real browser: a platform file whose selectors miss the conversation
makes the probe `blind`, never `no_reply`, `fake_online` or any other accusing flag."""

from __future__ import annotations

import sqlite3

import pytest

from .conftest import json_lines, run_cli, truth

pytestmark = pytest.mark.browser

# The users' mistakes: a message selector that matches nothing (a typo, or markup that
# changed), a visitor selector that matches every bubble, and one that matches none.
MISTAKES = {
    "message": ('message = ".msg"', 'message = ".bubble"'),
    "visitor-all": ('visitor = ".msg.me"', 'visitor = ".msg"'),
    "visitor-none": ('visitor = ".msg.me"', 'visitor = ".msg.mine"'),
}
PLATFORMS = ("fake-online", "bot-loop", "template-only", "prompt-human", "read-icon")  # read-icon: 已读不回


def test_wrong_selectors_never_accuse(probes_copy, db_path, sandbox):
    for path in list(probes_copy.glob("*.toml")):
        if path.stem in PLATFORMS:
            for mistake, (right, wrong) in MISTAKES.items():
                text = path.read_text(encoding="utf-8")
                assert right in text
                (probes_copy / f"{path.stem}_{mistake}.toml").write_text(text.replace(right, wrong), encoding="utf-8")
        path.unlink()
    result = run_cli("probe", "--all", "--json", "--probes", probes_copy, "--db", db_path, "--concurrency", "12")
    assert result.exit_code == 0, result.output
    rows = json_lines(result.stdout)
    assert len(rows) == len(PLATFORMS) * len(MISTAKES)
    expected = truth(sandbox)["platforms"]
    for row in rows:
        slug, mistake = row["platform"].split("_")
        if mistake == "visitor-none":  # our messages are known by their text: it sees all
            assert row["outcome"] == expected[slug]["expected"]["outcome"], row
            assert row["fake_online"] == expected[slug]["expected"]["fake_online"], row
            continue
        assert (row["outcome"], row["fake_online"], row["bot_loop"]) == ("blind", False, False), row
        assert not any(row[flag] for flag in ("read_no_reply", "queue_stuck", "handoff_broken")), row
        assert row["reasons"][0].startswith("blind: the probe could not see the conversation: ")
        assert ("chat.message" if mistake == "message" else "chat.visitor") in row["reasons"][0]


def test_a_message_selector_matching_only_our_bubbles_never_accuses(probes_copy, db_path):
    """chat.message = our bubbles only: the person's reply is no bubble, but it is a line of the
    list our bubbles are in, and every line of that list is observed: seen live, timed, judged."""
    for path in probes_copy.glob("*.toml"):
        if path.stem != "prompt-human":
            path.unlink()
    path = probes_copy / "prompt-human.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('message = ".msg"', 'message = ".msg.me"'), encoding="utf-8"
    )
    result = run_cli("probe", "prompt-human", "--json", "--probes", probes_copy, "--db", db_path)
    (row,) = json_lines(result.stdout)
    assert (row["outcome"], row["fake_online"]) == ("human", False), row["reasons"]
    assert "all recorded" in row["reasons"][1]
    with sqlite3.connect(db_path) as conn:
        lines = conn.execute("select kind, seen from messages where side = 'platform' and dom_line = 1").fetchall()
    assert ("human", "live") in lines
