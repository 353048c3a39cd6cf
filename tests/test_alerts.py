"""Alerts on state change: a platform that turns fake-online is announced once (not at every
probe) to a local receiver through Apprise, and once when it recovers; `events` keeps both.
The alerts file is checked like the others; a receiver that is down loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from watchdog.alerts import announce, load_alerts
from watchdog.config import Problem
from watchdog.errors import ConfigError
from watchdog.sandbox import scenario_by_slug
from watchdog.store import open_store

from .conftest import run_cli
from .simulate import simulate_probe

FAKE = scenario_by_slug()["fake-online"]
# The same platform answering like a person: it recovered.
HONEST = dataclasses.replace(scenario_by_slug()["prompt-human"], slug=FAKE.slug, name=FAKE.name)


@contextlib.contextmanager
def receiver() -> Iterator[tuple[str, list[dict]]]:
    """A local HTTP endpoint keeping what Apprise's json:// posts to it."""
    received: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the base class's name)
            length = int(self.headers.get("content-length", 0))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format, *args):  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def write_alerts(folder: Path, url: str, extra: str = "") -> Path:
    path = folder / "alerts.toml"
    path.write_text(
        f'urls = ["{url}"]\nsite = "https://watchdog.example.org/"\n{extra}\n[rules]\nwindow = 3\nfake_online = 2\n',
        encoding="utf-8",
    )
    return path


def play(db_path: Path, scenarios, start: int) -> None:
    with open_store(db_path) as store:
        for offset, scenario in enumerate(scenarios):
            minute = start + offset
            simulate_probe(
                store, scenario, store.templates, started_at=f"2026-11-23T10:{minute:02d}:00.000Z", seed=minute
            )


def run_alerts(db_path: Path, path: Path) -> list:
    alerts = load_alerts(path)
    assert alerts is not None
    with open_store(db_path) as store:
        return asyncio.run(announce(store, alerts))


def test_a_change_is_sent_once_and_its_recovery_once(db_path, tmp_path):
    with receiver() as (url, received):
        path = write_alerts(tmp_path, url)
        play(db_path, [HONEST], 0)
        assert run_alerts(db_path, path) == []  # an answering platform: nothing to say
        play(db_path, [FAKE], 1)
        assert run_alerts(db_path, path) == []  # 1 of 3: not yet
        play(db_path, [FAKE], 2)
        (turned,) = run_alerts(db_path, path)  # 2 of 3: it turned fake-online
        play(db_path, [FAKE], 3)
        again = run_alerts(db_path, path)  # still fake-online: no second fake-online alert
        play(db_path, [HONEST, HONEST], 4)
        recovered = run_alerts(db_path, path)
        assert run_alerts(db_path, path) == []
    assert turned[0].kind == "fake_online" and turned[0].started and turned[1] == "sent to 1 of 1"
    assert "假在线卡盟（fake-online）变为伪在线" in turned[0].text and "最近 3 次探测中有 2 次" in turned[0].text
    assert "https://watchdog.example.org/-/probe/" in turned[0].text
    assert [c.kind for c, _ in again] == ["no_human"]  # 3 of 3 without a person: another state
    assert sorted((c.kind, c.started) for c, _ in recovered) == [("fake_online", False), ("no_human", False)]
    fake_messages = [m for m in received if "伪在线" in m["title"]]
    assert len(fake_messages) == 2 and "已恢复" in fake_messages[1]["title"]
    with open_store(db_path) as store:
        events = [(e["kind"], e["change"], e["delivery"]) for e in store.events()]
    assert ("fake_online", "started", "sent to 1 of 1") in events and (
        "fake_online",
        "ended",
        "sent to 1 of 1",
    ) in events
    assert len(events) == 4


def test_dry_run_records_and_sends_nothing(db_path, tmp_path):
    with receiver() as (url, received):
        path = write_alerts(tmp_path, url)
        play(db_path, [FAKE, FAKE], 0)
        result = run_cli("alerts", "--db", db_path, "--alerts", path, "--dry-run")
        assert result.exit_code == 0, result.output
        assert "变为伪在线" in result.stdout and "dry run: not sent" in result.stdout
        assert received == []
        with open_store(db_path) as store:
            assert store.events() == []
        sent = run_cli("alerts", "--db", db_path, "--alerts", path)
        assert "sent to 1 of 1" in sent.stdout and len(received) == 1


def test_a_receiver_that_is_down_loses_nothing(db_path, tmp_path):
    path = write_alerts(tmp_path, "json://127.0.0.1:9/hook")  # nothing listens on port 9
    play(db_path, [FAKE, FAKE], 0)
    ((change, delivery),) = run_alerts(db_path, path)
    assert delivery == "sent to 0 of 1"
    with open_store(db_path) as store:
        assert [e["delivery"] for e in store.events()] == ["sent to 0 of 1"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[rules]\nwindow = 3\n", "urls: missing (a list of Apprise URLs, e.g. json://host/path)"),
        ('urls = ["json://x/y"]\nurl = "typo"\n', "url: unknown key"),
        ('urls = ["not a url"]\n', "urls: 'not a url' is not an Apprise URL (scheme://...)"),
        (
            'urls = ["json://x/y"]\n[rules]\nwindow = 2\nfake_online = 3\n',
            "rules.fake_online: must be at most rules.window (2)",
        ),
        ('urls = ["json://x/y"]\n[rules]\nwindow = 0\n', "rules.window: must be a whole number from 1 to 50"),
    ],
)
def test_a_broken_alerts_file_is_named_field_by_field(tmp_path, text, problem):
    path = tmp_path / "alerts.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_alerts(path)
    assert str(Problem(str(path), *problem.split(": ", 1))) in str(raised.value)
    (tmp_path / "probes").mkdir()
    checked = run_cli("check", "--probes", tmp_path / "probes", "--alerts", path)
    assert checked.exit_code == 1 and f"{path}: {problem}" in checked.stdout


def test_no_alerts_file_means_no_alerts(tmp_path):
    assert load_alerts(tmp_path / "alerts.toml") is None


@pytest.mark.browser
def test_probing_the_sandbox_sends_one_alert(sandbox, probes_copy, db_path, tmp_path):
    """Two real probes of the sandbox's fake-online platform: one alert, after the second."""
    with receiver() as (url, received):
        path = tmp_path / "alerts.toml"
        path.write_text(f'urls = ["{url}"]\n[rules]\nwindow = 2\nfake_online = 2\nno_human = 2\n', encoding="utf-8")
        first = run_cli("probe", "fake-online", "--probes", probes_copy, "--db", db_path, "--alerts", path)
        assert first.exit_code == 0 and "alert:" not in first.stderr and received == []
        second = run_cli("probe", "fake-online", "--probes", probes_copy, "--db", db_path, "--alerts", path)
    assert second.exit_code == 0, second.output
    assert "alert: 假在线卡盟（fake-online）变为伪在线" in second.stderr and "(sent to 1 of 1)" in second.stderr
    assert sorted(m["title"] for m in received) == [
        "kefu-watchdog: 假在线卡盟 伪在线",
        "kefu-watchdog: 假在线卡盟 没有真人回复",
    ]


def test_alerts_in_english_when_configured(db_path, tmp_path):
    with receiver() as (url, received):
        path = write_alerts(tmp_path, url, 'lang = "en"')
        play(db_path, [FAKE, FAKE], 0)
        result = run_cli("alerts", "--db", db_path, "--alerts", path)
    assert result.exit_code == 0, result.output
    assert "假在线卡盟 (fake-online) is now fake online: it said online and no human answered" in result.stdout
    assert "in 2 of its last 2 probes" in result.stdout or "of its last 3 probes" in result.stdout
    assert "kefu-watchdog: 假在线卡盟 fake online" in [m["title"] for m in received]


def test_an_alerts_language_we_do_not_speak_is_named(tmp_path):
    path = tmp_path / "alerts.toml"
    path.write_text('urls = ["json://localhost/"]\nlang = "fr"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="alerts.toml: lang: 'fr': zh"):
        load_alerts(path)


def test_a_platforms_first_read_no_reply_is_alerted(db_path, tmp_path):
    """已读不回 once is enough (rules.read_no_reply = 1 by default): the first probe whose
    question was shown read and got no human is an alert of its own."""
    with receiver() as (url, received):
        path = write_alerts(tmp_path, url)
        play(db_path, [FAKE], 0)
        assert run_alerts(db_path, path) == []  # fake online once: not yet (2 of 3)
        with open_store(db_path) as store:
            store.db.execute("update probes set read_no_reply = 1")
            store.db.conn.commit()
        (read,) = run_alerts(db_path, path)
    assert (read[0].kind, read[0].started) == ("read_no_reply", True)
    assert "变为已读不回：最近 3 次探测中有 1 次问题显示已读，却没有真人回答" in read[0].text
    assert [m["title"] for m in received] == ["kefu-watchdog: 假在线卡盟 已读不回"]
