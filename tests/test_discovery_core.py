"""What discovery decides from what it read on a page (no browser): which element is the
chat's entry, which text box is the chat's, which element is its status, the file's name,
and a written file that `watchdog check` accepts."""

from __future__ import annotations

from watchdog.config import Chat, parse_platform
from watchdog.probe.conversation import claimed_from_text
from watchdog.probe.discovery import (
    Discovery,
    EntrySeen,
    Finding,
    InputSeen,
    StatusSeen,
    choose_input,
    choose_status,
    name_from_title,
    platform_toml,
    ranked_entries,
    slug_for,
)
from watchdog.records import Claimed

DEFAULT_CHAT = Chat(input="")


def entry(selector: str, **seen) -> EntrySeen:
    values = dict(
        how="class",
        tag="a",
        text="",
        aria="",
        title="",
        alt="",
        value="",
        names="",
        href="",
        target="",
        floating=False,
        in_nav=False,
        box=(100, 100, 40, 20),
        viewport=(1280, 800),
    )
    return EntrySeen(selector=selector, **{**values, **seen})


def box(selector: str, **seen) -> InputSeen:
    values = dict(
        how="class",
        tag="textarea",
        editable=False,
        search=False,
        chat=True,
        seen=False,
        leave=False,
        readonly=False,
        send=("button.send", "sure", "a button saying 发送"),
        list=None,
        box=(0, 0, 200, 40),
    )
    return InputSeen(selector=selector, **{**values, **seen})


def status(selector: str, text: str, at: tuple[float, float], token: str = "") -> StatusSeen:
    return StatusSeen(selector, text, text, token, "i.dot", (at[0], at[1], 20, 20))


def test_a_floating_image_beats_a_help_link_that_says_kefu():
    help_link = entry("nav a.help", text="客服中心", href="/help", in_nav=True)
    launcher = entry("a.float-kf", alt="在线客服", href="javascript:;", floating=True, box=(1200, 300, 48, 48))
    ranked = ranked_entries([help_link, launcher])
    assert [e.selector for e, _, _ in ranked] == ["a.float-kf"]  # the article link is not even tried
    assert "image text says '在线客服'" in ranked[0][2] and "floating" in ranked[0][2]


def test_words_count_as_words():
    assert ranked_entries([entry("a.wx", text="WeChat 公众号")]) == []  # "chat" inside WeChat
    assert ranked_entries([entry("a.article", text="如何联系客服：请在工作时间拨打我们的热线电话进行咨询")]) == []
    assert ranked_entries([entry("#vc-launcher", names="vc-launcher ")])  # a vendor's icon-only launcher


def test_a_search_box_is_never_the_chat():
    search = box("input.q", tag="input", search=True, send=("button.go", "sure", "搜索"))
    assert choose_input([search], after_click=False) is None
    assert choose_input([search], after_click=True) is None


def test_without_a_click_a_chat_box_needs_chat_words_around_it():
    lone = box("textarea.note", chat=False)
    assert choose_input([lone], after_click=False) is None
    assert choose_input([lone, box("textarea.chat-input")], after_click=False).selector == "textarea.chat-input"


def test_after_a_click_only_a_new_box_counts():
    old = box("textarea.feedback", seen=True)
    new = box("div.editor", tag="div", editable=True, send=None)
    assert choose_input([old, new], after_click=True).selector == "div.editor"


def test_status_is_a_status_word_by_the_entry():
    near = (100, 100, 40, 20)
    far_topup = status("span.promo", "在线充值", (900, 700))
    service_name = status("a.kf", "在线客服", (110, 100))
    assert choose_status([far_topup, service_name], near) == []
    found = choose_status([far_topup, service_name, status("span.tip", "客服在线", (150, 100))], near)
    assert found == [Finding("status", "span.tip", "likely", "a text by the chat's entry saying '客服在线' (online)")]


def test_an_icon_status_gives_both_classes():
    found = choose_status([status("i.dot", "", (120, 100), token="dot--offline")], (100, 100, 40, 20))
    assert [(f.field, f.value, f.sure) for f in found] == [
        ("status_offline", "i.dot.dot--offline", "likely"),
        ("status_online", "i.dot.dot--online", "guess"),
    ]


def test_a_service_name_claims_nothing():
    assert claimed_from_text("在线客服", DEFAULT_CHAT) == Claimed.UNKNOWN
    assert claimed_from_text("在线客服 在线", DEFAULT_CHAT) == Claimed.ONLINE
    assert claimed_from_text("在线客服（离线）", DEFAULT_CHAT) == Claimed.OFFLINE
    assert claimed_from_text("在线时间 9:00-21:00", DEFAULT_CHAT) == Claimed.UNKNOWN  # hours, not a claim


def test_names_from_the_address_and_title():
    assert slug_for("https://www.shandian-ka.com/index.html") == "shandian-ka"
    assert slug_for("http://shop.kami.cn/") == "shop-kami"
    assert slug_for("http://127.0.0.1:8700/p/fab-human/") == "fab-human"
    assert slug_for("http://127.0.0.1/") == "platform"
    assert name_from_title("闪电卡盟 - 游戏点卡自动发货", "https://x.cn") == "闪电卡盟"
    assert name_from_title("", "https://x.cn/") == "x.cn"


def test_the_written_file_is_valid_and_says_how(tmp_path):
    found = Discovery("https://ka.example.cn/", name='卡"盟')
    found.findings = [
        Finding("open", "button[aria-label='在线客服']", "sure", "the chat's entry: its aria-label says '在线客服'"),
        Finding("frame", ("iframe.outer", "iframe[title='chat']"), "likely", "the iframe the chat box is in"),
        Finding("input", "textarea", "likely", "a text area shown after the click"),
    ]
    found.list_hint = "div.msgs"
    path = tmp_path / "ka.toml"
    path.write_text(platform_toml(found, "ka"), encoding="utf-8")
    problems: list = []
    platform = parse_platform(path, problems)
    assert problems == [] and platform is not None
    assert platform.name == '卡"盟' and platform.chat.frame == ("iframe.outer", "iframe[title='chat']")
    assert platform.chat.message is None  # learned by the probe
    text = path.read_text(encoding="utf-8")
    assert "# the chat's entry: its aria-label says '在线客服' (sure)" in text
    assert "div.msgs" in text and "watchdog check --live ka" in text
