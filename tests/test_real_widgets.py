"""Shapes of real chat systems in a real browser (the core's side is tests/test_real_widgets_core.py):
our own bubble decorated and replaced by the server's copy, notices among the bubbles, a status
only in the chat's header. Each with a hand-written file and with one that has no
chat.message (what `watchdog discover` writes): a platform is never credited with our words."""

from __future__ import annotations

import shutil
import sqlite3
import tomllib
from pathlib import Path

import pytest

from watchdog.config import builtin_questions_dir

from .conftest import json_lines, run_cli, static_site

pytestmark = pytest.mark.browser

WIDGETS = Path(__file__).parent / "widgets"
# What we send (every question of the set, and the handoff): never in a platform's message.
QUESTIONS = tomllib.loads((builtin_questions_dir() / "presale-zh.toml").read_text(encoding="utf-8"))["questions"]
OURS = (*QUESTIONS, "转人工")
LEARNED_ONLY = ("message", "visitor", "sender", "bot")  # what a discovered file does not have


def platform_texts(db: Path, slug: str) -> list[tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "select m.text, m.kind, m.dom_line from messages m join probes p on p.id = m.probe_id "
            "where p.platform = ? and m.side = 'platform' order by m.seq",
            (slug,),
        ).fetchall()


def without_keys(text: str, keys: tuple[str, ...]) -> str:
    return "\n".join(line for line in text.splitlines() if line.split(" = ")[0] not in keys)


def test_live_helper_chat_where_nobody_answers_is_never_credited_with_our_handoff(tmp_path, db_path):
    """Live Helper Chat draws our 转人工 at once, then replaces it with the server's copy
    labelled "Visitor": in a file without chat.visitor that copy reads as theirs. Nobody on
    duty answers (the auto-responder only): the verdict accuses, with or without chat.message."""
    folder = tmp_path / "probes"
    shutil.copytree(builtin_questions_dir(), folder / "questions")
    with static_site(WIDGETS) as site:
        head = f'name = "极速卡盟"\nurl = "{site}/live-helper-chat.html?silent"\n'
        probe = '\n[probe]\nmax_wait = "12s"\n'
        (folder / "preset.toml").write_text(f'{head}widget = "live-helper-chat"\n{probe}', encoding="utf-8")
        learned = (
            '[chat]\nopen = "#lhc_status_widget_v2"\nframe = "#lhc_widget_v2"\ninput = "#CSChatMessage"\n'
            'status_online = "#lhc_status_widget_v2 #status-icon:not(.offline-status)"\n'
        )
        (folder / "learned.toml").write_text(head + learned + probe, encoding="utf-8")
        result = run_cli("probe", "--all", "--json", "--probes", folder, "--db", db_path)
    rows = {r["platform"]: r for r in json_lines(result.stdout)}
    for slug, row in rows.items():
        assert (row["outcome"], row["fake_online"], row["handoff_sent"]) == ("auto_only", True, True), row
        texts = platform_texts(db_path, slug)
        assert texts and not any(ours in text for text, _, _ in texts for ours in OURS), texts


@pytest.mark.parametrize("file", ["hand-written", "discovered"])
def test_quickkf_notices_and_decorations(file, sandbox_probes, tmp_path, db_path):
    """Another vendor's Chinese widget: a person after an agent-assigned notice, an agent and a
    queue place then silence (fake online, read from the header), off duty with a read-only
    input. Notices are system lines, our labelled, timed, read-marked, replaced bubble is ours."""
    folder = tmp_path / "probes"
    shutil.copytree(sandbox_probes / "questions", folder / "questions")
    for slug in ("kefu-human", "kefu-queue", "kefu-closed"):
        text = (sandbox_probes / f"{slug}.toml").read_text(encoding="utf-8")
        if file == "discovered":
            text = without_keys(text, LEARNED_ONLY + ("status",))
        (folder / f"{slug}.toml").write_text(text, encoding="utf-8")
    result = run_cli("probe", "--all", "--json", "--probes", folder, "--db", db_path, "--concurrency", 3)
    rows = {r["platform"]: r for r in json_lines(result.stdout)}
    assert rows["kefu-human"]["outcome"] == "human"
    queue = rows["kefu-queue"]
    # a discovered file has no status: nothing to call fake (precision), never a reply seen
    assert (queue["outcome"], queue["fake_online"]) == ("no_reply", file == "hand-written"), queue["reasons"]
    assert rows["kefu-closed"]["outcome"] == "offline_declared", rows["kefu-closed"]["reasons"]
    for slug in ("kefu-human", "kefu-queue"):
        texts = platform_texts(db_path, slug)
        assert not any(ours in text for text, _, _ in texts for ours in OURS), texts
        notices = [text for text, kind, line in texts if kind == "system"]
        assert "客服小美 为您服务" in notices and all(line for _, kind, line in texts if kind == "system"), texts
    queue_notices = [text for text, kind, _ in platform_texts(db_path, "kefu-queue") if kind == "system"]
    assert any(text.startswith("您前面还有") for text in queue_notices), queue_notices
