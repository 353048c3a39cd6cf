"""留言 / 工单 follow-ups (issue 28): which follow-up a mail answers, whether a reply is a
person's, when a follow-up closes; and the mailbox read for real, from a Dovecot the tests
start (tests/mailserver.py), through `watchdog follow-up`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest

from watchdog.errors import ConfigError
from watchdog.followups import AUTO, HUMAN, Mail, matching, record_reply, reply_kind, settle, tagged
from watchdog.mailbox import follow_up, load_mailbox
from watchdog.records import FollowUp, FollowUpState
from watchdog.scheduler import ScheduleRunner
from watchdog.store import open_store

from .conftest import run_cli
from .mailserver import PASSWORD, MailServer

LEFT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # when the message was left on the form


def waiting(tag: str, platform: str = "shop", url: str = "https://www.shop.example/") -> FollowUp:
    return FollowUp(tag, f"probe-{tag}", platform, url, tagged("watchdog@watchdog.test", tag), LEFT)


def mail(text: str = "您好，话费充值一般10分钟到账，失败会原路退回。", *, to: str = "", subject: str = "回复：咨询",
         sender: str = "kefu@shop.example", hours: float = 2.0, automatic: bool = False) -> Mail:  # fmt: skip
    return Mail(make_msgid(), sender, (to,) if to else (), subject, text, LEFT + timedelta(hours=hours), automatic)


def test_a_mail_answers_the_follow_up_its_address_or_its_words_name_or_the_platforms_own():
    one, two, other = waiting("k3f9a1c2"), waiting("b7e0d4aa", "mall", "https://mall.example/"), waiting("c1d2e3f4")
    pending = [one, two, other]
    assert matching(mail(to=tagged("watchdog@watchdog.test", "b7e0d4aa")), pending) is two
    assert matching(mail(subject="Re: [b7e0d4aa] 咨询"), pending) is two  # the tag quoted in a thread
    assert matching(mail(sender="service@mall.example"), pending) is two  # the only one of that platform
    assert matching(mail(sender="kefu@shop.example"), pending) is None  # two of shop wait: no guess
    assert matching(mail(sender="friend@elsewhere.example"), pending) is None


def test_an_automatic_receipt_is_no_answer():
    assert reply_kind(mail(automatic=True))[0] == AUTO  # Auto-Submitted and kin
    assert reply_kind(mail("您好，已收到您的留言，我们会尽快处理。"))[0] == AUTO
    assert reply_kind(mail(sender="no-reply@shop.example"))[0] == AUTO
    assert reply_kind(mail(), same_text_elsewhere=2)[0] == AUTO  # the same words to others: a template
    assert reply_kind(mail())[0] == HUMAN
    # A mail that only sends our own message back answers nothing; one that quotes it and
    # answers below is a person's.
    ours = "你好，请问你们的话费充值一般多久到账？如果充值失败了怎么退款？"
    assert reply_kind(mail(f"您的留言：{ours}\n提交时间：2026-12-07 18:47"), ours=ours) == (
        AUTO,
        "only our own message, sent back",
    )
    assert reply_kind(mail(f"> {ours}\n\n您好，话费一般10分钟到账，失败会原路退回。"), ours=ours)[0] == HUMAN
    assert reply_kind(mail("好的，10分钟到账。"), ours=ours)[0] == HUMAN  # short, and not ours


def test_a_follow_up_closes_at_a_person_or_after_7_days():
    answered = waiting("a")
    record_reply(answered, AUTO, LEFT + timedelta(minutes=1))
    record_reply(answered, HUMAN, LEFT + timedelta(hours=5))
    assert settle(answered, LEFT + timedelta(hours=6)) == FollowUpState.ANSWERED
    assert answered.human_delay_s == 5 * 3600
    receipt_only = waiting("b")
    record_reply(receipt_only, AUTO, LEFT + timedelta(minutes=1))
    assert settle(receipt_only, LEFT + timedelta(days=6, hours=23)) == FollowUpState.PENDING
    assert settle(receipt_only, LEFT + timedelta(days=7)) == FollowUpState.AUTO_ONLY
    assert settle(waiting("c"), LEFT + timedelta(days=8)) == FollowUpState.UNANSWERED


def test_the_mailbox_file_is_strict_and_keeps_no_password(tmp_path, monkeypatch):
    path = tmp_path / "mailbox.toml"
    path.write_text('address = "watchdog@example.org"\nhost = "imap.example.org"\npassword = "x"\nfoo = 1\n')
    with pytest.raises(ConfigError) as raised:
        load_mailbox(path)
    assert f"{path}: password: not here: set password_env or password_file" in str(raised.value)
    assert f"{path}: foo: unknown key" in str(raised.value)
    path.write_text('address = "watchdog@example.org"\nhost = "imap.example.org"\n')
    mailbox = load_mailbox(path)
    assert (mailbox.port, mailbox.ssl, mailbox.user) == (993, True, "watchdog@example.org")
    monkeypatch.delenv("WATCHDOG_IMAP_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="password_env: the environment variable WATCHDOG_IMAP_PASSWORD is not set"):
        mailbox.password()


def test_replies_are_stored_once_and_settle_the_follow_up(tmp_path):
    with open_store(tmp_path / "w.db") as store:
        store.start_follow_up(waiting("k3f9a1c2"))
        receipt = mail(
            "已收到您的留言，我们会在24小时内回复。", to=tagged("watchdog@watchdog.test", "k3f9a1c2"), hours=0.01
        )
        person = mail(to=tagged("watchdog@watchdog.test", "k3f9a1c2"), hours=3)
        assert follow_up(store, [receipt], LEFT + timedelta(hours=1)) == []  # a receipt: still waiting
        (done,) = follow_up(store, [receipt, person], LEFT + timedelta(hours=4))  # the receipt again: once
        assert (done.state, done.human_delay_s) == (FollowUpState.ANSWERED, 3 * 3600)
        assert [r["kind"] for r in store.follow_up_replies("k3f9a1c2")] == [AUTO, HUMAN]
        assert store.pending_follow_ups() == []


# -- the mailbox, read for real ----------------------------------------------------------------


def sent(server: MailServer, text: str, *, to: str, subject: str, at: datetime, automatic: bool = False) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "客服 <kefu@shop.example>", to, subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = make_msgid(domain="shop.example")
    if automatic:
        message["Auto-Submitted"] = "auto-replied"
    message.set_content(text)
    server.deliver(message, to)


def test_watchdog_follow_up_reads_a_real_mailbox(mail_server, tmp_path, monkeypatch):
    """Three messages left: one answered by a receipt and then a person (by its plus-address),
    one only by a receipt, one by a person quoting its tag from another address; the CLI reads
    them over IMAP from Dovecot. The password is in no file, row or line it writes."""
    (tmp_path / "mailbox.toml").write_text(mail_server.mailbox_toml(), encoding="utf-8")
    monkeypatch.setenv("WATCHDOG_TEST_IMAP_PASSWORD", PASSWORD)
    db = tmp_path / "w.db"
    left = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    with open_store(db) as store:
        for tag in ("aa11bb22", "cc33dd44", "ee55ff66"):
            store.start_follow_up(FollowUp(tag, f"probe-{tag}", f"shop-{tag}", "https://x.example/",
                                           tagged(mail_server.address, tag), left))  # fmt: skip
    box = mail_server.address
    for text, to, subject, minutes, automatic in (
        ("已收到您的留言。", tagged(box, "aa11bb22"), "自动回复", 1, True),
        ("您好，充值一般10分钟到账。", tagged(box, "aa11bb22"), "Re: 咨询", 40, False),
        ("您好，我们已收到您的工单。", tagged(box, "cc33dd44"), "工单已创建", 10, False),
        ("您好，支持支付宝付款。", box, "Re: 咨询 [ee55ff66]", 50, False),  # the tag quoted, not in the address
    ):
        sent(mail_server, text, to=to, subject=subject, at=left + timedelta(minutes=minutes), automatic=automatic)
    result = run_cli("follow-up", "--db", db, "--mailbox", tmp_path / "mailbox.toml")
    assert result.exit_code == 0, result.output
    lines = sorted(result.stdout.splitlines())
    answered = ["shop-aa11bb22: answered after 40 min", "shop-ee55ff66: answered after 50 min"]
    assert [line.split(" (")[0] for line in lines] == answered
    assert "1 waiting" in result.stderr
    with open_store(db) as store:
        kinds = {tag: [r["kind"] for r in store.follow_up_replies(tag)] for tag in ("aa11bb22", "cc33dd44", "ee55ff66")}
        assert kinds == {"aa11bb22": [AUTO, HUMAN], "cc33dd44": [AUTO], "ee55ff66": [HUMAN]}
        (still,) = store.pending_follow_ups()
        assert still.id == "cc33dd44"
    assert PASSWORD not in result.output
    assert all(PASSWORD.encode() not in path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    again = run_cli("follow-up", "--db", db, "--mailbox", tmp_path / "mailbox.toml")
    assert again.stdout == "" and "0 settled, 1 waiting" in again.stderr  # read again: nothing twice


def test_the_schedule_reads_the_mailbox_and_a_failure_is_a_line(mail_server, tmp_path, monkeypatch):
    """`watchdog schedule` with a mailbox file reads it every 15 minutes (and at its start): its
    follow-up job, run once; a mailbox it cannot read is a log line, not the end of the schedule.
    (The wrong passwords come last: Dovecot slows the next login after one.)"""
    (tmp_path / "mailbox.toml").write_text(mail_server.mailbox_toml(), encoding="utf-8")
    db = tmp_path / "w.db"
    left = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    with open_store(db) as store:
        store.start_follow_up(FollowUp("ab12cd34", "probe-1", "shop", "https://x.example/", "-", left))
        said: list[str] = []
        runner = ScheduleRunner([], tmp_path, store, vantage=None, control_url=None, log=said.append,
                                mailbox=load_mailbox(tmp_path / "mailbox.toml"))  # fmt: skip
        monkeypatch.setenv("WATCHDOG_TEST_IMAP_PASSWORD", PASSWORD)
        sent(
            mail_server,
            "您好，可以的。",
            to=tagged(mail_server.address, "ab12cd34"),
            subject="Re",
            at=left + timedelta(hours=1),
        )
        asyncio.run(runner.follow_up())
        assert said == ["follow-up: shop: answered after 1 h (follow-up ab12cd34, probe probe-1)"]
        store.start_follow_up(FollowUp("ef56ab78", "probe-2", "mall", "https://y.example/", "-", left))
        monkeypatch.setenv("WATCHDOG_TEST_IMAP_PASSWORD", "wrong")
        asyncio.run(runner.follow_up())
    assert len(said) == 2 and said[1].startswith("follow-up: error: ") and "wrong" not in said[1]


def test_a_wrong_password_is_one_line_naming_the_mailbox(mail_server, tmp_path, monkeypatch):
    (tmp_path / "mailbox.toml").write_text(mail_server.mailbox_toml(), encoding="utf-8")
    monkeypatch.setenv("WATCHDOG_TEST_IMAP_PASSWORD", "not-the-password")
    db = tmp_path / "w.db"
    with open_store(db) as store:
        store.start_follow_up(waiting("aa11bb22"))
    result = run_cli("follow-up", "--db", db, "--mailbox", tmp_path / "mailbox.toml")
    assert result.exit_code == 1
    assert f"Error: {tmp_path / 'mailbox.toml'}: watchdog at 127.0.0.1:{mail_server.imap_port}: " in result.output
    assert "not-the-password" not in result.output and len(result.output.strip().splitlines()) == 1
