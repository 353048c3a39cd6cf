"""The simulated platforms: what each one does, as data.

Delays are simulated seconds; the server multiplies them by its time scale (and, with a seed,
varies them by up to ±20%). People never type the same sentence twice: a human line is
composed afresh for every session from interchangeable parts. The `kind` of each line and
the `expected` verdict are ground truth: the server keeps them and serves them at /truth,
never in a page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    text: str | tuple[tuple[str, ...], ...]  # fixed text, or parts to pick one of each from
    # greeting / bot / auto / human / stock_answer (a person's quick reply) / system (a notice
    # the widget draws outside its bubbles)
    kind: str
    delay_s: float  # after the trigger: chat opened, or the visitor's message arrived
    sender: str = ""
    typing_s: float = 0.0  # typing indicator shown this long before the message
    marked: bool = False  # the widget marks it with a bot class

    def compose(self, rng: random.Random) -> str:
        if isinstance(self.text, str):
            return self.text
        text = "".join(rng.choice(part) for part in self.text)
        fills = {
            "{n}": lambda: str(rng.randint(2, 30)),
            "{qq}": lambda: str(rng.randint(10**7, 10**10 - 1)),
            "{phone}": lambda: "1" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=9)),
            "{wx}": lambda: "kf_" + "".join(rng.choices("abcdefghjkmnpqrstuvwxyz", k=6)),
        }
        for placeholder, fill in fills.items():
            text = text.replace(placeholder, fill())
        return text


@dataclass(frozen=True)
class MailReply:
    """An e-mail that answers a message left on the platform's form."""

    kind: str  # auto: a receipt (sent as automatic, from a no-reply address); human: a person
    delay_s: float  # after the form was submitted: the mail's Date (simulated time: sent at once)
    text: str | tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class LeaveForm:
    """An offline platform's 留言 / 工单 form, and whether and when it answers by e-mail."""

    fields: tuple[tuple[str, str, bool], ...]  # (label, input type / textarea / select, required)
    ticket_page: bool = False  # a 工单 page of its own, posted as a page; else the offline chat's own form
    promise: str = ""  # what the form says about answering
    replies: tuple[MailReply, ...] = ()
    # Stated, not derived from the watchdog's rules: why a message must not be left here (the
    # form requires a phone number, asks for an order number), or None.
    refused: str | None = None

    def expected(self) -> dict:
        """The follow-up the watchdog should record: its state and the first human delay."""
        if self.refused:
            return {"state": "not_left", "problem": self.refused, "human_delay_s": None}
        human = [r.delay_s for r in self.replies if r.kind == "human"]
        state = "answered" if human else "auto_only" if self.replies else "unanswered"
        return {"state": state, "problem": None, "human_delay_s": min(human) if human else None}


@dataclass(frozen=True)
class Scenario:
    slug: str
    name: str
    behaviour: str
    # div: plain elements; iframe: chat in an iframe; shadow: web component with a shadow root;
    # vendor: a third-party embed built after load, icon-only status; popup: chat in a new window;
    # fab: another vendor's floating icon named only by aria-label; late-iframe: a launcher built
    # late that adds the chat's iframe (a fresh id each time); decoy: a 客服 help-centre link
    # beside the real chat; no-chat: a shop with a search box, a help page and a hotline only;
    # quickkf: another vendor's Chinese widget (quickkf.js: a div entry bound by script, the
    # window hidden in the page, status only in its header, notices among the bubbles, our
    # bubble labelled, timed, read-marked and replaced by the server's copy)
    shape: str = "div"
    send: str = "button"  # button: click the send button; enter: press Enter
    status: str = "online"
    greeting: tuple[Line, ...] = ()
    on_question: tuple[Line, ...] = ()
    on_handoff: tuple[Line, ...] = ()
    on_other: tuple[Line, ...] = ()
    rerender: bool = False  # the widget rebuilds its whole message list on every update
    broken: bool = False  # the page loads but the chat never opens
    http_status: int = 200
    # Recognisable only from earlier probes in the database (templates): a fresh database
    # cannot know, so single-run tests leave such platforms out.
    learned: bool = False
    expected: dict = field(default_factory=dict)
    # What a correct platform file would see, where `expected` is for a file with a user's
    # mistake in it (empty: the same as expected).
    truth: dict = field(default_factory=dict)
    # The platform file's selectors where they differ from the shape's usual ones: a user's own
    # (crossing a shadow root), or a user's mistake.
    selectors: tuple[tuple[str, str], ...] = ()
    # How the widget marks our question (its receipts) and when, after it arrived: "read" (our
    # bubble says 已读 in quickkf, a class turns read in the kefu widget), "line" (a line of its
    # own: 对方已读), "delivered" (a tick that turns 已送达 and never read). None: no receipt.
    receipt: tuple[str, float] | None = None
    max_wait: str = ""  # the platform file's probe.max_wait, where not the sandbox's usual
    leave: LeaveForm | None = None  # offline: the form it offers, and how it answers by e-mail

    def answer(self, text: str, earlier: int, handed_off: bool) -> tuple[tuple[Line, ...], bool]:
        """The lines that answer a visitor's message after `earlier` ones, and whether a human
        has now been asked for: the question first, then the first 转人工, then anything."""
        if earlier == 0:
            return self.on_question, handed_off
        if "人工" in text and not handed_off:
            return self.on_handoff, True
        return self.on_other, handed_off


def _expect(
    outcome: str,
    *,
    handoff: bool = False,
    fake_online: bool = False,
    bot_loop: bool = False,
    template_only: bool = False,
    stock_answer: bool = False,
    queue_stuck: bool = False,
    handoff_broken: bool = False,
    read_no_reply: bool = False,
) -> dict:
    return {
        "outcome": outcome,
        "handoff": handoff,
        "fake_online": fake_online,
        "bot_loop": bot_loop,
        "template_only": template_only,
        "stock_answer": stock_answer,
        "queue_stuck": queue_stuck,
        "handoff_broken": handoff_broken,
        "read_no_reply": read_no_reply,
    }


# A person's answer to the standard questions, worded afresh each time (tens of thousands of
# combinations: people do not type the same long sentence twice).
ANSWER = (
    ("您好，", "你好，", "亲，", "在的，", "您好呀，", "嗯嗯，", "哈喽，", "收到，"),
    (
        "话费充值一般{n}分钟内到账",
        "正常情况下{n}分钟左右就能到账",
        "一般几分钟就到了，最慢不超过{n}小时",
        "我们这边是自动充值的，通常{n}分钟到账",
        "点卡卡密是付款后自动发的，{n}秒左右能收到",
        "这个要看运营商，快的话{n}分钟",
        "大部分订单{n}分钟内处理完",
        "下单后系统马上处理，{n}分钟左右到",
    ),
    (
        "，高峰期可能会慢一点",
        "，晚上人多的时候会稍微延迟",
        "，节假日可能要久一些",
        "，要是超时了可以联系我查一下",
        "，遇到运营商维护会慢一些",
        "，月初月底充值的人多会慢点",
        "，移动联通电信都一样",
        "，大额的会稍微久一点",
    ),
    (
        "。充值失败会原路退回，1到3个工作日到账。",
        "。如果失败了系统会自动退款到您的余额。",
        "。没到账的话把订单号发我，我帮您处理退款。",
        "。失败的订单我们会全额退，您放心。",
        "。退款一般当天就能处理好。",
        "。不成功的话钱会退回您的付款账户。",
    ),
    ("", "还有别的问题吗？", "有问题随时找我。", "祝您生活愉快~", "还需要帮您看看别的吗？", "您可以放心下单。"),
)
# A person who gives out personal contacts and pastes markup: for masking and escaping.
LEAKY_ANSWER = (
    ANSWER[0],
    ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>"),
    ANSWER[1],
    ("，急的话加我QQ {qq}", "，方便的话打我电话 {phone}", "，也可以加微信 {wx} 细聊"),
    ANSWER[3],
)
SHORT_ANSWER = (
    ("在的，", "在呢，", "您好，", "亲，"),
    ("一般{n}分钟就到账了", "{n}分钟左右到账", "很快的，{n}分钟内", "自动发货，秒到"),
)
DETAIL = ANSWER[2:4]


def human(delay_s: float, sender: str, typing_s: float = 0.0, text=ANSWER) -> Line:
    return Line(text, "human", delay_s, sender, typing_s)


RECEIPT = MailReply("auto", 30, "【自动回复】您好，我们已收到您的留言，客服上线后会尽快处理，请勿直接回复本邮件。")
MAIL_ANSWER = (
    ("您好，感谢您的留言。", "您好！", "亲，您好，"),
    ("关于您咨询的问题，",),
    *ANSWER[1:4],
    ("如有其他问题欢迎继续来信。", "祝您购物愉快！", ""),
)
HOUR = 3600.0


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "prompt-human",
        "闪电卡盟",
        "a person answers the question in about 25 s",
        greeting=(Line("您好，欢迎光临闪电卡盟！请问有什么可以帮您？", "greeting", 0.5, "闪电卡盟"),),
        on_question=(human(25, "客服-小林", typing_s=6),),
        expected=_expect("human"),
    ),
    Scenario(
        "slow-human",
        "慢悠悠卡盟",
        "nobody for 60 s (so we ask for a human), a person after 3.5 min",
        shape="iframe",
        send="enter",
        on_question=(human(210, "客服-阿强"),),
        expected=_expect("human", handoff=True),
    ),
    Scenario(
        "stock-human",
        "快捷卡盟",
        "a person reads the question and answers it with the same quick reply (快捷回复, a paragraph that answers "
        "every standard question) every time, in about 20 s",
        learned=True,
        greeting=(Line("您好，欢迎光临快捷卡盟，请问有什么可以帮您？", "greeting", 0.5, "快捷卡盟"),),
        on_question=(
            Line(
                # One quick reply for every question of the set, as a shop's FAQ paragraph is.
                "亲，话费充值一般10分钟内到账，卡密付款后自动发货；支持支付宝和微信付款；"
                "充值卡显示已使用的把卡号发我，我们帮您处理；失败的订单会原路退回，请放心下单。",
                "stock_answer",
                20,
                "客服-小雨",
            ),
        ),
        # Its first probes, before three others sent the same words, take the quick reply for
        # a person's own words: answered either way, never fake online.
        expected=_expect("human", stock_answer=True),
    ),
    Scenario(
        "bot-then-human",
        "机智卡盟",
        "a named bot answers at once; after 转人工 a person in 90 s",
        send="enter",
        on_question=(
            Line("亲，您好！我是智能客服小美，您可以输入关键词：充值、退款、发货。", "bot", 1, "智能客服小美"),
        ),
        on_handoff=(
            Line("正在为您转接人工客服，请稍候…", "auto", 1),
            human(90, "客服-阿杰", typing_s=8),
        ),
        expected=_expect("human", handoff=True),
    ),
    Scenario(
        "bot-loop",
        "转圈卡盟",
        "a marked bot answers everything, 转人工 included, and never a person",
        shape="iframe",
        rerender=True,
        on_question=(Line("您好，请问有什么可以帮您？您可以描述具体问题哦~", "bot", 0.8, marked=True),),
        on_handoff=(Line("抱歉，小助手没有理解您的意思，请换个说法试试~", "bot", 0.8, marked=True),),
        on_other=(Line("抱歉，小助手没有理解您的意思，请换个说法试试~", "bot", 0.8, marked=True),),
        expected=_expect("auto_only", handoff=True, fake_online=True, bot_loop=True),
    ),
    Scenario(
        "fake-online",
        "假在线卡盟",
        "says 在线 and greets, then nobody ever answers",
        greeting=(Line("欢迎光临，客服在线为您服务！", "greeting", 0.3),),
        expected=_expect("no_reply", handoff=True, fake_online=True),
    ),
    Scenario(
        "template-only",
        "模板卡盟",
        "stalling templates only, also after 转人工",
        shape="shadow",
        on_question=(Line("已收到您的问题，正在加急处理，请耐心等待。", "auto", 2),),
        on_handoff=(Line((("当前咨询人数较多，正在排队中，您前面还有{n}位，请稍候。",),), "auto", 2),),
        expected=_expect("auto_only", handoff=True, fake_online=True, bot_loop=True, template_only=True),
    ),
    Scenario(
        "honest-offline",
        "诚实卡盟",
        "says 离线 and offers a leave-a-message form",
        status="offline",
        expected=_expect("offline_declared"),
    ),
    Scenario(
        "broken-widget",
        "故障卡盟",
        "the page loads but its chat button is broken",
        broken=True,
        expected=_expect("chat_missing"),
    ),
    Scenario(
        "down",
        "宕机卡盟",
        "the site answers HTTP 503",
        http_status=503,
        expected=_expect("unreachable"),
    ),
    Scenario(
        "fast-human",
        "疾风卡盟",
        "a person answers briefly in 3 s, no typing indicator",
        on_question=(human(3, "客服-小周", text=SHORT_ANSWER),),
        expected=_expect("human"),
    ),
    Scenario(
        "humanlike-bot",
        "拟人卡盟",
        "a bot with a typing delay, no DOM marker and a human name, saying the same thing to everything",
        shape="iframe",
        send="enter",
        learned=True,
        on_question=(
            Line(
                (("您好，", "亲，"), ("请问您遇到的是什么问题呢？您可以详细描述一下，我来帮您查询。",)),
                "bot",
                4,
                "客服小雅",
                typing_s=2,
            ),
        ),
        on_handoff=(
            Line(
                (("您好，", "亲，"), ("请问您遇到的是什么问题呢？您可以详细描述一下，我来帮您查询。",)),
                "bot",
                4,
                "客服小雅",
                typing_s=2,
            ),
        ),
        expected=_expect("auto_only", handoff=True, fake_online=True, bot_loop=True),
    ),
    Scenario(
        "sender-bot",
        "小娜卡盟",
        "a bot that names itself only in the sender name, typing like a person",
        on_question=(
            Line("亲，话费充值通常1到10分钟到账，失败会自动退款到原账户哦~", "bot", 5, "智能小助手·小娜", typing_s=3),
        ),
        on_handoff=(Line("亲，人工客服暂时不在哦，小娜可以继续为您解答~", "bot", 5, "智能小助手·小娜", typing_s=3),),
        expected=_expect("auto_only", handoff=True, fake_online=True, bot_loop=True),
    ),
    Scenario(
        "late-greeting",
        "星辰卡盟",
        "the widget's welcome arrives just after our question; a person in 30 s",
        send="enter",
        on_question=(Line("您好，欢迎光临星辰卡盟！", "greeting", 0.4), human(30, "客服-星星", typing_s=5)),
        expected=_expect("human"),
    ),
    Scenario(
        "canned-then-human",
        "客气卡盟",
        "a person first sends a canned greeting, then a real answer",
        shape="iframe",
        on_question=(
            Line("您好，我是在线客服小王，很高兴为您服务！", "auto", 5, "客服-小王"),
            human(35, "客服-小王", typing_s=6),
        ),
        expected=_expect("human", handoff=True),
    ),
    Scenario(
        "burst",
        "连发卡盟",
        "a person answers in a burst of three messages; the widget re-renders its list",
        rerender=True,
        on_question=(
            human(20, "客服-阿May", text=(("在的", "在呢", "您好"),)),
            human(20.6, "客服-阿May", typing_s=0, text=ANSWER[:2]),
            human(21.1, "客服-阿May", text=(("补充一下",), *DETAIL)),
        ),
        expected=_expect("human"),
    ),
    Scenario(
        "leaky",
        "漏风卡盟",
        "a person answers with a QQ number, phone number or WeChat id, and pasted markup",
        on_question=(human(20, "客服-小红", typing_s=4, text=LEAKY_ANSWER),),
        expected=_expect("human"),
    ),
    Scenario(
        "vendor-online",
        "云端卡盟",
        "a vendor's embed built 0.7 s after load, status only an icon; a person answers in 20 s",
        shape="vendor",
        greeting=(Line("您好，欢迎咨询云端卡盟！", "greeting", 1, "云端卡盟"),),
        on_question=(human(20, "客服-小周"),),
        expected=_expect("human"),
    ),
    Scenario(
        "vendor-offline",
        "夜猫卡盟",
        "the same vendor's embed showing offline: its icon says so and it offers only a leave-a-message form",
        shape="vendor",
        status="offline",
        expected=_expect("offline_declared"),
    ),
    Scenario(
        "popup-human",
        "弹窗卡盟",
        "the 在线客服 link opens the chat in a new window; a person answers in 20 s",
        shape="popup",
        on_question=(human(20, "客服-阿珍", typing_s=5),),
        expected=_expect("human"),
    ),
    Scenario(
        "shadow-human",
        "影子卡盟",
        "a web component whose messages the platform file reaches with selectors crossing its shadow root",
        shape="shadow",
        send="enter",
        on_question=(human(15, "客服-小影", typing_s=4),),
        selectors=(
            ("message", "kefu-widget .msgs .msg"),
            ("visitor", "kefu-widget .msg.me"),
            ("sender", "kefu-widget .name"),
            ("typing", "kefu-widget .typing"),
        ),
        expected=_expect("human"),
    ),
    Scenario(
        "fab-human",
        "蓝鲸卡盟",
        "a floating icon named only by its aria-label opens the chat; a person answers in 12 s",
        shape="fab",
        on_question=(human(12, "客服-小蓝", typing_s=4),),
        expected=_expect("human"),
    ),
    Scenario(
        "late-iframe",
        "迟到卡盟",
        "a launcher built 1.5 s after load adds the chat's iframe; says 客服在线, greets, then nobody answers",
        shape="late-iframe",
        greeting=(Line("您好，欢迎咨询迟到卡盟，请问有什么可以帮您？", "greeting", 0.5),),
        expected=_expect("no_reply", handoff=True, fake_online=True),
    ),
    Scenario(
        "decoy-link",
        "迷路卡盟",
        "a 客服中心 link leads to a help article; the real chat is behind a floating image; a person in 15 s",
        shape="decoy",
        on_question=(human(15, "客服-阿路", typing_s=5),),
        expected=_expect("human"),
    ),
    Scenario(
        "no-chat",
        "无聊卡盟",
        "no chat at all: a search box, a 联系我们 link to a help page and a hotline",
        shape="no-chat",
        expected=_expect("chat_missing"),
    ),
    Scenario(
        "kefu-human",
        "快服卡盟",
        "another vendor's Chinese widget: an agent-assigned notice among the bubbles, a queue that moves "
        "(2 ahead, then 1), a person in 20 s",
        shape="quickkf",
        on_question=(
            Line("客服小美 为您服务", "system", 2),
            Line("您前面还有2位会员在等待", "system", 4),
            Line("您前面还有1位会员在等待", "system", 10),
            human(20, "客服小美"),
        ),
        receipt=("read", 3),
        expected=_expect("human"),
    ),
    Scenario(
        "kefu-queue",
        "排队卡盟",
        "the same widget's header says 与 客服小美 交流中; an agent assigned, a place in a queue that grows "
        "after 转人工 (a transfer announced), our question marked 已读, then nobody answers",
        shape="quickkf",
        on_question=(Line("客服小美 为您服务", "system", 1), Line("您前面还有3位会员在等待", "system", 3)),
        on_handoff=(Line("正在转接中...", "system", 1), Line("您前面还有5位会员在等待", "system", 4)),
        receipt=("read", 2),
        expected=_expect(
            "no_reply", handoff=True, fake_online=True, queue_stuck=True, handoff_broken=True, read_no_reply=True
        ),
    ),
    Scenario(
        "queue-still",
        "静候卡盟",
        "the same widget: an agent assigned, a place in a queue that stays 3 for the whole 7-minute wait, our "
        "question never marked read, nobody answers",
        shape="quickkf",
        on_question=(Line("客服小王 为您服务", "system", 1), Line("您前面还有3位会员在等待", "system", 2)),
        max_wait="7m",
        expected=_expect("no_reply", handoff=True, fake_online=True, queue_stuck=True, handoff_broken=True),
    ),
    Scenario(
        "kefu-closed",
        "打烊卡盟",
        "the same widget off duty: its header says 暂时没有客服 and its input is read-only",
        shape="quickkf",
        status="offline",
        expected=_expect("offline_declared"),
    ),
    Scenario(
        "read-icon",
        "蓝勾卡盟",
        "says 在线; our question's status icon turns to a read class after 8 s (no words, no title), then "
        "nobody answers",
        greeting=(Line("您好，欢迎光临蓝勾卡盟！", "greeting", 0.5, "蓝勾卡盟"),),
        receipt=("read", 8),
        expected=_expect("no_reply", handoff=True, fake_online=True, read_no_reply=True),
    ),
    Scenario(
        "read-line",
        "回执卡盟",
        "says 在线; a line of its own says 对方已读 5 s after our question, a person answers in 30 s",
        shape="iframe",
        on_question=(human(30, "客服-小回", typing_s=5),),
        receipt=("line", 5),
        expected=_expect("human"),
    ),
    Scenario(
        "delivered-tick",
        "送达卡盟",
        "says 在线; our question's tick turns 已送达 after 2 s and never read, nobody answers",
        greeting=(Line("您好，欢迎光临送达卡盟，请问有什么可以帮您？", "greeting", 0.5, "送达卡盟"),),
        receipt=("delivered", 2),
        expected=_expect("no_reply", handoff=True, fake_online=True),
    ),
    Scenario(
        "misconfigured",
        "错配卡盟",
        "says 在线 and nobody answers, but its platform file's message selector is wrong (a user's mistake)",
        greeting=(Line("欢迎光临，客服在线为您服务！", "greeting", 0.3),),
        selectors=(("message", ".message"), ("visitor", ".message.me")),
        expected=_expect("blind", handoff=True),
        truth=_expect("no_reply", handoff=True, fake_online=True),
    ),
)


# Offline platforms with a 留言 / 工单 form that answer by e-mail (issue 28). Kept apart from the
# chat platforms above: as chats they are only offline_declared, and what they are for needs a
# mailbox (the tests' Dovecot). The sandbox serves both.
FORM_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "leave-answered",
        "留言卡盟",
        "offline; its chat offers a form (name, e-mail, an optional phone, the message) promising an answer "
        "within 24 hours: a receipt by e-mail at once, a person 3 hours later",
        status="offline",
        expected=_expect("offline_declared"),
        leave=LeaveForm(
            (
                ("称呼", "text", False),
                ("邮箱", "email", True),
                ("手机号码", "tel", False),
                ("留言内容", "textarea", True),
            ),
            promise="客服不在线，请留言，我们会在24小时内回复您。",
            replies=(RECEIPT, MailReply("human", 3 * HOUR, MAIL_ANSWER)),
        ),
    ),
    Scenario(
        "leave-receipt",
        "自动卡盟",
        "the vendor's embed showing offline, its form of placeholders only: an automatic receipt by e-mail, "
        "then nothing",
        shape="vendor",
        status="offline",
        expected=_expect("offline_declared"),
        leave=LeaveForm(
            (("昵称", "text", False), ("联系邮箱（必填）", "text", True), ("您的问题", "textarea", True)),
            replies=(MailReply("auto", 60, "您的留言已收到，工单号已生成，我们会尽快处理。这是系统邮件，请勿回复。"),),
        ),
    ),
    Scenario(
        "leave-ticket",
        "工单卡盟",
        "offline; its chat links to a 工单 page of its own (a topic to choose, posted as a page) promising "
        "48 hours: a person answers 30 hours later",
        status="offline",
        expected=_expect("offline_declared"),
        leave=LeaveForm(
            (
                ("联系邮箱", "email", True),
                ("问题类型", "select", True),
                ("标题", "text", False),
                ("问题描述", "textarea", True),
            ),  # fmt: skip
            ticket_page=True,
            promise="提交工单后，我们将在48小时内处理并通过邮件答复。",
            replies=(MailReply("human", 30 * HOUR, MAIL_ANSWER),),
        ),
    ),
    Scenario(
        "leave-silent",
        "石沉卡盟",
        "offline; its form promises an answer within one working day, and nobody ever writes",
        shape="iframe",
        status="offline",
        expected=_expect("offline_declared"),
        leave=LeaveForm(
            (("姓名", "text", True), ("电子邮箱", "email", True), ("咨询内容", "textarea", True)),
            promise="留言后1个工作日内回复。",
        ),
    ),
    Scenario(
        "leave-phone",
        "手机卡盟",
        "offline; its form requires a mobile number",
        status="offline",
        expected=_expect("offline_declared"),
        leave=LeaveForm(
            (("姓名", "text", False), ("手机号码", "tel", True), ("邮箱", "email", False), ("留言", "textarea", True)),
            replies=(MailReply("human", HOUR, MAIL_ANSWER),),
            refused="needs_phone",
        ),
    ),
    Scenario(
        "leave-order",
        "订单卡盟",
        "offline; its form asks for an order number (optional)",
        status="offline",
        expected=_expect("offline_declared"),
        leave=LeaveForm(
            (("邮箱", "email", True), ("订单编号", "text", False), ("问题描述", "textarea", True)),
            replies=(MailReply("human", HOUR, MAIL_ANSWER),),
            refused="asks_order",
        ),
    ),
)
SERVED = SCENARIOS + FORM_SCENARIOS


def scenario_by_slug() -> dict[str, Scenario]:
    return {s.slug: s for s in SERVED}
