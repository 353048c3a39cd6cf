"""Without chat.message (and chat.visitor), the probe learns the message list from our own
question: every sandbox platform probed so gets its known verdict (or an honest `blind`),
never a false accusation; reply times stay within 50 ms of the truth; the learned selectors
are stored with the probe and printed."""

from __future__ import annotations

import re

import pytest
import sqlite_utils

from .conftest import json_lines, run_cli, truth

pytestmark = pytest.mark.browser

TOLERANCE_MS = 50
ACCUSING = {"no_reply", "auto_only"}
# Expected `blind` only for its file's wrong chat.message; learned, it is what it is: silent.
WITHOUT_THE_MISTAKE = {"misconfigured": {"outcome": "no_reply", "fake_online": True, "bot_loop": False}}


def test_a_learned_list_gives_the_known_verdicts_and_true_times(sandbox, probes_copy, db_path):
    for path in probes_copy.glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"(?m)^(message|visitor) = .*\n", "", text), encoding="utf-8")
        path.rename(path.with_name(path.stem + "_learned.toml"))
    result = run_cli("probe", "--all", "--json", "--concurrency", 32, "--probes", probes_copy, "--db", db_path)
    assert result.exit_code == 0, result.output
    rows = json_lines(result.stdout)
    expected = truth(sandbox)["platforms"]
    same = 0
    for row in rows:
        slug = row["platform"].removesuffix("_learned")
        want = WITHOUT_THE_MISTAKE.get(slug, expected[slug]["expected"])
        if row["outcome"] in ACCUSING or row["fake_online"] or row["bot_loop"]:  # never a false accusation
            assert (row["outcome"], row["fake_online"], row["bot_loop"]) == (
                want["outcome"],
                want["fake_online"],
                want["bot_loop"],
            ), (slug, row["reasons"])
        same += row["outcome"] == want["outcome"]
    assert same >= 0.9 * len(rows), [(r["platform"], r["outcome"]) for r in rows]

    learned = [row for row in rows if row["learned"]]
    assert len(learned) >= len(rows) // 2
    assert "learned from our question; to keep it, put under [chat]" in result.stderr
    db = sqlite_utils.Database(db_path)
    sessions = {s["platform"]: s for s in truth(sandbox)["sessions"] if s["page"] == ""}
    compared = 0
    for row in learned:
        (probe,) = db["probes"].rows_where("id = ?", [row["probe_id"]])
        assert probe["learned_message"] == row["learned"]["message"]
        slug = row["platform"].removesuffix("_learned")
        shown = [m for m in sessions[slug]["messages"] if m["shown_at"] is not None]
        stored = [m for m in db["messages"].rows_where("probe_id = ?", [row["probe_id"]], order_by="seq")]
        if [m["text"] for m in stored] != [m["text"] for m in shown]:
            continue  # a session of another test of the same platform: compare only our own
        question = next(i for i, m in enumerate(shown) if m["side"] == "visitor")
        for measured, true in zip(stored[question:], shown[question:], strict=True):
            error = (measured["at_ms"] - stored[question]["at_ms"]) - (true["shown_at"] - shown[question]["shown_at"])
            assert abs(error) <= TOLERANCE_MS, (slug, measured["text"], error)
            compared += 1
    assert compared >= 10
