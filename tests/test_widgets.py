"""The in-page observer sees messages in every widget shape, without double counting."""

from __future__ import annotations

import re

import pytest
import sqlite_utils

from .conftest import json_lines, run_cli, truth

pytestmark = pytest.mark.browser


def shown_texts(sandbox, slug: str, page: str = "") -> list[list[str]]:
    """What the sandbox showed in each session of the platform's page (other tests sharing the
    sandbox open sessions of their own, so the probe's is not always the last)."""
    sessions = [s for s in truth(sandbox)["sessions"] if s["platform"] == slug and s["page"] == page]
    return [[m["text"] for m in session["messages"]] for session in sessions]


def test_only_an_input_selector_in_a_shadow_root(sandbox, tmp_path, probes_copy, db_path):
    """With only chat.input set, the message list is learned from our question (in a shadow
    root here) and ours is known by text."""
    for path in probes_copy.glob("*.toml"):
        path.unlink()
    (probes_copy / "plain.toml").write_text(
        f'name = "模板卡盟"\nurl = "{sandbox.url}/p/template-only/?mode=plain"\n'
        '[chat]\nopen = "#kefu-btn"\ninput = ".editor"\nsend = "button.send"\n'
        '[probe]\nmax_wait = "5m"\ntime_scale = 0.02\n',
        encoding="utf-8",
    )
    result = run_cli("probe", "plain", "--json", "--probes", probes_copy, "--db", db_path)
    (row,) = json_lines(result.stdout)
    assert row["outcome"] == "auto_only" and row["template_only"] and row["handoff_sent"]
    db = sqlite_utils.Database(db_path)
    stored = [(m["side"], m["text"]) for m in db["messages"].rows_where(order_by="seq")]
    sessions = [s for s in truth(sandbox)["sessions"] if s["page"] == "?mode=plain"]
    assert stored == [(m["side"], m["text"]) for m in sessions[-1]["messages"]]


def stored_texts(db_path, slug: str) -> list[str]:
    db = sqlite_utils.Database(db_path)
    (probe,) = db["probes"].rows_where("platform = ?", [slug])
    return [m["text"] for m in db["messages"].rows_where("probe_id = ?", [probe["id"]], order_by="seq")]


def test_rerendering_widget_is_not_double_counted(probed_all, sandbox):
    """bot-loop rebuilds its whole list on every message; each message is stored once."""
    stored = stored_texts(probed_all[1], "bot-loop")
    assert stored in shown_texts(sandbox, "bot-loop")
    assert len(stored) == 4  # question, bot, 转人工, bot: the repeated bot text kept, not merged


def test_shadow_root_widget_with_contenteditable_input(probed_all, sandbox):
    stored = stored_texts(probed_all[1], "template-only")
    assert stored in shown_texts(sandbox, "template-only")
    assert re.match(r"^(你好|您好)", stored[0])  # our question, typed into the contenteditable box
