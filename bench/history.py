"""What a year of history costs (issue 15): synthetic databases of realistic shape, built
with the project's own schema, and the cost of each operation that must not grow with them.

    .venv/bin/python bench/history.py                       # 50 and 500 platforms, 90 days, median of 3
    .venv/bin/python bench/history.py --platforms 50 --runs 1
    .venv/bin/python bench/history.py --only run,export     # some of the figures

The database (issue 25: as varied as real traffic): PLATFORMS platforms probed 4 times a day
for DAYS days, each probe asking one of the question set's questions in turn (presale-zh) and
leaving a screenshot (the same tiny PNG) in the database's evidence folder. Each platform has
its own name and greetings, its own quick replies (快捷回复: a few that answer, about 到账 /
退款 / 卡密 / 支付, more that stall), a person answering at its own rate, and on half of them
one of five vendors' robots (the same scripts on many platforms). A person's answer is composed
of six slots of 6-18 alternatives each, by question (millions of sentences: they rarely
repeat), now and then the sandbox's own people (watchdog.sandbox.scenarios); further messages
are follow-ups, short ones among them. Outcomes as a deployment sees them: people, robots,
no reply, declared offline, and a few unreachable, chat missing, QQ/WeChat only, blind and
probe errors. About 6.4 messages a probe; at 500 platforms x 90 days 1.15 M messages and over
100,000 template keys (printed at build and with each size's figures).
Built once per size (seeded) and kept in bench/.history/ for the next run.

Each figure runs in a fresh process and prints the median of RUNS runs: wall seconds, the
process's whole peak RSS (interpreter and libraries included: a process doing nothing but
their imports is printed first), and the figure's own measures; where it has processes of
its own (the export's workers, one per core; the csv figure's server), their CPU seconds and
the largest one's peak RSS. CPU-bound; this machine: see `env`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FOLDER = Path(__file__).parent / ".history"
PROBES_PER_DAY = 4
QUESTION_SET = "presale-zh"
# The stalling lines of a ticketing bot (one of the vendors), numbered afresh each time.
TEMPLATES = [
    f"{head}，{body}，工单编号{{n}}，请耐心等待。"
    for head in ("您好", "亲", "尊敬的客户", "你好", "在的")
    for body in (
        "已收到您的问题正在加急处理",
        "当前咨询人数较多正在排队中",
        "您的订单已提交至售后专员处理",
        "系统正在为您转接人工客服",
        "您反馈的问题我们已经记录下来",
        "充值类问题一般会在十分钟内处理完毕",
        "退款申请已受理请留意短信通知",
        "客服正在核实您的订单信息",
    )
]
# Chat vendors whose robots many platforms run as they come: the same scripts everywhere.
VENDORS: dict[str, dict[str, tuple[str, ...]]] = {
    "智能客服": {
        "greeting": ("您好，我是智能客服小智，很高兴为您服务，请简单描述您的问题~",),
        "answer": (
            "亲，您可以输入以下关键词：充值、退款、发货、卡密，小智会为您自动解答哦~",
            "充值一般1-10分钟到账，如超过30分钟未到账请提供订单号联系人工客服处理。",
        ),
        "handoff": (
            "正在为您转接人工客服，当前排队人数较多，请耐心等待…",
            "人工客服工作时间为9:00-23:00，请在工作时间内咨询。",
        ),
        "other": ("小智没有理解您的意思，您可以换个说法或者输入“转人工”~",),
    },
    "七鱼": {
        "greeting": ("您好，欢迎咨询！机器人小七为您服务，您可以直接输入问题。",),
        "answer": (
            "您好，关于充值到账的问题：正常情况下充值成功后几分钟内到账，请耐心等待。",
            "您可以点击下方常见问题：1.充值多久到账 2.如何申请退款 3.卡密在哪里查看",
        ),
        "handoff": ("您好，正在为您接入人工服务，前面还有{n}人在排队。",),
        "other": ("抱歉，小七暂时无法回答这个问题，建议您换个问法哦。",),
    },
    "环信": {
        "greeting": ("您好，欢迎光临，有什么可以帮您的吗？请描述您的问题。",),
        "answer": (
            "亲，您的问题已收到，客服正在快马加鞭赶来，请稍候片刻~",
            "请问您咨询的是充值、提现还是订单问题？请回复数字：1充值 2提现 3订单",
        ),
        "handoff": ("当前人工坐席全忙，您已进入排队，排在第{n}位。", "请对我的服务做出评价"),
        "other": ("请回复数字选择您要咨询的问题，或输入“人工”联系客服。",),
    },
    "美洽": {
        "greeting": ("Hi，欢迎来到本店，我是您的专属客服助理，请问有什么可以帮您？",),
        "answer": ("亲亲，这边为您查询到相关问题的解答：充值到账时间一般为1-30分钟，高峰期可能会有延迟哦。",),
        "handoff": ("已为您转接人工客服，请稍候，客服马上就来~", "客服暂时不在线，您可以留言，我们会尽快回复您。"),
        "other": ("亲亲，助理没有找到相关答案，您可以试试输入关键词哦~",),
    },
    "工单": {
        "greeting": ("您好，欢迎使用在线客服系统。",),
        "answer": tuple(TEMPLATES),
        "handoff": tuple(TEMPLATES),
        "other": ("您的问题已转交相关部门，请耐心等待处理结果。",),
    },
}
NAME_HEADS = tuple("闪电星辰云端极速飞鸟金牛银河东方鼎盛聚宝乐享优品畅游天天顺心汇通速达诚信众赢")
NAME_TAILS = ("卡盟", "数卡", "充值网", "发卡平台", "点卡商城", "卡券商城", "游戏充值", "话费站")
# A person's first answer, by question (watchdog/questions/presale-zh.toml), in slots of many
# alternatives: people do not type the same long sentence twice.
OPENERS = (
    "您好，", "你好，", "亲，", "在的，", "您好呀，", "嗯嗯，", "哈喽，", "收到，", "亲亲，", "来了来了，",
    "久等了，", "不好意思久等了，", "好的亲，", "在呢，", "哈喽亲，", "您好这边是人工客服，", "亲爱的，", "嗨，",
)  # fmt: skip
FILLERS = (
    "", "我帮您看了一下，", "是这样的，", "跟您说一下，", "这个问题我来回答您，", "刚查了下后台，", "放心哈，",
    "一般来说，", "说实话，", "按我们这边的规则，", "我跟您说，", "目前的情况是，",
)  # fmt: skip
CORES = (
    (
        "话费充值一般{n}分钟内到账", "正常情况下{n}分钟左右就能到账", "一般几分钟就到了，最慢不超过{n}小时",
        "我们是自动充值的，通常{n}分钟到账", "这个要看运营商，快的话{n}分钟", "大部分订单{n}分钟内处理完",
        "下单后系统马上处理，{n}分钟左右到", "快充的话几分钟，慢充要{n}小时以内", "移动的快一点，联通电信稍慢",
        "白天充的话基本秒到", "慢充订单要等{n}个小时左右", "到账时间以运营商短信为准",
    ),
    (
        "点卡卡密是付款后自动发的", "付款成功卡密会自动显示在订单页面", "卡密是系统自动发货的，不用等人工",
        "是自动发货的，付完款刷新一下订单就有", "卡密会同时发到您留的邮箱里", "一般{n}秒左右就能收到卡密",
        "游戏点卡都是现货，秒发", "个别面值需要人工补货，要等{n}分钟", "付款后在我的订单里能看到卡号和密码",
        "自动发卡的，您下单就知道了", "卡密收到后请尽快使用", "有的卡要手动提取，点一下提取卡密就行",
    ),
    (
        "显示已使用的话先别着急", "这种情况请把卡号和截图发给我", "已使用的卡我们可以帮您查使用记录",
        "如果是刚买的卡显示已使用，可以申请售后", "这个需要核实一下是不是您自己已经充进去了",
        "您把订单号给我，我帮您查",
        "这种一般是运营商那边延迟显示", "遇到这种情况找售后客服处理就行", "可以在订单页面点申请售后",
        "已使用的卡要提供充值记录截图", "我们会联系供货商核实", "核实后确实没用过的给您换卡",
    ),
    (
        "支持微信支付宝和银行卡", "微信和支付宝都可以付", "目前只支持支付宝付款", "可以用微信扫码付款",
        "支付宝、微信、QQ钱包都行", "余额支付也可以，先充值到账户", "暂时不支持信用卡", "付款方式在下单页面可以选",
        "扫码付款最快", "网银转账也支持，不过到账慢一点", "可以用平台余额直接抵扣", "数字人民币暂时还不支持",
    ),
)  # fmt: skip
DETAILS = (
    "，高峰期可能会慢一点", "，晚上人多的时候会稍微延迟", "，节假日可能要久一些", "，要是超时了可以联系我查一下",
    "，遇到运营商维护会慢一些", "，月初月底人多会慢点", "，移动联通电信都一样", "，大额的会稍微久一点", "",
    "，这个您放心", "，我们做了好几年了", "，系统是全自动的", "，一般不会出问题", "，偶尔会有延迟",
    "，具体看当时的订单量", "，有问题随时找我们",
)  # fmt: skip
AFTERS = (
    (
        "。充值失败会原路退回，1到3个工作日到账。", "。如果失败了系统会自动退款到您的余额。",
        "。失败的订单我们会全额退。",
        "。没到账的话把订单号发我，我帮您处理退款。", "。退款一般当天就能处理好。", "。不成功的话钱会退回付款账户。",
        "。失败了可以在订单页面申请退款。", "。退款到余额是秒到的，原路退要等一两天。", "。",
    ),
    (
        "。收不到的话检查下垃圾邮件。", "。卡密复制的时候注意不要多空格。", "。有问题可以申请售后换卡。",
        "。卡密一经发出不退不换，请确认好面值。", "。发错面值的话联系我给您处理。", "。如果没收到请提供订单号。", "。",
    ),
    (
        "。核实清楚后会给您补发或者退款。", "。一般{n}个工作日内给您答复。", "。确认是我们的问题会全额退款。",
        "。售后处理进度可以在订单里查看。", "。您先别自己再充，等我们核实。", "。",
    ),
    (
        "。不到账的话原路退回，一般{n}个工作日。", "。支付失败的钱会自动退回，不用担心。",
        "。退回时间看银行，通常当天。",
        "。没到账的订单我们会主动退款。", "。退款会退到您付款用的账户。", "。",
    ),
)  # fmt: skip
CLOSINGS = (
    "", "还有别的问题吗？", "有问题随时找我。", "祝您生活愉快~", "还需要帮您看看别的吗？", "您可以放心下单。",
    "有需要再联系我哈。", "感谢您的支持！", "[微笑]", "亲还有其他需要吗？", "欢迎下次光临~", "谢谢亲~",
)  # fmt: skip
# A person's second and third messages: follow-ups, short ones among them (too short to be a
# template at all).
FOLLOW_UPS = (
    ("稍等", "好的", "嗯嗯", "在的", "收到", "好的亲", "稍等一下哈", "我查一下"),
    (
        "亲还在吗？有问题可以继续问我", "刚才说的您看明白了吗", "您要是现在下单的话我帮您盯着",
        "订单号发我一下，我帮您查查",
        "您是要充哪个运营商的？", "面值选好了直接下单就行", "有活动的话会在首页通知", "新用户首单有优惠的",
        "我们这边是官方渠道的货", "今天下单的人比较多，处理会慢一点", "不懂的地方随时问我", "您是第一次在我们这买吗",
    ),
    ("", "~", "哈", "哦", "呢", "。"),
)  # fmt: skip
QUICK_OPENERS = ("您好，", "亲，", "亲亲，", "尊敬的用户，", "你好，", "")
QUICK_ANSWERS = (
    "充值成功后一般{n}分钟内到账，请留意短信通知",
    "充值失败的订单会在{n}小时内原路退款",
    "卡密付款后自动发放，在订单详情页查看",
    "支持支付宝、微信支付，付款后自动充值",
    "话费充值到账时间以运营商为准，高峰期略有延迟",
    "退款会退回到您的平台余额，可随时提现",
    "点卡卡密显示已使用请联系售后并提供截图",
    "本店支付方式为扫码支付，请勿私下转账",
    "如{n}分钟未到账请提供订单号，我们为您查询",
    "大额充值请分笔下单，每笔到账时间约{n}分钟",
)
QUICK_STALLS = (
    "请稍等，正在为您查询",
    "您的问题已收到，请耐心等待",
    "客服正在忙，请稍候片刻",
    "请问还有什么可以帮您？",
    "感谢您的耐心等待，马上为您处理",
    "当前咨询人数较多，请您稍等",
    "已为您记录，稍后给您答复",
    "请提供您的订单号，方便为您查询",
)
QUICK_TAILS = ("", "~", "！", "。", "，谢谢！", "，感谢您的支持。", "【{name}】")


def _fill(text: str, rng: random.Random) -> str:
    return text.replace("{n}", str(rng.randint(2, 30)))


def _people(rng: random.Random, question: int = 0) -> str:
    """A person's answer to the question: slots of many alternatives, or now and then the
    sandbox's own people (watchdog.sandbox.scenarios)."""
    from watchdog.sandbox.scenarios import ANSWER, LEAKY_ANSWER, SHORT_ANSWER, Line

    if rng.random() < 0.1:
        return Line(rng.choice((ANSWER, ANSWER, LEAKY_ANSWER, SHORT_ANSWER)), "human", 0).compose(rng)
    parts = (OPENERS, FILLERS, CORES[question], DETAILS, AFTERS[question], CLOSINGS)
    return _fill("".join(rng.choice(part) for part in parts), rng)


def _follow_up(rng: random.Random) -> str:
    return "".join(rng.choice(part) for part in FOLLOW_UPS[1 if rng.random() < 0.6 else 0 :])


@dataclass
class _Platform:
    """A platform's own ways: its name, greetings, quick replies (快捷回复), vendor robot,
    and how often a person answers."""

    slug: str
    name: str
    greetings: tuple[str, ...]
    quick_answers: tuple[str, ...]
    quick_stalls: tuple[str, ...]
    vendor: dict[str, tuple[str, ...]] | None
    human_rate: float
    offline_rate: float
    down_rate: float
    im_only: bool
    agent: str

    @classmethod
    def make(cls, i: int, rng: random.Random) -> _Platform:
        from watchdog.sandbox.scenarios import SCENARIOS

        name = rng.choice(NAME_HEADS) + rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)
        sandbox = [line.text for s in SCENARIOS for line in s.greeting if isinstance(line.text, str)]
        greetings = (
            rng.choice((f"您好，欢迎光临{name}！", f"欢迎来到{name}，", f"{name}欢迎您！", *sandbox)),
            rng.choice(("请问有什么可以帮您？", "有什么问题可以随时咨询哦~", "客服在线，为您服务", "")),
        )

        def quick(lines: tuple[str, ...], count: int) -> tuple[str, ...]:
            return tuple(
                (rng.choice(QUICK_OPENERS) + line + rng.choice(QUICK_TAILS)).replace("{name}", name)
                for line in rng.sample(lines, count)
            )

        profile = rng.random()
        human_rate = (
            rng.uniform(0.75, 0.98)
            if profile < 0.45
            else rng.uniform(0.3, 0.75)
            if profile < 0.8
            else rng.uniform(0, 0.2)
        )
        return cls(
            slug=f"p{i:03d}",
            name=name,
            greetings=tuple(g for g in greetings if g),
            quick_answers=quick(QUICK_ANSWERS, rng.randint(2, 6)),
            quick_stalls=quick(QUICK_STALLS, rng.randint(3, 8)),
            vendor=VENDORS[rng.choice(list(VENDORS))] if rng.random() < 0.55 else None,
            human_rate=human_rate,
            offline_rate=rng.choice((0.0, 0.0, 0.02, 0.05, 0.15)),
            down_rate=rng.choice((0.005, 0.01, 0.02, 0.06)),
            im_only=rng.random() < 0.01,
            agent=rng.choice(("客服", "客服小美", "在线客服", "售后-阿杰", "客服-小林", "店小二", "客服01")),
        )


def _probe(p: _Platform, question: tuple[int, str], rng: random.Random) -> tuple[dict[str, Any], list[tuple]]:
    """One probe's row (but its id, times and screenshot) and its messages: (side, text, kind,
    at_ms, sender)."""
    index, asked = question
    texts: list[tuple[str, str, str, float, str]] = []
    row: dict[str, Any] = {"claimed_status": "online", "claimed_status_text": "在线", "http_status": 200}
    roll = rng.random()
    failure = None
    if p.im_only:
        failure = ("im_only", "the page offers only QQ or WeChat")
    elif roll < p.down_rate:
        failure = (
            "unreachable",
            rng.choice(("HTTP 503", "HTTP 502", "net::ERR_CONNECTION_TIMED_OUT", "net::ERR_NAME_NOT_RESOLVED")),
        )
        row["http_status"] = int(failure[1][5:]) if failure[1].startswith("HTTP") else None
    elif roll < p.down_rate + 0.01:
        failure = ("chat_missing", "no chat entry found on the page")
    elif roll < p.down_rate + 0.015:
        failure = ("probe_error", "the browser crashed")
    if failure:
        row.update(outcome=failure[0], failure=failure[0], failure_reason=failure[1], claimed_status="unknown",
                   claimed_status_text=None, reasons=json.dumps([failure[1]]))  # fmt: skip
        return row, texts
    for n, greeting in enumerate(p.greetings):
        texts.append(("platform", greeting, "greeting", 1500.0 + 300 * n, p.name))
    if p.vendor and rng.random() < 0.8:
        texts.append(("platform", p.vendor["greeting"][0], "greeting", 2200.0, "智能客服"))
    if roll < p.down_rate + 0.015 + p.offline_rate:
        row.update(claimed_status="offline", claimed_status_text="离线")
        texts.append(
            (
                "platform",
                rng.choice(("客服不在线，请留言", "当前客服不在线，您可以留言", "暂时没有客服")),
                "system",
                2400.0,
                "",
            )
        )
        texts.append(("visitor", asked, "question", 3000.0, ""))
        row.update(
            outcome="offline_declared", reasons=json.dumps(["the widget said offline (离线) and nobody replied"])
        )
        return row, texts
    texts.append(("visitor", asked, "question", 3000.0, ""))
    if roll < p.down_rate + 0.02 + p.offline_rate:
        row.update(outcome="blind", reasons=json.dumps(["the conversation could not be read"]))
        return row, texts
    human = rng.random() < p.human_rate
    at = 3000.0 + rng.uniform(800, 9000)
    automated, stalls = 0, 0
    if p.vendor:
        texts.append(("platform", _fill(rng.choice(p.vendor["answer"]), rng), "bot", at, "智能客服"))
        automated, stalls = 1, int(p.vendor is VENDORS["工单"])
    elif rng.random() < 0.5:
        stall = not p.quick_answers or rng.random() < 0.6
        text = _fill(rng.choice(p.quick_stalls if stall else p.quick_answers), rng)
        kind = "human" if human and not stall else "auto"
        texts.append(("platform", text, kind, at, p.agent))
        automated, stalls = int(kind == "auto"), int(stall)
    handoff = (automated and (not human or rng.random() < 0.6)) or (not automated and not human) or rng.random() < 0.2
    if handoff:
        row.update(handoff_text="转人工", handoff_at_ms=63000.0)
        texts.append(("visitor", "转人工", "handoff", 63000.0, ""))
        if p.vendor:
            texts.append(("platform", _fill(rng.choice(p.vendor["handoff"]), rng), "auto", 64000.0, "智能客服"))
            if not human:
                texts.append(("platform", rng.choice(p.vendor["other"]), "bot", 70000.0, "智能客服"))
        elif automated or rng.random() < 0.3:
            texts.append(("platform", "正在为您转接人工客服，请稍候…", "auto", 64000.0, ""))
        automated += 1 if texts[-1][2] in ("auto", "bot") else 0
    first_human = None
    if human:
        first_human = rng.uniform(15000, 200000)
        if rng.random() < 0.2:
            texts.append(("platform", f"{p.agent} 为您服务", "system", first_human - 500, ""))
        first = (
            _fill(rng.choice(p.quick_answers), rng) if p.quick_answers and rng.random() < 0.1 else _people(rng, index)
        )
        texts.append(("platform", first, "human", first_human, p.agent))
        at = first_human
        for _ in range(rng.choices((0, 1, 2, 3), (0.25, 0.35, 0.28, 0.12))[0]):
            at += rng.uniform(3000, 40000)
            texts.append(
                ("platform", _people(rng, index) if rng.random() < 0.3 else _follow_up(rng), "human", at, p.agent)
            )
    outcome = "human" if human else "auto_only" if automated else "no_reply"
    fake = outcome != "human"
    replies = [t for t in texts if t[0] == "platform" and t[2] != "greeting"]
    row.update(
        outcome=outcome, fake_online=int(fake), bot_loop=int(handoff and not human and automated > 1),
        template_only=int(not human and automated > 0 and stalls > 0), first_human_ms=first_human,
        first_reply_ms=min((t[3] for t in replies), default=None), platform_messages=len(replies),
        reasons=json.dumps(_verdict(outcome, first_human, handoff, fake), ensure_ascii=False),
    )  # fmt: skip
    return row, texts


def _verdict(outcome: str, first_human: float | None, handoff: bool, fake: bool) -> list[str]:
    """The probe's reasons, worded as decide.py words them."""
    if outcome == "human":
        assert first_human is not None
        return [f"a human replied {(first_human - 3000) / 1000:.1f} s after the question"]
    reasons = ["only automated replies (bot, auto) within 600 s" if outcome == "auto_only" else "no reply within 600 s"]
    if fake:
        reasons.append("fake online: said 在线 but nobody answered within 600 s")
    if handoff and outcome == "auto_only":
        reasons.append("bot loop: asked for a human, got automated replies and no human within 600 s")
    return reasons


def _reasons(side: str, text: str, kind: str, at: float, rng: random.Random) -> str:
    """Reasons worded as the classifier words them (numbers and all)."""
    if side == "visitor":
        return "[]"
    if kind == "greeting":
        return json.dumps(["appeared before our first message"])
    if kind == "system":
        return json.dumps(["the chat's own notice"])
    if kind in ("auto", "bot") and rng.random() < 0.7:
        reason = f"same text as replies in {rng.randint(3, 900)} other probes on {rng.randint(2, 60)} platforms"
    else:
        reason = f"replied {(at - 3000) / 1000:.1f} s after our message with {len(text)} characters"
    reasons = [reason] + (["addresses the question"] if kind == "human" and len(text) > 20 else [])
    return json.dumps(reasons, ensure_ascii=False)


# The same tiny valid PNG (1x1, grey) for every probe's screenshot: evidence files that cost nothing.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a49444154789c636800000082008177cd72b60000000049454e44ae426082"
)
PROBE_DEFAULTS: dict[str, Any] = dict.fromkeys(
    ("handoff_text", "handoff_at_ms", "claimed_status_text", "failure", "failure_reason", "first_human_ms",
     "first_reply_ms"),
)  # fmt: skip
PROBE_DEFAULTS.update(fake_online=0, bot_loop=0, template_only=0, platform_messages=0)


def _questions() -> list[str]:
    import tomllib

    folder = Path(__file__).resolve().parent.parent / "watchdog" / "questions"
    return list(tomllib.loads((folder / f"{QUESTION_SET}.toml").read_text(encoding="utf-8"))["questions"])


def build(path: Path, platforms: int, days: int, seed: int = 1) -> int:
    """The synthetic database, written through the project's schema (migrations included),
    its screenshots in its evidence folder; returns its count of template keys."""
    from watchdog import __version__
    from watchdog.masking import masked_copies
    from watchdog.publish.ratings import compute_ratings
    from watchdog.store import open_store
    from watchdog.store.db import evidence_dir

    rng = random.Random(seed)
    questions = _questions()
    evidence = evidence_dir(path)
    evidence.mkdir(parents=True, exist_ok=True)
    # Ending today, so that the ratings' 30-day window holds what a real deployment's would.
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days)
    with open_store(path) as store:
        db = store.db
        profiles = [_Platform.make(i, rng) for i in range(platforms)]
        db.table("platforms").insert_all(
            {"slug": p.slug, "name": p.name, "url": f"https://{p.slug}.example.cn/", "path": ""} for p in profiles
        )
        probes: list[dict[str, object]] = []
        messages: list[dict[str, object]] = []

        def flush() -> None:
            db.table("probes").insert_all(probes, batch_size=2000)
            db.table("messages").insert_all(messages, batch_size=5000)
            probes.clear()
            messages.clear()

        for day in range(days):
            for slot in range(PROBES_PER_DAY):
                moment = start + timedelta(days=day, hours=2 + slot * 6)
                stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
                for i, platform in enumerate(profiles):
                    probe_id = f"{moment:%Y%m%dT%H%M%S}Z-{platform.slug}-{rng.getrandbits(24):06x}"
                    index = (day * PROBES_PER_DAY + slot + i) % len(questions)  # each platform rotates
                    row, texts = _probe(platform, (index, questions[index]), rng)
                    screenshot = evidence / f"{probe_id}.png"
                    screenshot.write_bytes(PNG)
                    probes.append(PROBE_DEFAULTS | row | {
                        "id": probe_id, "platform": platform.slug, "started_at": stamp, "finished_at": stamp,
                        "state": "finished", "tag": "peak" if slot % 2 else "offpeak", "vantage": "bench",
                        "host": "bench", "url": f"https://{platform.slug}.example.cn/", "question_set": QUESTION_SET,
                        "question_index": index, "question": questions[index], "question_at_ms": 3000.0,
                        "notes": "[]", "screenshot": str(screenshot), "max_wait_s": 600.0, "time_scale": 1.0,
                        "screen_checked": 1, "version": __version__,
                    })  # fmt: skip
                    rows = (
                        {
                            "probe_id": probe_id, "seq": seq, "side": side, "at_ms": at, "text": text,
                            "raw_text": text, "seen": "live", "sender": sender, "dom_bot": int(kind == "bot"),
                            "kind": kind, "confidence": 0.8, "reasons": _reasons(side, text, kind, at, rng),
                        }
                        for seq, (side, text, kind, at, sender) in enumerate(texts)
                    )  # fmt: skip
                    messages.extend(row | masked_copies(row) for row in rows)  # as the store writes them
                if len(messages) > 50_000:
                    flush()
        flush()
        with store.db.conn:  # the template evidence, as schema v6 fills it from earlier probes
            store.templates.record_stored()
        compute_ratings(store)
        return int(db.execute("select count(*) from template_keys").fetchone()[0])


# -- the figures: each runs in its own process ------------------------------------------------


def _run(db: Path) -> None:
    """What a probing process does but drive the browser: a run's start (the store opened,
    every platform claimed and saved, its question picked), 200 template lookups for new
    replies, each probe's end (its texts added to the evidence, earlier probes revised), and
    the ratings of the platforms it probed. Its memory is the probing process's."""
    from watchdog.config import Chat, Platform
    from watchdog.publish.ratings import compute_ratings
    from watchdog.runner import new_run_id
    from watchdog.store import open_store
    from watchdog.store.claims import claim
    from watchdog.verdicts.revisions import revise_after

    began = time.perf_counter()
    with open_store(db) as store:
        slugs = [row["slug"] for row in store.platforms()][:50]
        platforms = [Platform(slug, slug, f"https://{slug}.example.cn/", Chat("textarea"), "") for slug in slugs]
        run_id = new_run_id()
        store.start_run({"id": run_id, "vantage": "bench", "pid": 0, "selected": len(platforms)})
        decided = claim(store, platforms, run_id, ignore_min_interval=True)
        for platform in decided.due:
            store.save_platform(platform)
            store.probe_count(platform.slug)
        templates = store.templates
        started = time.perf_counter() - began
        rng = random.Random(7)
        times = []
        for n in range(200):
            text = rng.choice(TEMPLATES).replace("{n}", str(n)) if n % 2 else _people(rng)
            before = time.perf_counter()
            templates.evidence(text, "new-probe", slugs[n % len(slugs)])
            times.append(time.perf_counter() - before)
        before = time.perf_counter()
        latest = {row["platform"]: row["id"] for row in store.db.query(
            "select platform, max(id) as id from probes group by platform")}  # fmt: skip
        for slug in slugs:  # each probe's end, as if its latest probe had just ended
            probe = store.probe(latest[slug])
            templates.add_probe(probe.id, slug, [m.text for m in store.messages(probe.id) if m.side == "platform"])
            revise_after(store, templates, probe)
        ended = (time.perf_counter() - before) / len(slugs)
        before = time.perf_counter()
        compute_ratings(store, platforms=slugs)
        rated = time.perf_counter() - before
    print(json.dumps({
        "start_s": started, "lookup_median_ms": statistics.median(times) * 1000,
        "lookup_max_ms": max(times) * 1000, "probe_end_ms": ended * 1000, "ratings_s": rated}))  # fmt: skip


def _reclassify(db: Path) -> None:
    from watchdog.store import open_store
    from watchdog.verdicts.revisions import reclassify

    with open_store(db) as store:
        reclassify(store, "p007")


def _reclassify_all(db: Path) -> None:
    """`watchdog reclassify` of every finished probe: bounded memory is the goal."""
    from watchdog.store import open_store
    from watchdog.verdicts.revisions import reclassify

    with open_store(db) as store:
        revision = reclassify(store)
        print(json.dumps({"probes": revision.probes, "changed": revision.changed}))


def _export(db: Path) -> None:
    """`watchdog export messages` into /dev/null: prints rows a second."""
    from watchdog.publish.export import export_csv
    from watchdog.store import open_store

    began = time.perf_counter()
    with open_store(db, existing=True) as store, open("/dev/null", "w", encoding="utf-8") as out:
        count = export_csv(store, "messages", out)
    print(json.dumps({"rows": count, "rows_per_s": count / (time.perf_counter() - began)}))


def _public(db: Path) -> None:
    """`serve --public` until its first page answers: the first start ever (the snapshot made),
    and a start after a run of 50 probes (brought up to date); then each page, timed."""
    import asyncio
    import shutil

    from watchdog.publish.datasette import build_datasette
    from watchdog.store import open_store

    folder = db.with_name(db.stem + "-public")
    shutil.rmtree(folder, ignore_errors=True)
    began = time.perf_counter()
    asyncio.run(build_datasette(db, public=True).client.get("/-/leaderboard"))
    first = time.perf_counter() - began
    with open_store(db) as store:  # a run's worth of changes: 50 probes revised
        store.db.execute("update probes set tag = tag where id in (select id from probes order by id desc limit 50)")
        store.db.conn.commit()
    began = time.perf_counter()
    datasette = build_datasette(db, public=True)
    asyncio.run(datasette.client.get("/-/leaderboard"))
    figures = {"first_start_s": first, "start_after_run_s": time.perf_counter() - began}
    figures.update({f"public_{page}": took for page, took in asyncio.run(_visit(datasette, db)).items()})
    print(json.dumps(figures))


async def _visit(datasette, db: Path) -> dict[str, float]:
    """Each published page once (warm), then timed: milliseconds per page."""
    import sqlite_utils

    probe = next(iter(sqlite_utils.Database(db).query("select id from probes where platform = 'p007' limit 1")))["id"]
    name = db.stem
    pages = {
        "leaderboard": "/-/leaderboard",
        "platform": "/-/platform/p007",
        "probe": f"/-/probe/{probe}",
        "probes_facet": f"/{name}/probes?_facet=outcome",
        "incidents": f"/{name}/incidents",
        "messages_facet": f"/{name}/messages?_facet=kind",
    }
    took = {}
    for page, path in pages.items():
        await datasette.client.get(path)
        began = time.perf_counter()
        response = await datasette.client.get(path)
        took[page + "_ms"] = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (path, response.status_code)
    return took


def _pages(db: Path) -> None:
    """Each published page (private mode), warm: milliseconds."""
    import asyncio

    from watchdog.publish.datasette import build_datasette

    print(json.dumps(asyncio.run(_visit(build_datasette(db), db))))


def _csv_complete(db: Path) -> None:
    """The published site's full messages CSV, from `watchdog serve` in a process of its own
    and read as a stream, as a browser or curl reads it: the rows it gives, the rows there
    are, and the server's peak RSS."""
    import socket

    import httpx
    import sqlite_utils

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "watchdog", "serve", "--db", str(db), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                httpx.get(base + "/-/versions.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        lines = 0
        url = f"{base}/{db.stem}/messages.csv?_stream=on&_size=max"
        with httpx.stream("GET", url, timeout=600) as response:
            for chunk in response.iter_bytes():
                lines += chunk.count(b"\n")
        server_kb = _peak_rss_kb(server.pid)
    finally:
        server.terminate()
        server.wait()
    total = sqlite_utils.Database(db)["messages"].count
    print(json.dumps({"csv_rows": lines - 1, "messages": total, "server_peak_rss_mb": server_kb / 1024}))


def halves(db: Path) -> tuple[Path, Path]:
    """The database split in two by probe, as two probing machines would hold it, each with its
    own screenshots in its own evidence folder (hard links to the whole history's: made once)."""
    from watchdog.store import open_store
    from watchdog.store.db import evidence_dir

    east, west = db.with_name(db.stem + "-east.db"), db.with_name(db.stem + "-west.db")
    for half, remainder in ((east, 0), (west, 1)):
        if half.exists():
            continue
        subprocess.run(["sqlite3", str(db), f".backup '{half}'"], check=True)
        folder, own = evidence_dir(db), evidence_dir(half)
        own.mkdir(exist_ok=True)
        with sqlite3.connect(half) as conn:
            conn.execute(f"create temp table gone as select id from probes where rowid % 2 = {remainder}")
            for table, key in (("messages", "probe_id"), ("template_sightings", "probe_id"), ("probes", "id")):
                conn.execute(f"delete from {table} where {key} in (select id from temp.gone)")
            conn.execute("update probes set screenshot = replace(screenshot, ?, ?)", [str(folder), str(own)])
            for (screenshot,) in conn.execute("select screenshot from probes where screenshot is not null"):
                name = Path(screenshot).name
                if not (own / name).exists():
                    os.link(folder / name, own / name)
        with sqlite3.connect(half) as conn:  # a machine's own file has no half of it free
            conn.execute("vacuum")
    for half in (east, west):  # a probing machine runs the current version
        with open_store(half):
            pass
    return east, west


def _remask(db: Path) -> None:
    """The one-off after an upgrade that masks more: every message's masked copies made again
    when the store is next opened (made stale first, untimed)."""
    from watchdog.masking import MASKED_WITH
    from watchdog.store import open_store

    with sqlite3.connect(db) as conn:
        conn.execute(f"update messages set {MASKED_WITH} = null")
    began = time.perf_counter()
    with open_store(db):
        pass
    print(json.dumps({"open_s": time.perf_counter() - began}))


def _merge(db: Path) -> None:
    """`watchdog merge` of the two halves into a new database."""
    import tempfile

    from watchdog.store import open_store
    from watchdog.store.merge import merge

    with tempfile.TemporaryDirectory(dir=db.parent) as folder:  # (its removal: 180,000 files at 500 x 90)
        with open_store(Path(folder) / "central.db") as central:
            began = time.perf_counter()
            merge(list(halves(db)), central)
            print(json.dumps({"merge_s": time.perf_counter() - began}))


def _ratings(db: Path) -> None:
    """`watchdog ratings`: every platform rated again over the last 30 days."""
    from watchdog.publish.ratings import compute_ratings
    from watchdog.store import open_store

    with open_store(db) as store:
        print(json.dumps({"platforms_rated": len(compute_ratings(store))}))


FIGURES = {
    "run": _run,
    "reclassify": _reclassify,
    "reclassify-all": _reclassify_all,
    "export": _export,
    "public": _public,
    "pages": _pages,
    "csv": _csv_complete,
    "merge": _merge,
    "remask": _remask,
    "ratings": _ratings,
}


SLOW = ("reclassify-all",)  # minutes a run at 500 platforms: only when named in --only


def _baseline() -> None:
    """Nothing but the imports the figures make: the process's own memory."""
    import watchdog.publish.datasette  # noqa: F401
    import watchdog.verdicts.revisions  # noqa: F401


def _peak_rss_kb(pid: int | str = "self") -> int:
    """A process's own peak RSS (this one's by default): VmHWM starts afresh at exec, while
    getrusage's ru_maxrss keeps the forking parent's (the benchmark's, which built the database)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))


def _child(name: str, db: Path) -> None:
    began = time.perf_counter()
    cpu = time.process_time()
    if name == "baseline":
        _baseline()
    else:
        FIGURES[name](db)
    figures = {"seconds": time.perf_counter() - began, "cpu_seconds": time.process_time() - cpu}
    figures["rss_mb"] = _peak_rss_kb() / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the export's workers, the csv's server
    if children.ru_maxrss:
        figures["children_cpu_seconds"] = children.ru_utime + children.ru_stime
        figures["child_peak_rss_mb"] = children.ru_maxrss / 1024
    print(json.dumps(figures))


def measure(name: str, db: Path, runs: int) -> dict[str, float]:
    results: list[dict[str, float]] = []
    for _ in range(runs):
        if name in (
            "reclassify",
            "reclassify-all",
            "run",
            "public",
            "remask",
            "ratings",
        ):  # they write: each run on the same fresh copy
            work = db.with_name(db.stem + "-work.db")
            subprocess.run(["sqlite3", str(db), f".backup '{work}'"], check=True)
        else:
            work = db
        out = subprocess.run(
            [sys.executable, __file__, "--child", name, "--db", str(work)], capture_output=True, text=True, check=True
        ).stdout
        merged: dict[str, float] = {}
        for line in out.splitlines():
            if line.startswith("{"):
                merged.update(json.loads(line))
        results.append(merged)
    return {key: statistics.median(r.get(key, 0) for r in results) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--platforms", type=int, action="append", help="50 and 500 unless given")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=3)
    named = ", ".join(FIGURES) + f" ({', '.join(SLOW)}: only when named)"
    parser.add_argument("--only", help="comma-separated figures: " + named)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.child, args.db)
    names = args.only.split(",") if args.only else [name for name in FIGURES if name not in SLOW]
    FOLDER.mkdir(exist_ok=True)
    for platforms in args.platforms or [50, 500]:
        db = FOLDER / f"history-{platforms}x{args.days}.db"
        if not db.exists():
            began = time.perf_counter()
            keys = build(db, platforms, args.days)
            print(f"built {db} in {time.perf_counter() - began:.0f} s: {keys:,} template keys", file=sys.stderr)
        import sqlite_utils

        from watchdog.store import open_store

        began = time.perf_counter()
        with open_store(db):  # brought to the current schema first: migrating is not a figure
            pass
        print(f"opened {db.name} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        counts = sqlite_utils.Database(db)
        print(f"\n{platforms} platforms x {args.days} days: {counts['probes'].count:,} probes, "
              f"{counts['messages'].count:,} messages, {counts['template_keys'].count:,} template keys "
              f"(median of {args.runs})")  # fmt: skip
        if "merge" in names:
            halves(db)
        print(f"  {'(imports only)':15s} {measure('baseline', db, 1)['rss_mb']:19.0f} MB peak RSS")
        for name in names:
            figures = measure(name, db, args.runs)
            extra = ", ".join(
                f"{key} {value:,.1f}" for key, value in figures.items() if key not in ("seconds", "rss_mb")
            )
            print(
                f"  {name:15s} {figures['seconds']:8.2f} s  {figures['rss_mb']:7.0f} MB peak RSS"
                + (f"  ({extra})" if extra else "")
            )


if __name__ == "__main__":
    main()
