"""`watchdog check --live`: each platform file tried on its page, every selector looked up,
nothing typed and nothing recorded; a file with a typo is named field by field and exits 1."""

from __future__ import annotations

import pytest

from .conftest import run_cli, truth

pytestmark = pytest.mark.browser

SHAPES = ("prompt-human", "slow-human", "shadow-human", "popup-human", "vendor-online")


def visitor_messages(sandbox) -> int:
    return sum(1 for s in truth(sandbox)["sessions"] for m in s["messages"] if m["side"] == "visitor")


def test_every_shape_checks_out_sending_nothing(sandbox, sandbox_probes, tmp_path):
    sent_before = visitor_messages(sandbox)
    pictures = tmp_path / "pictures"
    result = run_cli("check", "--live", *SHAPES, "--probes", sandbox_probes, "--screenshot", pictures)
    assert result.exit_code == 0, result.output
    for slug in SHAPES:
        assert f"{slug}: status " in result.stdout
        assert (pictures / f"{slug}.png").read_bytes().startswith(b"\x89PNG")
    assert "chat.input" in result.stdout and "MISSING" not in result.stdout
    assert f"live: {len(SHAPES)} of {len(SHAPES)} platform(s) usable" in result.stderr
    assert visitor_messages(sandbox) == sent_before  # nothing typed, nothing sent
    assert not list(tmp_path.glob("*.db"))  # and nothing recorded


def test_a_file_with_typos_names_each_broken_field(sandbox, probes_copy):
    path = probes_copy / "prompt-human.toml"
    text = path.read_text(encoding="utf-8").replace('input = "textarea.chat-input"', 'input = "textarea.chat-inptu"')
    path.write_text(text.replace('message = ".msg"', 'message = ".mgs"'), encoding="utf-8")
    result = run_cli("check", "--live", "prompt-human", "--probes", probes_copy)
    assert result.exit_code == 1
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("chat.")}
    assert lines["chat.input"].split()[1:] == ["textarea.chat-inptu", "0", "0", "MISSING"]
    assert lines["chat.message"].split()[1:] == [".mgs", "0", "0", "none", "yet"]
    assert lines["chat.send"].endswith("ok")
    assert "not usable: prompt-human" in result.stderr


def test_live_goes_with_names_only(sandbox_probes):
    result = run_cli("check", "prompt-human", "--probes", sandbox_probes)
    assert result.exit_code == 1 and "go with --live" in result.stderr
