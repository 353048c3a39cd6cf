"""A platform's failure is data (exit 0); our own faults are one clear line (exit 1)."""

from __future__ import annotations

import socket

import pytest
import sqlite_utils

from watchdog.errors import BrowserMissing
from watchdog.probe import browser

from .conftest import json_lines, run_cli


def keep_only(folder, *slugs):
    for path in folder.glob("*.toml"):
        if path.stem not in slugs:
            path.unlink()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.browser
def test_broken_file_named_and_others_still_probed(probes_copy, db_path):
    keep_only(probes_copy, "prompt-human", "down")
    (probes_copy / "broken.toml").write_text('name = "坏"\nurl = "https://a.cn/"\n[chat]\nimput = "x"\n')
    result = run_cli("probe", "--all", "--json", "--probes", probes_copy, "--db", db_path)
    assert sorted(r["platform"] for r in json_lines(result.stdout)) == ["down", "prompt-human"]
    assert f"skipped: {probes_copy / 'broken.toml'}: chat.input: missing" in result.stderr
    assert f"skipped: {probes_copy / 'broken.toml'}: chat.imput: unknown key" in result.stderr
    # A broken platform file is the user's fault: after probing the rest, exit non-zero.
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "Error: 2 problem(s) in platform files: run `watchdog check`"


@pytest.mark.browser
def test_unreachable_and_chat_missing_are_outcomes(sandbox, probes_copy, db_path):
    keep_only(probes_copy)
    (probes_copy / "gone.toml").write_text(
        f'name = "消失卡盟"\nurl = "http://127.0.0.1:{closed_port()}/"\n[chat]\ninput = "textarea"\n'
    )
    (probes_copy / "wrong-input.toml").write_text(
        f'name = "错选择器"\nurl = "{sandbox.url}/p/prompt-human/"\n'
        '[chat]\nopen = "#kefu-btn"\ninput = "textarea.no-such-input"\n'
    )
    result = run_cli("probe", "--all", "--json", "--probes", probes_copy, "--db", db_path)
    assert result.exit_code == 0, result.output
    rows = {r["platform"]: r for r in json_lines(result.stdout)}
    assert rows["gone"]["outcome"] == "unreachable"
    assert "ERR_CONNECTION_REFUSED" in rows["gone"]["reasons"][0]
    assert "the control URL" in rows["gone"]["reasons"][0] and "loaded" in rows["gone"]["reasons"][0]
    assert rows["wrong-input"]["outcome"] == "chat_missing"
    assert rows["wrong-input"]["reasons"][0] == "chat.input textarea.no-such-input not found in the chat"


@pytest.mark.browser
def test_control_url_failing_too_is_our_fault(probes_copy, db_path):
    keep_only(probes_copy)
    (probes_copy / "gone.toml").write_text(
        f'name = "消失卡盟"\nurl = "http://127.0.0.1:{closed_port()}/"\n[chat]\ninput = "textarea"\n'
    )
    control = f"http://127.0.0.1:{closed_port()}/"
    result = run_cli("probe", "gone", "--json", "--control-url", control, "--probes", probes_copy, "--db", db_path)
    assert result.exit_code == 0
    (row,) = json_lines(result.stdout)
    assert row["outcome"] == "probe_error"
    assert f"the control URL {control} failed too" in row["reasons"][0]
    (rating,) = sqlite_utils.Database(db_path)["ratings"].rows_where("platform = 'gone'")
    assert rating["probes"] == 0 and rating["grade"] == "insufficient data"  # never counted against it


def test_bad_database_path(sandbox_probes, tmp_path):
    result = run_cli("probe", "down", "--probes", sandbox_probes, "--db", tmp_path / "no" / "such" / "x.db")
    assert result.exit_code == 1
    assert "cannot use this database" in one_error_line(result)


def test_not_a_database(sandbox_probes, tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are my notes, not SQLite\n" * 100)
    result = run_cli("probe", "down", "--probes", sandbox_probes, "--db", bogus)
    assert result.exit_code == 1
    assert "file is not a database" in one_error_line(result)
    assert bogus.read_text().startswith("these are my notes")


def test_no_browser(sandbox_probes, db_path, monkeypatch, tmp_path):
    monkeypatch.setenv("WATCHDOG_CHROMIUM", str(tmp_path / "chromium"))
    result = run_cli("probe", "down", "--probes", sandbox_probes, "--db", db_path)
    assert result.exit_code == 1
    assert "WATCHDOG_CHROMIUM" in one_error_line(result)


def test_no_chromium_anywhere_says_what_to_install(monkeypatch):
    monkeypatch.delenv("WATCHDOG_CHROMIUM", raising=False)
    monkeypatch.setattr(browser, "SYSTEM_CHROMIUMS", [])
    monkeypatch.setattr(browser, "SYSTEM_HEADLESS_SHELLS", [])
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    with pytest.raises(BrowserMissing) as error:
        browser.find_chromium(None)
    assert "playwright install chromium" in str(error.value) and "apt-get install chromium" in str(error.value)


def test_no_platform_files(tmp_path, db_path):
    result = run_cli("probe", "--all", "--probes", tmp_path, "--db", db_path)
    assert result.exit_code == 1
    assert "no platform files" in one_error_line(result)
    result = run_cli("probe", "--all", "--probes", tmp_path / "missing", "--db", db_path)
    assert "no such folder" in one_error_line(result)


def test_unknown_slug(sandbox_probes, db_path):
    result = run_cli("probe", "nope", "--probes", sandbox_probes, "--db", db_path)
    assert result.exit_code == 1
    assert "no platform file" in one_error_line(result)


def test_headless_shell_preferred_to_the_full_browser(tmp_path, monkeypatch):
    """A headless shell has no toolbar renderer per window: half the memory per probe."""
    monkeypatch.delenv("WATCHDOG_CHROMIUM", raising=False)
    browsers = tmp_path / "ms-playwright"
    full = browsers / "chromium-1200" / "chrome-linux" / "chrome"
    shell = browsers / "chromium_headless_shell-1200" / "chrome-headless-shell-linux64" / "chrome-headless-shell"
    for path in (full, shell):
        path.parent.mkdir(parents=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    assert browser.find_chromium(str(full)) == str(shell)
    shell.unlink()
    monkeypatch.setattr(browser, "SYSTEM_HEADLESS_SHELLS", [])
    assert browser.find_chromium(str(full)) == str(full)
