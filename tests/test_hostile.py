"""Hostile pages (tests/hostile/): each a working chat of another vendor's making with one
twist (a busy loop, a flood, a fooled clock, a reload, a dialog, invalid text, escape
sequences, a re-rendered list). All of them run in one `watchdog probe --all` next to honest
pages: the run ends in time, exits 0, records every platform, and accuses nobody it could
not see or time."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from watchdog.config import builtin_questions_dir
from watchdog.probe import driver
from watchdog.reasons import loads

from .conftest import json_lines, run_cli, static_site, watchdog_process


def said(stored: str) -> str:
    """A stored JSON list of reasons (codes and values) as their English sentences."""
    return "; ".join(loads(stored))


pytestmark = pytest.mark.browser

PAGES = Path(__file__).parent / "hostile"
MAX_WAIT_S = 25
SELECTORS = {
    "open": "#ld-launcher",
    "status": ".ld-presence",
    "input": ".ld-compose",
    "send": ".ld-go",
    "message": ".ld-item",
    "visitor": ".ld-item--out",
    "sender": ".ld-author",
    "typing": ".ld-typing",
}
# platform -> (outcome, fake_online, bot_loop); None where the page's own behaviour leaves
# more than one honest answer (asserted separately).
EXPECTED = {
    "honest-human": ("human", False, False),
    "honest-silent": ("no_reply", True, False),
    "honest-silent_typo": ("blind", False, False),  # a user's wrong chat.message
    "footer-hours": ("no_reply", True, False),  # the shop's service hours are no offline claim of the chat's
    "honest-bot": ("auto_only", True, True),
    "surrogate-reply": ("human", False, False),
    "surrogate-status": ("human", False, False),
    "escape-status": ("human", False, False),
    "busy-loop": ("probe_error", False, False),
    "flood": None,
    "frozen-clock": ("human", False, False),
    "skewed-clock": None,
    "meta-refresh": ("probe_error", False, False),
    "self-reload": ("probe_error", False, False),
    "restore-reload": ("human", False, False),  # reloads, and restores the chat: followed
    "hash-change": ("human", False, False),
    "confirm-dialog": ("human", False, False),
    "relative-times": ("human", False, False),
}


@pytest.fixture(scope="module")
def hostile_site():
    with static_site(PAGES) as url:
        yield url


def write_platform(folder: Path, slug: str, url: str, **overrides: str | None) -> None:
    """A platform file with the LiveDesk selectors; an override of None leaves the key out."""
    chat = {key: value for key, value in {**SELECTORS, **overrides}.items() if value is not None}
    lines = [f'name = "{slug}"', f'url = "{url}"', "", "[chat]"]
    lines += [f'{key} = "{value}"' for key, value in chat.items()]
    lines += ["", "[probe]", f'max_wait = "{MAX_WAIT_S}s"', 'min_interval = "1s"', ""]
    (folder / f"{slug}.toml").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_run(hostile_site, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    shutil.copytree(builtin_questions_dir(), folder / "probes" / "questions")
    for slug in EXPECTED:
        page = slug.split("_")[0]
        write_platform(folder / "probes", slug, f"{hostile_site}/{page}.html")
    write_platform(folder / "probes", "honest-silent_typo", f"{hostile_site}/honest-silent.html", message=".ld-row")
    db = folder / "hostile.db"
    command = [sys.executable, "-m", "watchdog", "probe", "--all", "--json", "--concurrency", str(len(EXPECTED))]
    started = time.monotonic()
    done = subprocess.run(
        [*command, "--probes", str(folder / "probes"), "--db", str(db)],
        capture_output=True,
        timeout=MAX_WAIT_S + 120,
    )
    elapsed = time.monotonic() - started
    return done, elapsed, db


def rows(db: Path, sql: str, *params) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def test_the_run_ends_in_time_with_every_platform_recorded(hostile_run):
    done, elapsed, db = hostile_run
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    assert elapsed < MAX_WAIT_S + 60, elapsed
    probes = {row["platform"]: row for row in rows(db, "select * from probes")}
    assert set(probes) == set(EXPECTED)
    assert all(row["state"] == "finished" for row in probes.values()), probes


def test_verdicts(hostile_run):
    done, _, db = hostile_run
    for row in rows(db, "select * from probes"):
        expected = EXPECTED[row["platform"]]
        got = (row["outcome"], bool(row["fake_online"]), bool(row["bot_loop"]))
        if expected is not None:
            assert got == expected, (row["platform"], row["reasons"], row["notes"])


def test_no_accusation_from_a_fooled_or_flooded_probe(hostile_run):
    _, _, db = hostile_run
    probes = {row["platform"]: row for row in rows(db, "select * from probes")}
    # 91 characters 0.3 s after our question, on a clock running 40 times fast, must not read
    # as a person typing them in 12 s. (At 91 characters, a busy machine that fires the page's
    # timer late still shows them faster than a person types: up to 11 s late.)
    assert probes["skewed-clock"]["outcome"] in ("auto_only", "probe_error", "blind")
    assert probes["skewed-clock"]["first_human_ms"] is None
    flood = probes["flood"]
    assert flood["outcome"] != "human"
    stored = rows(db, "select count(*) as n from messages where probe_id = ? and side = 'platform'", flood["id"])
    assert stored[0]["n"] >= 5000


def test_the_clock_is_the_real_one(hostile_run):
    _, _, db = hostile_run
    frozen = rows(db, "select first_human_ms from probes where platform = 'frozen-clock'")[0]
    assert 4_000 < frozen["first_human_ms"] < 12_000


def test_navigation_and_dialogs_are_explained(hostile_run):
    _, _, db = hostile_run
    probes = {row["platform"]: row for row in rows(db, "select * from probes")}
    for slug in ("meta-refresh", "self-reload"):
        assert "navigated" in said(probes[slug]["reasons"]), probes[slug]["reasons"]
    assert "确定发送这条消息吗？" in said(probes["confirm-dialog"]["notes"])


def test_a_reload_that_restores_the_chat_is_followed_and_timed(hostile_run):
    """The page reloads 3 s after our question and its widget shows the conversation again:
    the probe follows it, records nothing twice, and times the answer (12 s) from our question."""
    _, _, db = hostile_run
    probe = rows(db, "select * from probes where platform = 'restore-reload'")[0]
    assert "showed our conversation again: followed it" in said(probe["notes"])
    assert 11_000 < probe["first_human_ms"] < 14_000, probe
    texts = [row["text"] for row in rows(db, "select text from messages where probe_id = ? order by seq", probe["id"])]
    assert len(texts) == len(set(texts)) == 3, texts  # the greeting, our question, the answer


def test_relabelled_messages_are_stored_once_and_need_no_handoff(hostile_run):
    _, _, db = hostile_run
    probe = rows(db, "select * from probes where platform = 'relative-times'")[0]
    assert probe["handoff_at_ms"] is None
    texts = [row["text"] for row in rows(db, "select text from messages where probe_id = ?", probe["id"])]
    assert len(texts) == 3, texts  # the greeting, our question, the answer


def test_invalid_text_and_escapes_are_made_harmless(hostile_run):
    done, _, db = hostile_run
    stderr = done.stderr.decode("utf-8")  # valid UTF-8: lone surrogates were replaced
    assert "\x1b" not in stderr and "\x07" not in stderr and "\x9b" not in stderr
    for line in done.stdout.decode("utf-8").splitlines():
        json.loads(line)
    reply = rows(
        db,
        "select text from messages m join probes p on p.id = m.probe_id "
        "where p.platform = 'surrogate-reply' and m.side = 'platform'",
    )
    assert "\ufffd" in reply[0]["text"]


def test_sigterm_ends_a_run_stuck_on_frozen_and_flooding_pages_in_seconds(hostile_site, tmp_path):
    folder = tmp_path / "probes"
    shutil.copytree(builtin_questions_dir(), folder / "questions")
    for slug in ("busy-loop", "flood"):
        write_platform(folder, slug, f"{hostile_site}/{slug}.html")
    db = tmp_path / "stopped.db"
    with watchdog_process("probe", "--all", "--probes", folder, "--db", db) as process:
        deadline = time.monotonic() + 40
        asked: list[dict] = []
        while len(asked) < 2 and time.monotonic() < deadline:  # both asked: one frozen, one flooding
            time.sleep(0.2)
            with contextlib.suppress(sqlite3.OperationalError):
                asked = rows(db, "select probe_id from messages where side = 'visitor' group by probe_id")
        time.sleep(2)
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        took = time.monotonic() - stopped_at
    assert len(asked) == 2
    assert took < 10, took
    assert process.returncode not in (0, None)
    states = {row["platform"]: (row["state"], row["outcome"]) for row in rows(db, "select * from probes")}
    assert states == {"busy-loop": ("interrupted", "probe_error"), "flood": ("interrupted", "probe_error")}


def test_a_probe_past_its_hard_deadline_is_stopped_with_what_it_saw(hostile_site, tmp_path, monkeypatch):
    monkeypatch.setattr(driver, "HARD_GRACE_S", 6 - MAX_WAIT_S)  # a deadline 6 s after the start
    folder = tmp_path / "probes"
    shutil.copytree(builtin_questions_dir(), folder / "questions")
    write_platform(folder, "honest-silent", f"{hostile_site}/honest-silent.html")
    db = tmp_path / "deadline.db"
    started = time.monotonic()
    result = run_cli("probe", "honest-silent", "--probes", folder, "--db", db)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 20
    (probe,) = rows(db, "select * from probes")
    assert (probe["state"], probe["outcome"], probe["fake_online"]) == ("finished", "probe_error", 0)
    assert "did not end within 6 s" in said(probe["reasons"])
    assert rows(db, "select text from messages where probe_id = ?", probe["id"])  # our question, kept


def test_a_learned_list_is_never_a_guess_that_accuses(hostile_site, tmp_path, db_path):
    """Without chat.message: a read receipt added into our bubble does not pass for the list
    (the person's reply is seen); text shown in the chat box outside any list near ours
    forbids guessing the list at the end, so a silent thread there is `blind`, not fake online."""
    folder = tmp_path / "probes"
    shutil.copytree(builtin_questions_dir(), folder / "questions")
    for slug in ("read-receipt", "header-notice", "honest-silent"):
        write_platform(folder, slug, f"{hostile_site}/{slug}.html", message=None, visitor=None)
    result = run_cli("probe", "--all", "--json", "--concurrency", 3, "--probes", folder, "--db", db_path)
    got = {row["platform"]: (row["outcome"], row["fake_online"]) for row in json_lines(result.stdout)}
    assert got == {
        "read-receipt": ("human", False),
        "header-notice": ("blind", False),
        "honest-silent": ("no_reply", True),  # nothing but our message: the list is where it is
    }
