"""Presets: `widget = "NAME"` supplies a chat system's selectors, read from its public code.
The Live Helper Chat page in tests/widgets/ is built after that code (see the preset's
[source]); a platform file of three lines checks out live and probes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from watchdog.config import builtin_questions_dir, load_catalog, presets

from .conftest import json_lines, run_cli, static_site

WIDGETS = Path(__file__).parent / "widgets"


def test_every_preset_names_its_source_and_version():
    found = presets()
    assert {"live-helper-chat", "chatwoot", "easemob"} <= set(found)
    for preset in found.values():
        assert preset.source.startswith("https://") and preset.checked
        assert preset.chat["input"]


def test_the_files_keys_override_the_presets(tmp_path):
    (tmp_path / "a.toml").write_text(
        'name = "A"\nurl = "https://a.example/"\nwidget = "live-helper-chat"\n[chat]\ninput = "textarea.mine"\n',
        encoding="utf-8",
    )
    (tmp_path / "b.toml").write_text('name = "B"\nurl = "https://b.example/"\nwidget = "no-such"\n', encoding="utf-8")
    catalog = load_catalog(tmp_path)
    chat = catalog.platforms["a"].chat
    assert (chat.input, chat.frame, chat.message) == (
        "textarea.mine",
        ("#lhc_widget_v2",),
        "#messagesBlock .message-row",
    )
    assert [str(p) for p in catalog.problems] == [
        f"{tmp_path / 'b.toml'}: widget: no preset 'no-such' (known: chatwoot, easemob, live-helper-chat, wolive)"
    ]
    result = run_cli("check", "--probes", tmp_path)
    assert (
        'preset widget = "live-helper-chat": Live Helper Chat (https://github.com/LiveHelperChat/livehelperchat'
        in result.stderr
    )


@pytest.mark.browser
@pytest.mark.parametrize(
    ("widget", "page", "status", "messages"),
    [
        ("live-helper-chat", "live-helper-chat.html", "online", 2),
        ("chatwoot", "chatwoot.html", "unknown", 2),
        ("easemob", "easemob.html", "unknown", 3),  # a time line, the agent-assigned notice, the answer
    ],
)
def test_a_three_line_file_checks_out_and_probes(widget, page, status, messages, tmp_path, db_path):
    """Chatwoot's chat shows a home view first: its preset clicks 开始会话 (chat.start) in the
    chat's iframe; its status is only inside that iframe (not read: unknown), and its list
    holds a date separator (今日), shown before our question: recorded as a greeting."""
    with static_site(WIDGETS) as site:
        folder = tmp_path / "probes"
        shutil.copytree(builtin_questions_dir(), folder / "questions")
        (folder / "shop.toml").write_text(
            f'name = "极速卡盟"\nurl = "{site}/{page}"\nwidget = "{widget}"\n', encoding="utf-8"
        )
        checked = run_cli("check", "--live", "shop", "--probes", folder)
        assert checked.exit_code == 0, checked.output
        assert "chat.input" in checked.stdout and "MISSING" not in checked.stdout
        probed = run_cli("probe", "shop", "--json", "--probes", folder, "--db", db_path)
    (row,) = json_lines(probed.stdout)
    assert (row["outcome"], row["claimed_status"], row["messages"]) == ("human", status, messages), row["reasons"]
    assert 4500 < row["first_human_ms"] < 6000


@pytest.mark.browser
def test_check_live_names_a_start_step_that_is_not_there(tmp_path):
    with static_site(WIDGETS) as site:
        (tmp_path / "shop.toml").write_text(
            f'name = "飞鸟卡盟"\nurl = "{site}/chatwoot.html"\nwidget = "chatwoot"\n'
            '[chat]\nstart = "button.start-conversation"\n',
            encoding="utf-8",
        )
        checked = run_cli("check", "--live", "shop", "--probes", tmp_path)
    assert checked.exit_code == 1
    assert "chat.start button.start-conversation: neither it nor chat.input shows in the chat" in checked.stdout
