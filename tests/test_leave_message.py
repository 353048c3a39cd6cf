"""Leaving a message (留言 / 工单) when the chat is offline, and its follow-through: the rules
for what a form gets (fast, no browser), and the sandbox's offline-form platforms probed for
real with a real mailbox (Dovecot), their answers read over IMAP and compared with the truth."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from watchdog.leave import FieldSeen, Filled, Refused, page_answer, plan, promised_hours
from watchdog.mailbox import check, load_mailbox, read_mail
from watchdog.publish.datasette import build_datasette
from watchdog.records import FollowUp, FollowUpState, FormProblem
from watchdog.sandbox import FORM_SCENARIOS, SCENARIOS, Sandbox, write_probes
from watchdog.store import open_store

from .conftest import TIME_SCALE, datasette_get, run_cli
from .mailserver import PASSWORD

ADDRESS, NAME, QUESTION = "watchdog+ab12cd34@watchdog.test", "访客", "你好，请问话费充值一般多久到账？"


def field(index: int, label: str, *, tag: str = "input", type: str = "text", required: bool = False,
          options: tuple[str, ...] = ()) -> FieldSeen:  # fmt: skip
    return FieldSeen(index, tag, type, label, "", required, options)


def filled(fields: list[FieldSeen]) -> list[Filled] | Refused:
    return plan(fields, name=NAME, address=ADDRESS, message=QUESTION)


def test_a_form_gets_our_name_address_and_question_and_nothing_invented():
    form = [
        field(0, "称呼"),
        field(1, "联系邮箱", type="email", required=True),
        field(2, "手机号码", type="tel"),  # optional: left empty
        field(3, "QQ账号"),  # optional: left empty (a QQ number, not an account to pay from)
        field(4, "问题类型", tag="select", required=True, options=("请选择", "售后问题", "售前咨询")),
        field(5, "留言内容", tag="textarea", required=True),
    ]
    assert filled(form) == [Filled(0, NAME), Filled(1, ADDRESS), Filled(4, "售前咨询"), Filled(5, QUESTION)]
    # A form with only a 联系方式 box takes the address there.
    assert filled([field(0, "联系方式", required=True), field(1, "内容", tag="textarea")]) == [
        Filled(0, ADDRESS),
        Filled(1, QUESTION),
    ]


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        (
            [field(0, "手机号", type="tel", required=True), field(1, "邮箱"), field(2, "留言", tag="textarea")],
            FormProblem.NEEDS_PHONE,
        ),
        (
            [field(0, "*联系电话", required=True), field(1, "邮箱"), field(2, "留言", tag="textarea")],
            FormProblem.NEEDS_PHONE,
        ),
        ([field(0, "QQ号码", required=True), field(1, "邮箱"), field(2, "留言", tag="textarea")], FormProblem.NEEDS_QQ),
        ([field(0, "微信", required=True), field(1, "邮箱"), field(2, "留言", tag="textarea")], FormProblem.NEEDS_QQ),
        ([field(0, "QQ账号", required=True), field(1, "邮箱"), field(2, "留言", tag="textarea")], FormProblem.NEEDS_QQ),
        ([field(0, "微信支付账号"), field(1, "邮箱"), field(2, "留言", tag="textarea")], FormProblem.ASKS_ORDER),
        ([field(0, "订单号"), field(1, "邮箱"), field(2, "留言", tag="textarea")], FormProblem.ASKS_ORDER),
        ([field(0, "支付宝账号"), field(1, "邮箱"), field(2, "留言", tag="textarea")], FormProblem.ASKS_ORDER),
        ([field(0, "邮箱"), field(1, "验证码", required=True), field(2, "留言", tag="textarea")], FormProblem.CAPTCHA),
        ([field(0, "留言", tag="textarea")], FormProblem.NO_CONTACT),
        ([field(0, "邮箱"), field(1, "搜索")], FormProblem.NO_FORM),
        (
            [field(0, "邮箱"), field(1, "所在城市", required=True), field(2, "留言", tag="textarea")],
            FormProblem.UNKNOWN_REQUIRED,
        ),
    ],  # fmt: skip
)
def test_a_form_that_asks_what_we_cannot_honestly_give_is_not_submitted(form, problem):
    refused = filled(form)
    assert isinstance(refused, Refused) and refused.problem == problem


def test_the_promise_and_the_pages_answer_are_read_from_its_words():
    assert promised_hours("客服不在线，请留言，我们会在24小时内回复您。") == (24.0, "24小时内")
    assert promised_hours("提交后两个工作日内给您答复") == (48.0, "两个工作日内")
    assert promised_hours("We will get back to you within 12 hours.") == (12.0, "within 12 hours")
    assert promised_hours("营业时间 9:00-18:00，周末休息") is None
    assert page_answer("留言 提交", "留言 提交 提交成功，感谢您的留言") == (False, "提交成功，感谢您的留言")
    assert page_answer("留言 提交", "留言 提交 请填写邮箱") == (True, "请填写邮箱")
    assert page_answer("留言 提交", "留言 提交") == (False, "")  # taken in silence: still left
    # Live Helper Chat when it cannot mail its operator: it keeps nothing (seen in the lab).
    refused = "There was a problem sending your request. Please try again later!"
    assert page_answer("Leave a message", f"Leave a message {refused}") == (True, refused)


def test_a_platform_gets_one_message_per_interval_whoever_asks(tmp_path):
    """The claim is taken under the write lock: a second claim within the interval, from this
    run or another process's, is refused."""
    now = datetime.now(UTC)

    def follow_up(tag: str, at: datetime) -> FollowUp:
        return FollowUp(tag, f"p-{tag}", "shop", "https://shop.example/", ADDRESS, at, FollowUpState.NOT_LEFT)

    with open_store(tmp_path / "w.db") as one, open_store(tmp_path / "w.db") as other:
        assert one.claim_follow_up(follow_up("a1", now), 24 * 3600)
        assert not other.claim_follow_up(follow_up("b2", now + timedelta(hours=23)), 24 * 3600)
        assert other.claim_follow_up(follow_up("c3", now + timedelta(hours=25)), 24 * 3600)


# -- the sandbox's offline forms, probed for real -------------------------------------------

FORMS = FORM_SCENARIOS + tuple(s for s in SCENARIOS if s.slug in ("honest-offline", "vendor-offline"))


def probe(folder: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "WATCHDOG_TEST_IMAP_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "watchdog", "probe", "--probes", folder / "probes", "--db", folder / "w.db",
               "--mailbox", folder / "mailbox.toml", *args]  # fmt: skip
    return subprocess.Popen(list(map(str, command)), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def left(mail_server, tmp_path_factory):
    """Every offline platform probed with a mailbox, while a second run asks for one of them at
    the same moment; then that one again, past its chat's min_interval (not its form's)."""
    folder = tmp_path_factory.mktemp("leave")
    with Sandbox(time_scale=TIME_SCALE, scenarios=FORMS, lmtp=("127.0.0.1", mail_server.lmtp_port)) as sandbox:
        write_probes(folder / "probes", sandbox.url, TIME_SCALE, FORMS)
        answered = (folder / "probes" / "leave-answered.toml").read_text(encoding="utf-8")
        typo = answered + "\n[leave_message]\nform = \".liuyan-form\"  # a user's guess: not the page's\n"
        (folder / "probes" / "leave-answered_typo.toml").write_text(typo, encoding="utf-8")
        (folder / "mailbox.toml").write_text(mail_server.mailbox_toml(), encoding="utf-8")
        runs = [probe(folder, "--all", "--concurrency", "16"), probe(folder, "leave-answered")]
        outputs = [run.communicate(timeout=180) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        again = probe(folder, "leave-answered", "--ignore-min-interval")
        outputs.append(again.communicate(timeout=120))
        assert again.returncode == 0, outputs[-1]
        truth = httpx.get(f"{sandbox.url}/truth").json()
    yield folder, truth, outputs


@pytest.mark.browser
def test_every_offline_form_gets_a_follow_up_and_its_answers_match_the_truth(left, mail_server, monkeypatch):
    folder, truth, _ = left
    monkeypatch.setenv("WATCHDOG_TEST_IMAP_PASSWORD", PASSWORD)
    mailbox = load_mailbox(folder / "mailbox.toml")
    sent = sum(len(entry["mails"]) for entry in truth["left"])
    deadline = time.monotonic() + 20
    while len(read_mail(mailbox, datetime.now(UTC) - timedelta(days=1))) < sent and time.monotonic() < deadline:
        time.sleep(0.2)  # the sandbox delivers in threads of its own
    with open_store(folder / "w.db") as store:
        check(store, mailbox, datetime.now(UTC) + timedelta(days=8))  # the 7-day wait over, in simulated time
        follow_ups = {row["platform"]: row for row in store.follow_ups()}
        ratings = {row["platform"]: row for row in store.ratings()}
    expected = truth["forms"]
    assert set(expected) <= set(follow_ups)
    for slug, want in expected.items():
        got = follow_ups[slug]
        assert (got["state"], got["problem"]) == (want["state"], want["problem"]), (slug, got)
        if want["human_delay_s"] is not None:
            left_at = next(entry["at"] for entry in truth["left"] if entry["platform"] == slug)
            submitted = datetime.fromisoformat(got["submitted_at"].replace("Z", "+00:00")).timestamp()
            assert abs(submitted - left_at) < 1.0, slug  # our moment of submitting is the platform's
            assert abs(got["human_delay_s"] - want["human_delay_s"]) < 1.0, (slug, got["human_delay_s"])
    # A form without a contact field cannot be answered: not left, and said why.
    assert follow_ups["honest-offline"]["problem"] == FormProblem.NO_CONTACT
    # Each form found is in a screenshot: the one that needs a phone number too.
    assert all(Path(follow_ups[slug]["screenshot"]).is_file() for slug in expected)
    assert follow_ups["leave-answered"]["promise_h"] == 24 and follow_ups["leave-ticket"]["promise_h"] == 48
    # The ratings of the platforms that settled, recomputed at once: their 留言 figures.
    assert (ratings["leave-answered"]["follow_up_24h_rate"], ratings["leave-ticket"]["follow_up_24h_rate"]) == (1, 0)
    assert ratings["leave-ticket"]["follow_up_48h_rate"] == 1 and ratings["leave-silent"]["follow_up_48h_rate"] == 0


@pytest.mark.browser
def test_forms_that_need_a_phone_or_an_order_are_never_submitted(left):
    _, truth, _ = left
    submitted = {entry["platform"] for entry in truth["left"]}
    assert "leave-phone" not in submitted and "leave-order" not in submitted
    assert {"leave-answered", "leave-receipt", "leave-ticket", "leave-silent"} <= submitted


@pytest.mark.browser
def test_a_wrong_form_selector_submits_nothing_and_says_so(left):
    folder, truth, _ = left
    with open_store(folder / "w.db") as store:
        (typo,) = [row for row in store.follow_ups() if row["platform"] == "leave-answered_typo"]
    assert (typo["state"], typo["problem"]) == ("not_left", "no_form")
    assert ".liuyan-form" in typo["detail"]
    assert [entry["platform"] for entry in truth["left"]].count("leave-answered") == 1  # the right file's only


@pytest.mark.browser
def test_overlapping_runs_never_leave_a_message_twice(left):
    folder, truth, outputs = left
    assert [entry["platform"] for entry in truth["left"]].count("leave-answered") == 1
    with sqlite3.connect(folder / "w.db") as conn:
        rows = conn.execute("select count(*) from follow_ups where platform = 'leave-answered'").fetchone()[0]
        notes = [row[0] for row in conn.execute("select notes from probes where platform = 'leave-answered'")]
    assert rows == 1
    assert any("message_left_lately" in (n or "") for n in notes), notes


@pytest.mark.browser
@pytest.mark.browser
def test_the_probe_says_what_became_of_the_message(left):
    _, _, outputs = left
    said = outputs[0][1] + outputs[1][1]  # the two runs' stderr: either may have probed leave-answered
    assert "leave-answered: left our question on its 留言 form, to be answered at watchdog+" in said
    assert "leave-phone: did not leave a message on its form (needs_phone: 手机号码)" in said
    assert "leave-answered: a message was left on its form within the last 24 h: not again" in outputs[2][1]


@pytest.mark.browser
def test_the_imap_password_is_in_no_file_row_export_page_or_line(left):
    folder, _, outputs = left
    assert all(PASSWORD not in out + err for out, err in outputs)
    assert all(PASSWORD.encode() not in path.read_bytes() for path in folder.rglob("*") if path.is_file())
    db = folder / "w.db"
    for kind in ("probes", "messages", "ratings", "follow_ups", "follow_up_replies"):
        exported = run_cli("export", kind, "--db", db, "--unmasked")
        assert exported.exit_code == 0 and PASSWORD not in exported.output, kind
    with open_store(db) as store:
        probe_ids = [row["probe_id"] for row in store.follow_ups()]
    private = build_datasette(db)
    for path in ("/-/leaderboard", "/-/platform/leave-answered", *(f"/-/probe/{i}" for i in probe_ids)):
        page = datasette_get(private, path)
        assert page.status_code == 200 and PASSWORD not in page.text, path
