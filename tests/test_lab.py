"""The lab tier: real chat systems that nobody here wrote, built by hand from their public
source, each with an operator script playing the agent: Live Helper Chat from ../shared/labs/lhc
(see its README; tests/labs/lhc/up.sh starts it again), wolive from tests/labs/wolive (its
RECIPE.md, build.sh and up.sh).

`pytest -m lab` runs these when a lab is up; they are skipped otherwise (and in every run that
does not ask for them: a case waits minutes on a real widget). Each case is probed with a
preset file and with the file `watchdog discover` writes, as a new user would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from watchdog.config import builtin_questions_dir

from .conftest import json_lines, run_cli

pytestmark = [pytest.mark.lab, pytest.mark.browser]
LABS = Path(os.environ.get("WATCHDOG_LABS", Path(__file__).resolve().parents[2] / "shared" / "labs"))
HERE = Path(__file__).parent / "labs"  # the labs whose recipes live with the tests
MAX_WAIT = "100s"
REPEATS = 5  # the silent and the offline case, probed this many times at once


class Lab:
    def __init__(self, name: str, home: Path, shop: str, preset: str | None, learned: str):
        self.name, self.home, self.shop, self.preset = name, home, shop, preset
        self.learned = learned  # the [chat] of a file without chat.message: the list is learned

    def up(self) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(self.shop, timeout=3).status_code == 200
        return False

    def operator(self, *args: str, warm_up_s: float = 6.0) -> contextlib.AbstractContextManager[None]:
        """The lab's operator script playing the agent while the probe runs."""
        return playing(self.home / "operator.py", *args, warm_up_s=warm_up_s)


@contextlib.contextmanager
def playing(script: Path, *args: str, warm_up_s: float = 6.0) -> Iterator[None]:
    """A script playing the agent while the probe runs."""
    process = subprocess.Popen(
        [sys.executable, str(script), *args], cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(warm_up_s)  # online (or offline) before the visitor opens the chat
    try:
        yield
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        process.kill()


# The least a user writes by hand for Live Helper Chat: where the chat is, no message selector
# (the probe learns the list from our question, as with most discovered files).
LHC_LEARNED = """[chat]
open = "#lhc_status_widget_v2"
status_online = "#lhc_status_widget_v2 #status-icon:not(.offline-status)"
status_offline = "#lhc_status_widget_v2 #status-icon.offline-status"
frame = "#lhc_widget_v2"
input = "#CSChatMessage"
"""

WOLIVE_LEARNED = """[chat]
open = "#ymwl-kefu .ymwl-item"
frame = "iframe#wolive-iframe"
input = "#text_in"
send = ".send-btn"
"""

LHC = Lab("lhc", LABS / "lhc", "http://127.0.0.1:8082/", "live-helper-chat", LHC_LEARNED)
# The same LHC with its own read receipts on (tests/labs/lhc/receipts.sh: a widget theme that keeps
# the tick, titled "Have been seen!" once an operator has opened the chat)
LHC_RECEIPTS = Lab("lhc", LABS / "lhc", "http://127.0.0.1:8082/receipts.html", "live-helper-chat", LHC_LEARNED)
WOLIVE = Lab("wolive", HERE / "wolive", "http://127.0.0.1:8092/", None, WOLIVE_LEARNED)


def needs(lab: Lab) -> None:
    if not lab.up():
        pytest.skip(f"lab {lab.name} is not up: build it with {lab.home / 'RECIPE.md'}, start it with up.sh")


def folder(tmp_path: Path, name: str, text: str, copies: int = 1) -> Path:
    probes = tmp_path / name
    shutil.copytree(builtin_questions_dir(), probes / "questions")
    for index in range(copies):
        (probes / f"shop{index + 1}.toml").write_text(text, encoding="utf-8")
    return probes


def discovered(lab: Lab, tmp_path: Path) -> str:
    """The platform file `watchdog discover` writes for the lab's shop page."""
    where = tmp_path / "discover-output"
    result = run_cli("discover", lab.shop, "--slug", "shop", "--probes", where)
    assert result.exit_code == 0, result.output
    return (where / "shop.toml").read_text(encoding="utf-8")


def probe(probes: Path, db: Path, concurrency: int = 1) -> list[dict]:
    return probe_run(probes, db, concurrency).rows


class Run:
    def __init__(self, rows: list[dict], said: str):
        self.rows, self.said = rows, said  # the JSON rows, and what it printed to stderr


def probe_run(probes: Path, db: Path, concurrency: int = 1) -> Run:
    result = run_cli(
        "probe", "--all", "--json", "--probes", probes, "--db", db, "--control-url", "none",
        "--ignore-min-interval", "--max-wait", MAX_WAIT, "--concurrency", concurrency,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return Run(json_lines(result.stdout), result.stderr)


def files(lab: Lab, tmp_path: Path) -> dict[str, str]:
    """The file `watchdog discover` writes (a preset's, where it names one), one without
    chat.message, and the preset's by hand where the lab has one."""
    head = f'name = "{lab.name} shop"\nurl = "{lab.shop}"\n'
    made = {"discovered": discovered(lab, tmp_path), "learned": head + lab.learned}
    if lab.preset:
        made["preset"] = f'{head}widget = "{lab.preset}"\n'
    return made


def test_lhc_operator_answering_after_20_s_is_human_and_timed(tmp_path):
    needs(LHC)
    for how, text in files(LHC, tmp_path).items():
        with LHC.operator("--only-new", "--delay", "20", "--typing", "5", "--max-seconds", "150"):
            (row,) = probe(folder(tmp_path, how, text), tmp_path / f"{how}.db")
        assert row["outcome"] == "human", (how, row["reasons"])
        # the operator answers 20 s after it sees the chat (its poll: 1 s); the widget shows it
        # at its next sync (up to about 4 s)
        assert 19_000 < row["first_human_ms"] < 26_000, (how, row)


def test_lhc_online_operator_who_never_answers_is_fake_online_every_time(tmp_path):
    needs(LHC)
    for how, text in files(LHC, tmp_path).items():
        with LHC.operator("--only-new", "--mode", "none", "--max-seconds", "200"):
            rows = probe(folder(tmp_path, how, text, REPEATS), tmp_path / f"{how}.db", REPEATS)
        verdicts = {(r["outcome"], r["fake_online"]) for r in rows}
        assert len(rows) == REPEATS and verdicts <= {("auto_only", True), ("no_reply", True)}, (how, rows)
        assert not any(r["read_no_reply"] for r in rows), (how, rows)  # nobody opened it: nothing read


def test_lhc_operator_who_reads_and_never_answers_is_read_no_reply(tmp_path):
    """已读不回 on a real system: LHC's own tick turns "Have been seen!" when the operator opens the
    chat (8 s after it arrives, tests/labs/lhc/reader.py), and nobody answers. Without chat.read
    (the discovered file, the learned one) the probe learns the mark and prints it; with it (the
    preset plus the printed line) the same."""
    needs(LHC)
    subprocess.run(["sh", str(HERE / "lhc" / "receipts.sh")], check=True, capture_output=True)
    made = files(LHC_RECEIPTS, tmp_path)
    made["preset"] += "\n[chat]\nread = '[title=\"Have been seen!\"]'\n"
    for how, text in made.items():
        with playing(HERE / "lhc" / "reader.py", "--delay", "8", "--max-seconds", "150"):
            run = probe_run(folder(tmp_path, how, text), tmp_path / f"{how}.db")
        (row,) = run.rows
        assert (row["read_no_reply"], row["fake_online"], row["read_by"]) == (
            True, True, '[title="Have been seen!"]'
        ), (how, row)  # fmt: skip
        assert 8_000 < row["read_ms"] < 20_000, (how, row)  # opened 8 s on; the widget syncs every few s
        learned = "read = '[title=\"Have been seen!\"]'" in run.said
        assert learned == (how != "preset"), (how, run.said)


def test_lhc_bot_that_ignores_the_handoff_is_a_bot_loop(tmp_path):
    needs(LHC)
    for how, text in files(LHC, tmp_path).items():
        bot = ("--mode", "bot", "--per-message", "--delay", "2", "--text", "我是智能助手，请描述您的问题。")
        with LHC.operator("--only-new", *bot, "--max-seconds", "150"):
            (row,) = probe(folder(tmp_path, how, text), tmp_path / f"{how}.db")
        assert (row["outcome"], row["bot_loop"], row["handoff_sent"]) == ("auto_only", True, True), (how, row)


def test_lhc_offline_is_declared_every_time(tmp_path):
    needs(LHC)
    for how, text in files(LHC, tmp_path).items():
        subprocess.run([sys.executable, str(LHC.home / "operator.py"), "--offline"], cwd="/", check=True)
        rows = probe(folder(tmp_path, how, text, REPEATS), tmp_path / f"{how}.db", REPEATS)
        assert [r["outcome"] for r in rows] == ["offline_declared"] * REPEATS, (how, rows)


def test_wolive_four_cases(tmp_path):
    """A Chinese 客服 system (wolive / 来客): no status anywhere, a greeting removed when the
    agent answers, a FAQ robot, a 下班 dialog over the chat when off duty. Each case with the
    discovered file (the wolive preset) and one without chat.message, probed at once."""
    needs(WOLIVE)
    made = files(WOLIVE, tmp_path)
    cases = [
        (("--delay", "20"), {("human", False, False)}),
        (("--mode", "none"), {("no_reply", False, False), ("auto_only", False, False)}),
        (("--mode", "bot", "--per-message"), {("auto_only", False, True)}),
        (("--offline",), {("offline_declared", False, False)}),
    ]
    for index, (args, expected) in enumerate(cases):
        probes = tmp_path / f"case{index}"
        shutil.copytree(builtin_questions_dir(), probes / "questions")
        for how, text in made.items():
            (probes / f"{how}.toml").write_text(text, encoding="utf-8")
        with WOLIVE.operator(*args, "--duration", "200"):
            rows = probe(probes, tmp_path / f"case{index}.db", len(made))
        assert len(rows) == len(made), rows
        for row in rows:
            got = (row["outcome"], row["fake_online"], row["bot_loop"])
            assert got in expected, (args, row["platform"], row["reasons"])
            if row["outcome"] == "human":
                assert 19_000 < row["first_human_ms"] < 23_000, row  # pushed over a websocket: no poll
