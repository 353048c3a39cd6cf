"""The lab tier: real chat systems that nobody here wrote, built by hand from their public
source, each with an operator script playing the agent: Live Helper Chat from ../shared/labs/lhc
(see its README; tests/labs/lhc/up.sh starts it again; its 留言 cases point its SMTP at
tests/smtprelay.py, which hands our mail to the tests' Dovecot), wolive from tests/labs/wolive (its
RECIPE.md, build.sh and up.sh).

`pytest -m lab` runs these when a lab is up; they are skipped otherwise (and in every run that
does not ask for them: a case waits minutes on a real widget). Each case is probed with a
preset file and with the file `watchdog discover` writes, as a new user would.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from watchdog.config import builtin_questions_dir

from .conftest import json_lines, run_cli
from .mailserver import PASSWORD
from .smtprelay import SmtpRelay

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


def probe_run(probes: Path, db: Path, concurrency: int = 1, *more: str | Path) -> Run:
    result = run_cli(
        "probe", "--all", "--json", "--probes", probes, "--db", db, "--control-url", "none",
        "--ignore-min-interval", "--max-wait", MAX_WAIT, "--concurrency", concurrency, *more,
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


LHC_REST = "http://127.0.0.1:8081/index.php/restapi"  # as operator.py: RECIPE.md step 6's REST key


def lhc_sql(query: str) -> list[list[str]]:
    """A query on LHC's own database, as LHC's own user (RECIPE.md step 3)."""
    env = {**os.environ, "MYSQL_PWD": "lhcpass"}
    command = ["mysql", "-h127.0.0.1", "-ulhc", "lhc", "--batch", "--skip-column-names", "-e", query]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=30).stdout
    return [line.split("\t") for line in out.splitlines()]


@contextlib.contextmanager
def lhc_smtp(port: int) -> Iterator[None]:
    """LHC's own mail settings (Settings > Mail settings > SMTP: the smtp_data row) pointed at
    127.0.0.1:port while the test runs, and put back after. Without a way to mail, LHC refuses an
    offline message ("There was a problem sending your request"): it mails each one to its operator."""
    ((found,),) = lhc_sql("select value from lh_chat_config where identifier = 'smtp_data'")
    smtp: dict[str, str | int] = {"host": "127.0.0.1", "port": str(port), "use_smtp": 1, "username": "", "password": ""}
    php = "".join(
        f's:{len(key)}:"{key}";' + (f"i:{value};" if isinstance(value, int) else f's:{len(value)}:"{value}";')
        for key, value in smtp.items()
    )  # PHP's serialize() of the array LHC's admin page stores
    lhc_sql(f"update lh_chat_config set value = 'a:{len(smtp)}:{{{php}}}' where identifier = 'smtp_data'")
    try:
        yield
    finally:
        lhc_sql(f"update lh_chat_config set value = '{found}' where identifier = 'smtp_data'")


def lhc_admin(lab: Lab) -> Any:
    """A logged-in session on LHC's admin: the lab's own admin_web.py (loaded by path: its
    folder's operator.py shadows the stdlib's)."""
    spec = importlib.util.spec_from_file_location("lhc_admin_web", lab.home / "admin_web.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Admin()


def follow_ups_and_notes(db: Path) -> tuple[list[dict], list[list[str]]]:
    """The follow-ups of a database, and the codes of each probe's notes (in order)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        left = [dict(row) for row in conn.execute("select * from follow_ups")]
        notes = conn.execute("select notes from probes order by started_at").fetchall()
    return left, [[note["code"] for note in json.loads(row[0] or "[]")] for row in notes]


def plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    return str(body.get_content()) if body is not None else ""


def lhc_chats(address: str) -> list[tuple[str, str]]:
    """LHC's chats from `address`: (id, status_sub); an offline request's status_sub is 7."""
    return [(chat, sub) for chat, sub in lhc_sql(f"select id, status_sub from lh_chat where email = '{address}'")]


def lhc_operator_mails(chat: str, address: str, text: str) -> None:
    """LHC's operator answers an offline request from its admin: Send mail to the user."""
    admin = lhc_admin(LHC)
    form = admin.get(f"chat/sendmail/{chat}")
    fields = {"RecipientEmail": address, "Subject": "Re: 话费充值", "ReplyEmail": "olivia@example.com", "Message": text}
    sent = admin.post(f"chat/sendmail/{chat}", {"csfr_token": admin.token(form), "SendMail": "Send", **fields})
    assert "Mail was sent to the user" in sent


def test_lhc_offline_form_gets_our_question_once(tmp_path, mail_server, monkeypatch):
    """留言 on a real system: LHC with nobody online shows its offline form (Name*, E-mail*, Your
    question*, "Leave a message"). Probed twice with a mailbox, the first probe leaves our question
    there (LHC says "Thank you for your feedback...", stores it as an offline request and mails it
    to its operator); the second leaves nothing (min_interval). LHC's operator answers from its
    admin, through LHC's own SMTP to our Dovecot (LMTP), and `watchdog follow-up` settles it
    answered. With each platform file: the discovered, the learned, the preset."""
    needs(LHC)
    monkeypatch.setenv("WATCHDOG_TEST_IMAP_PASSWORD", PASSWORD)
    mailbox = tmp_path / "mailbox.toml"
    mailbox.write_text(mail_server.mailbox_toml(), encoding="utf-8")
    subprocess.run([sys.executable, str(LHC.home / "operator.py"), "--offline"], cwd="/", check=True)
    try:
        with SmtpRelay(mail_server) as relay, lhc_smtp(relay.port):
            for how, text in files(LHC, tmp_path).items():
                probes, db = folder(tmp_path, how, text), tmp_path / f"{how}.db"
                rows = [row for _ in range(2) for row in probe_run(probes, db, 1, "--mailbox", mailbox).rows]
                assert [r["outcome"] for r in rows] == ["offline_declared"] * 2, (how, rows)
                (left,), notes = follow_ups_and_notes(db)
                assert (left["state"], left["problem"], left["probe_id"]) == ("pending", None, rows[0]["probe_id"])
                assert "Thank you for your feedback" in left["confirmation"], (how, left)
                assert left["form_url"] == LHC.shop, (how, left)
                typed = {f["kind"]: f["value"] for f in json.loads(left["form_fields"])}
                assert typed == {"name": typed["name"], "email": left["address"], "message": rows[0]["question"]}
                assert notes[0] == ["message_left"] and "message_left_lately" in notes[1], (how, notes)
                # LHC's side: one offline request from our tagged address, holding our question,
                # mailed to its operator once
                ((chat, kind),) = lhc_chats(left["address"])
                assert kind == "7", (how, chat, kind)
                question = f"select count(*) from lh_msg where chat_id = {chat} and msg like '%{rows[0]['question']}%'"
                assert lhc_sql(question) == [["1"]], (how, chat)
                notices = [m for _, m in relay.kept if left["address"] in plain(m)]
                assert len(notices) == 1, (how, relay.kept)
                lhc_operator_mails(chat, left["address"], "您好，话费充值一般10分钟内到账，失败会原路退回。")
                assert [to for to, _ in relay.delivered].count(left["address"]) == 1, (how, relay.delivered)
                result = run_cli("follow-up", "--db", db, "--mailbox", mailbox)
                assert result.exit_code == 0 and result.stdout.startswith("shop1: answered after "), result.output
                (answered,), _ = follow_ups_and_notes(db)
                assert answered["state"] == "answered" and 0 < answered["human_delay_s"] < 300, (how, answered)
    finally:  # the operator's status flag back on, as found (online again at operator.py's next heartbeat)
        httpx.get(f"{LHC_REST}/setoperatorstatus", params={"username": "operator1", "status": "true"},
                  auth=("operator1", "opkey-0123456789abcdef"), timeout=20)  # fmt: skip


def test_lhc_offline_form_it_cannot_mail_is_not_left(tmp_path, mail_server, monkeypatch):
    """LHC without a way to mail (the lab as built: no SMTP, no sendmail) refuses an offline
    message: its form stays, over it "There was a problem sending your request. Please try again
    later!", and it keeps nothing. The probe says so: not left (not_sent, LHC's words), nobody
    owes an answer."""
    needs(LHC)
    ((smtp,),) = lhc_sql("select value from lh_chat_config where identifier = 'smtp_data'")
    if 's:8:"use_smtp";i:1;' in smtp:
        pytest.skip("the lab's LHC has an SMTP server set: it can mail")
    monkeypatch.setenv("WATCHDOG_TEST_IMAP_PASSWORD", PASSWORD)
    mailbox = tmp_path / "mailbox.toml"
    mailbox.write_text(mail_server.mailbox_toml(), encoding="utf-8")
    subprocess.run([sys.executable, str(LHC.home / "operator.py"), "--offline"], cwd="/", check=True)
    try:
        for how, text in files(LHC, tmp_path).items():
            db = tmp_path / f"{how}.db"
            (row,) = probe_run(folder(tmp_path, how, text), db, 1, "--mailbox", mailbox).rows
            assert row["outcome"] == "offline_declared", (how, row)
            (left,), (notes,) = follow_ups_and_notes(db)
            assert (left["state"], left["problem"]) == ("not_left", "not_sent"), (how, left)
            assert "There was a problem sending your request" in left["detail"], (how, left)
            assert notes == ["message_not_left"] and lhc_chats(left["address"]) == [], (how, notes)
    finally:
        httpx.get(f"{LHC_REST}/setoperatorstatus", params={"username": "operator1", "status": "true"},
                  auth=("operator1", "opkey-0123456789abcdef"), timeout=20)  # fmt: skip


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
