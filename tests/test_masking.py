"""Masking personal data: one function for public mode and exports. A property test over
generated spellings of phone, QQ, WeChat, e-mail, ID and bank numbers, then the same spellings
planted in a store: none survives in public pages, their JSON and CSV, or the exports."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from watchdog.masking import CONTACT, CONTACT_WORDS, SUBSTITUTIONS, mask_personal, public_sender
from watchdog.publish.datasette import build_datasette
from watchdog.publish.export import export_csv
from watchdog.records import Claimed, Kind, MessageRecord, Outcome, ProbeRecord, Side, State
from watchdog.store import open_store

digits = st.text("0123456789", min_size=1, max_size=1)
separator = st.sampled_from(["", "", " ", "-", ".", "\u00a0"])
context = st.text("您好请加我的联系方式谢谢找客服，。！ ", max_size=12)


def spaced(number: str, draw) -> str:
    """The digits with a separator (maybe none) between any two of them."""
    return number[0] + "".join(draw(separator) + ch for ch in number[1:])


@st.composite
def phone(draw) -> str:
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "86-", "0086 ", "0086-", "(+86)"]))
    number = "1" + draw(st.sampled_from("3456789")) + "".join(draw(digits) for _ in range(9))
    return prefix + spaced(number, draw)


@st.composite
def qq(draw) -> str:
    keyword = draw(st.sampled_from(["QQ", "qq", "Q号", "扣扣", "企鹅", "球球"]))
    joiner = draw(st.sampled_from(["", " ", ":", "：", "号", "是", " : "]))
    number = draw(st.sampled_from("123456789")) + "".join(draw(digits) for _ in range(draw(st.integers(4, 10))))
    return keyword + joiner + spaced(number, draw)


@st.composite
def wechat(draw) -> str:
    keyword = draw(
        st.sampled_from(["微信", "微信号", "V信", "v信", "薇信", "威信", "VX", "vx", "wx", "weixin", "加V", "wechat"])
    )
    joiner = draw(st.sampled_from(["", " ", ":", "：", "是", "号是"]))
    handle = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{5,19}", fullmatch=True))
    return keyword + joiner + handle


@st.composite
def email(draw) -> str:
    local = draw(st.from_regex(r"[a-z][a-z0-9._]{2,12}", fullmatch=True))
    domain = draw(st.sampled_from(["qq.com", "163.com", "gmail.com", "kefu.example.cn"]))
    at = draw(st.sampled_from(["@", "＠", " (at) ", "(at)"]))
    return local + at + domain


@st.composite
def id_number(draw) -> str:
    body = draw(st.sampled_from("123456789")) + "".join(draw(digits) for _ in range(16))
    return body + draw(st.sampled_from("0123456789Xx"))


@st.composite
def bank_card(draw) -> str:
    number = "62" + "".join(draw(digits) for _ in range(draw(st.integers(14, 17))))
    joiner = draw(st.sampled_from(["", " ", "-"]))
    return joiner.join(number[i : i + 4] for i in range(0, len(number), 4))


NUMBERS = st.one_of(phone(), qq(), id_number(), bank_card())
IDS = st.one_of(wechat(), email())


def survivors(original: str, masked: str, *, digit_run: int = 5, whole_handle: bool = False) -> list[str]:
    """What of a planted contact can still be read in `masked`: `digit_run` of its digits in a
    row (separators aside), or 4 letters of its handle in a row (the whole handle on pages,
    where short runs of letters occur anyway)."""
    digits_left = re.sub(r"\D", "", masked)
    planted = re.sub(r"\D", "", original)
    found = [planted[i : i + digit_run] for i in range(len(planted) - digit_run + 1)]
    found = [run for run in found if run in digits_left]
    handle = re.sub(r"^(?:微信号?|[Vv]信|薇信|威信|VX|vx|wx|weixin|加V|wechat)[\s:：是号]*", "", original)
    handle = re.split(r"@|＠|\(at\)", handle)[0].strip()
    if whole_handle:
        return found + ([handle] if len(handle) >= 4 and handle in masked else [])
    windows = [handle[i : i + 4] for i in range(len(handle) - 3)]
    return found + [w for w in windows if re.fullmatch(r"[A-Za-z0-9_\-.]{4}", w) and w in masked]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(before=context, contact=st.one_of(NUMBERS, IDS), after=context)
def test_no_contact_survives_masking(before, contact, after):
    masked = mask_personal(f"{before}{contact}{after}")
    assert not survivors(contact, masked), (contact, masked)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(before=context, contact=st.one_of(NUMBERS, IDS), after=context)
def test_the_quick_tests_never_skip_a_substitution_that_would_mask(before, contact, after):
    """Each substitution's cheap test only spares texts its pattern would leave as they are."""
    text = f"{before}{contact}{after}"
    for pattern, replace, needs in SUBSTITUTIONS:
        if needs is not None and not needs.search(text):
            assert pattern.sub(replace, text) == text, (pattern.pattern, text)
        text = pattern.sub(replace, text)


def test_every_contact_word_starts_with_a_character_the_quick_test_looks_for():
    (contact_test,) = [needs for pattern, _, needs in SUBSTITUTIONS if pattern is CONTACT]
    assert contact_test is not None
    for word in CONTACT_WORDS.split("|"):
        assert contact_test.match(word.removeprefix("[")), word


def test_masking_keeps_what_is_not_personal():
    for text in ("一般10分钟到账", "话费充值失败原路退回，2小时内到账", "14:05 好的", "我们支持支付宝和微信支付"):
        assert mask_personal(text) == text
    assert mask_personal("加我QQ 12345678 或打 138-1234-5678") == "加我QQ ******** 或打 ***-****-****"
    assert mask_personal("工号8899 王丽为您服务") == "工号**** **为您服务"
    assert mask_personal("客服小王为您服务") == "客服**为您服务"
    assert mask_personal("您好，我是人工客服阿杰。") == "您好，我是人工客服**。"
    assert mask_personal('["the widget said 在线 QQ 12345"]') == '["the widget said 在线 QQ *****"]'
    assert public_sender("智能客服小美") == public_sender("王丽") == "客服"


def test_names_quoted_in_reasons_are_masked():
    """Reasons quote page text and are stored as JSON: a name just before a quote is a name."""
    assert mask_personal("revised after probe p1: '我是客服小王' is now a template") == (
        "revised after probe p1: '我是客服**' is now a template"
    )
    assert mask_personal('["我是客服小王"]') == '["我是客服**"]'
    assert mask_personal("「我叫小红」") == "「我叫**」"
    assert mask_personal("（工号A12 王丽）") == "（工号*** **）"


def planted_store(path: Path, contacts: list[str]) -> None:
    """One finished probe whose replies, sender, status text and reasons carry the contacts."""
    text = "，".join(contacts)
    with open_store(path) as store:
        probe = ProbeRecord("p1", "leaky", "2026-11-23T00:00:00.000Z", question="你好", state=State.FINISHED)
        probe.claimed_status, probe.claimed_status_text = Claimed.ONLINE, f"在线 {contacts[0]}"
        store.start_probe(probe)
        messages = [
            MessageRecord(
                "p1", 1, Side.PLATFORM, 5000.0, f"请加 {text}", sender=f"客服{contacts[-1]}", kind=Kind.HUMAN
            ),
            MessageRecord("p1", 2, Side.PLATFORM, None, text, reasons=[f"on screen: {text}"]),
        ]
        store.save_messages(messages)
        probe.outcome, probe.reasons = Outcome.HUMAN, [f"the widget said 在线 {contacts[0]}", f"e.g. '{text}'"]
        probe.finished_at = "2026-11-23T00:01:00.000Z"
        store.save_verdict(probe, messages)


def distinctive(contact: str) -> bool:
    """Digits varied enough not to be found by chance among a page's own (times, ids)."""
    return len(set(re.sub(r"\D", "", contact))) >= 4 or not re.search(r"\d", contact)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(contacts=st.lists(st.one_of(NUMBERS, IDS).filter(distinctive), min_size=3, max_size=6))
def test_no_contact_survives_in_public_pages_json_csv_or_exports(contacts):
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "leaky.db"
        planted_store(db, contacts)
        (Path(folder) / "public").mkdir()
        public = build_datasette(db, public=True, snapshot_dir=Path(folder) / "public")
        paths = [
            "/leaky/messages",
            "/leaky/messages.json",
            "/leaky/messages.csv",
            "/leaky/probes",
            "/leaky/probes.json",
        ]
        paths += ["/leaky/probes.csv", "/leaky/incidents", "/leaky/platform_history.json?platform=leaky"]
        published = [asyncio.run(public.client.get(path)).text for path in paths]
        with open_store(db, existing=True) as store:
            exports = []
            for kind, lang in (("probes", "en"), ("messages", "en"), ("probes", "zh_CN"), ("messages", "zh_CN")):
                out = io.StringIO()
                export_csv(store, kind, out, lang=lang)
                exports.append(out.getvalue())
        assert any("leaky" in page for page in published)
        for contact in contacts:
            for page in published + exports:
                left = survivors(contact, page, digit_run=7, whole_handle=True)
                assert not left, (contact, left)
        assert all(row["sender"] in ("", "客服") for row in csv.DictReader(io.StringIO(exports[1].lstrip("\ufeff"))))
