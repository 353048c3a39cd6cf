"""Verdicts: reasons everywhere, recomputable from stored messages, scored against truth."""

from __future__ import annotations

import json

import pytest
import sqlite_utils

from watchdog.reasons import loads
from watchdog.records import Claimed, Kind, MessageRecord, ProbeRecord, Side
from watchdog.sandbox import SCENARIOS
from watchdog.store.templates import TemplateIndex
from watchdog.verdicts.classify import classify_messages
from watchdog.verdicts.decide import decide

from .conftest import counts, run_cli


def test_every_stored_verdict_has_a_reason(demo_db):
    db = sqlite_utils.Database(demo_db)
    for probe in db["probes"].rows:
        assert json.loads(probe["reasons"]), probe["platform"]
    for message in db["messages"].rows_where("side = 'platform' and seen != 'end'"):
        assert message["kind"] in ("greeting", "bot", "auto", "stock_answer", "human", "system")
        assert json.loads(message["reasons"]), message["text"]
        assert 0 < message["confidence"] <= 1


def test_reclassify_recomputes_without_probing(demo_copy):
    db_path = demo_copy
    db = sqlite_utils.Database(db_path)
    columns = "platform, outcome, fake_online, bot_loop, template_only, reasons"
    before = {p["id"]: p for p in db.query(f"select id, {columns} from probes")}
    kinds_before = {(m["probe_id"], m["seq"]): m["kind"] for m in db["messages"].rows}
    db.execute("update probes set outcome = 'no_reply', fake_online = 1, bot_loop = 1, reasons = '[]'")
    db.execute("update messages set kind = 'auto', reasons = '[]' where side = 'platform' and seen = 'live'")
    db.conn.commit()

    result = run_cli("reclassify", "--db", db_path)
    assert result.exit_code == 0, result.output
    assert f"reclassified {len(before)} probe(s)" in result.stderr
    after = {p["id"]: p for p in sqlite_utils.Database(db_path).query(f"select id, {columns} from probes")}
    kinds_after = {(m["probe_id"], m["seq"]): m["kind"] for m in sqlite_utils.Database(db_path)["messages"].rows}
    # Every verdict comes back from the stored messages: the demo's were already revised as the
    # template evidence grew (the human-like bot's first probes), so nothing else changes.
    assert after == before
    assert kinds_after == kinds_before


def test_verdicts_revise_themselves_when_a_text_turns_out_to_be_a_template(demo_db):
    """The human-like bot says the same thing in every probe: once 3 other probes have it, its
    first probes (judged before that evidence existed) are revised, with a reason."""
    db = sqlite_utils.Database(demo_db)
    bots = list(
        db.query(
            "select outcome, fake_online, reasons from probes where platform = 'humanlike-bot' order by started_at"
        )
    )
    assert [p["outcome"] for p in bots] == ["auto_only"] * len(bots)
    # Stored as codes with values (reasons.py); their English is what the reasons used to say.
    revised = [r for p in bots for r in loads(p["reasons"]) if getattr(r, "code", None) == "revised"]
    assert revised and all((r.values["was"], r.values["now"][0]) == (["human"], "auto_only") for r in revised)
    assert all("is now a template" in r and "the verdict went from human to auto_only" in r for r in revised)
    bot_only = [s.slug for s in SCENARIOS if s.expected["outcome"] in ("auto_only", "no_reply")]
    rates = {r["platform"]: r["human_rate"] for r in db["ratings"].rows}
    assert all(not rates[slug] for slug in bot_only), rates  # no bot-only platform reaches a human


def test_reclassify_missing_database(tmp_path):
    result = run_cli("reclassify", "--db", tmp_path / "none.db")
    assert result.exit_code == 1 and "no such database" in result.stderr


def facts(*messages: MessageRecord, handoff: float | None = None) -> tuple[ProbeRecord, list[MessageRecord]]:
    probe = ProbeRecord(
        "p1",
        "x",
        "2026-11-22T00:00:00.000Z",
        question="你好，请问你们的话费充值一般多久到账？如果充值失败了怎么退款？",
        question_at_ms=1000.0,
        handoff_at_ms=handoff,
        claimed_status=Claimed.ONLINE,
        claimed_status_text="在线",
        screen_checked=True,
    )
    ours = [m for m in messages if m.side == Side.VISITOR]
    for m in ours:  # as the probe records them: our question, then our handoff
        m.kind = Kind.QUESTION if m is ours[0] else Kind.HANDOFF
    for seq, m in enumerate(messages, start=1):
        m.seq = seq
    return probe, list(messages)


def ours(at_ms: float, text: str = "q") -> MessageRecord:
    return MessageRecord("p1", 0, Side.VISITOR, at_ms, text)


def theirs(at_ms: float, text: str, typing_ms: float | None = None) -> MessageRecord:
    return MessageRecord("p1", 0, Side.PLATFORM, at_ms, text, typing_ms=typing_ms)


def test_short_common_answers_are_never_templates():
    """'在的，一般5分钟到账' typed by many people is not a template: no false accusation."""
    templates = TemplateIndex.in_memory([("在的，一般5分钟到账", f"other{i}", f"site{i}") for i in range(10)])
    probe, messages = facts(ours(1000.0, "q"), theirs(4000.0, "在的，一般8分钟到账"))
    kinds = classify_messages(probe, messages, templates)
    assert kinds[1].kind == "human"
    assert decide(probe, messages, kinds).fake_online is False


def test_near_duplicate_templates_across_probes():
    text = "您好，本店所有商品均为官方正品渠道，下单后5分钟自动发货，请认准店铺名称"
    variant = "亲，本店所有商品均为官方正品渠道，下单后12分钟自动发货，请认准店铺名称~"
    a, b, c = "20261120T0100Z-site-a-1", "20261120T0200Z-site-b-1", "20261121T0100Z-site-b-2"
    templates = TemplateIndex.in_memory([(text, a, "site-a"), (text, b, "site-b"), (text, c, "site-b")])
    assert counts(templates.evidence(variant, "me", "elsewhere")) == (3, 2)
    assert counts(templates.evidence(variant, c, "site-b")) == (2, 2)  # a probe is no evidence for itself
    probe, messages = facts(ours(1000.0, "q"), theirs(30000.0, variant))
    kind = classify_messages(probe, messages, templates)[1]
    said = "same text as replies in 3 other probes on 2 platforms over 2 days (100% of the 3 probes of the platforms"
    assert (kind.kind, kind.reasons) == ("auto", [f"{said} that sent it), and it does not address the question"])
    probe, messages = facts(ours(1000.0, "q"), theirs(9000.0, "您好，这是一段完全不同的很长的回复内容，讲的是别的事情"))
    assert classify_messages(probe, messages, templates)[1].kind == "human"


def test_a_template_that_only_quotes_our_question_back_is_no_stock_answer():
    """A bot echoing our question in a template on every probe names our topics in our words:
    that is no answer, so the platform is not credited with one (auto, and fake online)."""
    question = "你好，请问你们的话费充值一般多久到账？如果充值失败了怎么退款？"
    echo = f"您的问题“{question}”已提交，工单号{{n}}"
    templates = TemplateIndex.in_memory([(echo.format(n=n), f"2026112{n}T0100Z-x-{n}", "x") for n in range(1, 5)])
    probe, messages = facts(ours(1000.0, question), theirs(30000.0, echo.format(n=9)))
    kind = classify_messages(probe, messages, templates)[1]
    assert kind.kind == "auto"
    assert decide(probe, messages, [None, kind]).fake_online is True


def test_a_bot_answering_by_rote_is_a_bot():
    rote = "请问您遇到的是什么问题呢？您可以详细描述一下，我来帮您查询。"
    probe, messages = facts(
        ours(1000.0, "q"),
        theirs(6000.0, "您好，" + rote),
        ours(7000.0, "转人工"),
        theirs(12000.0, "亲，" + rote),
        handoff=7000.0,
    )
    kinds = classify_messages(probe, messages)
    assert [k.kind for k in kinds if k] == ["bot", "bot"]
    verdict = decide(probe, messages, kinds)
    assert (verdict.outcome, verdict.fake_online, verdict.bot_loop) == ("auto_only", True, True)


@pytest.mark.browser
def test_accuracy_command_prints_the_scores():
    # One of each kind of platform (the whole sandbox is `accuracy --seeds 5`, in the notes).
    some = ("prompt-human", "bot-*", "fake-online", "read-icon", "kefu-queue", "honest-offline", "misconfigured")
    result = run_cli("accuracy", "--seeds", "1", "--time-scale", "0.01", *(f"--platform={p}" for p in some))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "truth \\ verdict" in out and "macro F1:" in out
    assert "outcome accuracy: 100.0% (8/8 probes)" in out
    assert "fake_online: precision 100.0% (4/4), recall 100.0% (4/4)" in out
    assert "bot_loop: precision 100.0% (1/1)" in out and "read_no_reply: precision 100.0% (2/2)" in out
    assert "queue_stuck: precision 100.0% (1/1), recall 100.0% (1/1)" in out


def test_a_human_answer_crossing_our_handoff_is_not_too_fast():
    """We asked for a human after 60 s of silence; the answer to the question lands 1 s later."""
    answer = "您好，话费充值一般10分钟内到账，高峰期会慢一点，失败的话会原路退回到您的付款账户。"
    probe, messages = facts(ours(1000.0, "q"), ours(61000.0, "转人工"), theirs(62000.0, answer), handoff=61000.0)
    kinds = classify_messages(probe, messages)
    assert kinds[2].kind == "human", kinds[2].reasons
    assert decide(probe, messages, kinds).fake_online is False


def test_typing_before_our_handoff_means_it_answers_the_question():
    answer = "嗯嗯，这个要看运营商，快的话10分钟，晚上人多的时候会稍微延迟。如果失败了系统会自动退款到您的余额。"
    probe, messages = facts(
        ours(1000.0, "q"),
        theirs(6000.0, "您好，我是在线客服小王，很高兴为您服务！"),
        ours(7000.0, "转人工"),
        theirs(8000.0, answer, typing_ms=6500.0),
        handoff=7000.0,
    )
    kinds = classify_messages(probe, messages)
    assert [k.kind for k in kinds if k] == ["auto", "human"]
