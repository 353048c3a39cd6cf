"""The simulated platforms: what each one does, as data.

Delays are simulated seconds; the server multiplies them by its time scale. The `kind` of
each line and the `expected` verdict are ground truth: the server keeps them and serves them
at /truth, never in a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    text: str
    kind: str  # greeting / bot / auto / human
    delay_s: float  # after the trigger: chat opened, or the visitor's message arrived
    sender: str = ""
    typing_s: float = 0.0  # typing indicator shown this long before the message
    marked: bool = False  # the widget marks it with a bot class


@dataclass(frozen=True)
class Scenario:
    slug: str
    name: str
    behaviour: str
    shape: str = "div"  # div: plain elements; iframe: chat in an iframe; shadow: web component
    send: str = "button"  # button: click the send button; enter: press Enter
    status: str = "online"
    greeting: tuple[Line, ...] = ()
    on_question: tuple[Line, ...] = ()
    on_handoff: tuple[Line, ...] = ()
    on_other: tuple[Line, ...] = ()
    rerender: bool = False  # the widget rebuilds its whole message list on every update
    broken: bool = False  # the page loads but the chat never opens
    http_status: int = 200
    expected: dict = field(default_factory=dict)


def _expect(outcome: str, *, handoff: bool = False, fake_online: bool = False,
            bot_loop: bool = False, template_only: bool = False) -> dict:
    return {"outcome": outcome, "handoff": handoff, "fake_online": fake_online,
            "bot_loop": bot_loop, "template_only": template_only}


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "prompt-human", "闪电卡盟", "a person answers the question in about 25 s",
        greeting=(Line("您好，欢迎光临闪电卡盟！请问有什么可以帮您？", "greeting", 0.5, "闪电卡盟"),),
        on_question=(Line("您好，话费充值一般10分钟内到账，高峰期最慢2小时。充值失败的话系统会"
                          "自动原路退款，1到3个工作日到账。", "human", 25, "客服-小林", typing_s=6),),
        expected=_expect("human"),
    ),
    Scenario(
        "slow-human", "慢悠悠卡盟", "nobody for 60 s (so we ask for a human), a person after 4 min",
        shape="iframe", send="enter",
        on_question=(Line("不好意思久等了！充值一般半小时内到账，失败的话会退回到您的账户余额，"
                          "也可以申请原路退款。", "human", 240, "客服-阿强"),),
        expected=_expect("human", handoff=True),
    ),
    Scenario(
        "bot-then-human", "机智卡盟", "a named bot answers at once; after 转人工 a person in 90 s",
        send="enter",
        on_question=(Line("亲，您好！我是智能客服小美，您可以输入关键词：充值、退款、发货。", "bot",
                          1, "智能客服小美"),),
        on_handoff=(
            Line("正在为您转接人工客服，请稍候…", "auto", 1),
            Line("您好，我是人工客服阿杰。话费一般10分钟到账，充值失败会自动退款到原支付账户。",
                 "human", 90, "客服-阿杰", typing_s=8),
        ),
        expected=_expect("human", handoff=True),
    ),
    Scenario(
        "bot-loop", "转圈卡盟", "a marked bot answers everything, 转人工 included, and never a person",
        shape="iframe", rerender=True,
        on_question=(Line("您好，请问有什么可以帮您？您可以描述具体问题哦~", "bot", 0.8, marked=True),),
        on_handoff=(Line("抱歉，小助手没有理解您的意思，请换个说法试试~", "bot", 0.8, marked=True),),
        on_other=(Line("抱歉，小助手没有理解您的意思，请换个说法试试~", "bot", 0.8, marked=True),),
        expected=_expect("auto_only", handoff=True, fake_online=True, bot_loop=True),
    ),
    Scenario(
        "fake-online", "假在线卡盟", "says 在线 and greets, then nobody ever answers",
        greeting=(Line("欢迎光临，客服在线为您服务！", "greeting", 0.3),),
        expected=_expect("no_reply", handoff=True, fake_online=True),
    ),
    Scenario(
        "template-only", "模板卡盟", "stalling templates only, also after 转人工",
        shape="shadow",
        on_question=(Line("已收到您的问题，正在加急处理，请耐心等待。", "auto", 2),),
        on_handoff=(Line("当前咨询人数较多，正在排队中，请稍候。", "auto", 2),),
        expected=_expect("auto_only", handoff=True, fake_online=True, bot_loop=True,
                         template_only=True),
    ),
    Scenario(
        "honest-offline", "诚实卡盟", "says 离线 and offers a leave-a-message form",
        status="offline",
        expected=_expect("offline_declared"),
    ),
    Scenario(
        "broken-widget", "故障卡盟", "the page loads but its chat button is broken",
        broken=True,
        expected=_expect("chat_missing"),
    ),
    Scenario(
        "down", "宕机卡盟", "the site answers HTTP 503",
        http_status=503,
        expected=_expect("unreachable"),
    ),
)


def scenario_by_slug() -> dict[str, Scenario]:
    return {s.slug: s for s in SCENARIOS}
