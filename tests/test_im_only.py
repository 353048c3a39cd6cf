"""A shop whose only contacts are a QQ link (tencent://) and a WeChat QR code: `discover` says
exactly that (and writes nothing), and a probe of a file guessed for it gets `im_only`, which
counts neither for nor against the platform (not chat_missing, not rated)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from watchdog.config import builtin_questions_dir

from .conftest import json_lines, run_cli, static_site

pytestmark = pytest.mark.browser

WIDGETS = Path(__file__).parent / "widgets"


def test_a_qq_and_wechat_only_shop_is_said_to_be_so(tmp_path, db_path):
    folder = tmp_path / "probes"
    shutil.copytree(builtin_questions_dir(), folder / "questions")
    with static_site(WIDGETS) as site:
        found = run_cli("discover", f"{site}/qq-only.html", "--slug", "qq", "--probes", folder)
        assert found.exit_code == 1 and not (folder / "qq.toml").exists()
        assert "QQ/WeChat only (e.g. tencent://message/?uin=12345678" in found.stderr, found.stderr
        assert "no web chat" in found.stderr
        guessed = f'name = "QQ卡盟"\nurl = "{site}/qq-only.html"\n[chat]\nopen = "a.qq"\ninput = "textarea"\n'
        (folder / "qq.toml").write_text(guessed, encoding="utf-8")
        probed = run_cli("probe", "qq", "--json", "--probes", folder, "--db", db_path)
    (row,) = json_lines(probed.stdout)
    assert row["outcome"] == "im_only", row["reasons"]
    assert row["reasons"][0].startswith("no web chat: the page offers only QQ/WeChat")
    ratings = run_cli("ratings", "--db", db_path)
    assert ratings.exit_code == 0
