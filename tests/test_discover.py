"""`watchdog discover URL`: from a platform's address to a platform file with no selector
written by hand. Over every sandbox platform with a chat, the discovered file probes to the
same outcome as the hand-written one on at least 90% of them and never accuses falsely;
discovery and the live check of what it wrote type nothing."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pytest

from watchdog.probe.discoverer import discover_urls
from watchdog.probe.discovery import platform_toml
from watchdog.sandbox import SCENARIOS

from .conftest import TIME_SCALE, json_lines, run_cli, static_site, truth

pytestmark = pytest.mark.browser

WIDGETS = Path(__file__).parent / "widgets"
# Platforms whose behaviour needs earlier probes to be recognised cannot be judged in one run.
SINGLE_RUN = [s for s in SCENARIOS if not s.learned]
NO_CHAT = {"down", "broken-widget", "no-chat"}
# Offline when discovered, showing only a leave-a-message form: nothing to learn the chat from
# (discover says so and writes nothing; a leave-a-message form is never taken for the chat).
OFFLINE_NOW = {"honest-offline", "vendor-offline"}
SANDBOX_SETTINGS = f'\n[probe]\nmax_wait = "5m"\ntime_scale = {TIME_SCALE}\nmin_interval = "1s"\n'


def visitor_messages(sandbox) -> int:
    return sum(1 for s in truth(sandbox)["sessions"] for m in s["messages"] if m["side"] == "visitor")


def test_discovered_files_probe_like_hand_written_ones(sandbox, tmp_path):
    sent_before = visitor_messages(sandbox)
    found = asyncio.run(discover_urls([f"{sandbox.url}/p/{s.slug}/" for s in SINGLE_RUN]))
    probes = tmp_path / "probes"
    probes.mkdir()
    for scenario, discovery in zip(SINGLE_RUN, found, strict=True):
        assert discovery.found == (scenario.slug not in NO_CHAT | OFFLINE_NOW), (scenario.slug, discovery.error)
        if scenario.slug in OFFLINE_NOW:
            assert "only a leave-a-message form: the chat is offline now" in str(discovery.error)
        if discovery.found:  # a sandbox platform runs on compressed time: not a selector
            text = platform_toml(discovery, scenario.slug) + SANDBOX_SETTINGS
            (probes / f"{scenario.slug}.toml").write_text(text, encoding="utf-8")
    assert {d.error for s, d in zip(SINGLE_RUN, found, strict=True) if s.slug == "down"} == {
        "the page answered HTTP 503"
    }
    checked = run_cli("check", "--live", "--probes", probes)
    assert checked.exit_code == 0, checked.output
    assert visitor_messages(sandbox) == sent_before  # discovery and the live check typed nothing

    result = run_cli("probe", "--all", "--json", "--probes", probes, "--db", tmp_path / "d.db", "--concurrency", "32")
    assert result.exit_code == 0, result.output
    rows = {r["platform"]: r for r in json_lines(result.stdout)}
    with_chat = [s for s in SINGLE_RUN if s.slug not in NO_CHAT | OFFLINE_NOW]
    assert set(rows) == {s.slug for s in with_chat}
    same = [s.slug for s in with_chat if rows[s.slug]["outcome"] == (s.truth or s.expected)["outcome"]]
    assert len(same) >= 0.9 * len(with_chat), sorted(set(rows) - set(same))
    for scenario in with_chat:
        really = scenario.truth or scenario.expected
        for flag in ("fake_online", "bot_loop", "template_only"):  # never an accusation the truth denies
            assert really[flag] or not rows[scenario.slug][flag], (scenario.slug, flag)
    # With no chat.message, each probe learned the list and said so; with no chat.read, the read
    # mark it saw, printed ready to paste (an icon's class alone on read-icon).
    assert all(r["learned"]["message"] for r in rows.values() if r["outcome"] not in ("offline_declared",))
    assert rows["read-icon"]["read_no_reply"] and rows["read-icon"]["read_by"] == ".msg-status--seen"
    assert "read-icon: saw our question turn read" in result.stderr
    assert 'read = ".msg-status--seen"' in result.stderr
    assert not any(r["read_no_reply"] for slug, r in rows.items() if slug in ("delivered-tick", "queue-still"))


def test_discover_writes_a_commented_file_and_keeps_an_existing_one(sandbox, tmp_path):
    url = f"{sandbox.url}/p/decoy-link/"
    picture = tmp_path / "decoy.png"
    result = run_cli("discover", url, "--slug", "decoy", "--probes", tmp_path, "--screenshot", picture)
    assert result.exit_code == 0, result.output
    table = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines() if line.startswith("chat.")}
    assert table["chat.open"] == "a.float-kf"  # the floating image, not the 客服中心 article link
    assert table["chat.status"] == "span.tip" and table["chat.input"] == "textarea.chat-input"
    written = (tmp_path / "decoy.toml").read_text(encoding="utf-8")
    assert "# the chat's entry: its image text says '在线客服'" in written
    assert tomllib.loads(written)["chat"]["open"] == "a.float-kf"
    assert picture.read_bytes().startswith(b"\x89PNG")
    assert "next: watchdog check --live decoy" in result.stderr

    again = run_cli("discover", url, "--slug", "decoy", "--probes", tmp_path)
    assert again.exit_code == 1 and "already exists; pass --force" in again.stderr
    forced = run_cli("discover", url, "--slug", "decoy", "--probes", tmp_path, "--force")
    assert forced.exit_code == 0, forced.output


def test_no_chat_writes_nothing(sandbox, tmp_path):
    for slug in ("no-chat", "broken-widget"):
        result = run_cli("discover", f"{sandbox.url}/p/{slug}/", "--probes", tmp_path)
        assert result.exit_code == 1
        assert "no chat found" in result.stderr and "nothing written" in result.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("page", "widget"),
    [("live-helper-chat.html", "live-helper-chat"), ("chatwoot.html", "chatwoot"), ("easemob.html", "easemob")],
)
def test_a_preset_system_is_named_not_spelled_out(page, widget, tmp_path):
    with static_site(WIDGETS) as site:
        result = run_cli("discover", f"{site}/{page}", "--slug", "shop", "--probes", tmp_path)
    assert result.exit_code == 0, result.output
    written = tomllib.loads((tmp_path / "shop.toml").read_text(encoding="utf-8"))
    assert written["widget"] == widget and "chat" not in written
