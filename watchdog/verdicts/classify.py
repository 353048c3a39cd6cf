"""Message kinds, each with a confidence and the human-readable reasons behind it.

The rules of DESIGN.md section 5, in the order they are tried for a platform-side message:

  system    the chat's own line (verdicts/lines.py): a notice outside the bubbles that says
            what it is (agent assigned, queue, transfer, no agent), or only a time or a date
  greeting  appeared before our first message, or a welcome line faster than anyone reads
  bot       the widget marks it, its sender is named like a bot, it says it is one (我是智能助手),
            or it repeats itself word for word in answer to different messages of ours (a bot
            answering by rote)
  auto      a stalling template that does not address the question, a template (the same
            text, near-duplicates included, in a good share of the probes of the platforms
            that send it: verdicts/templates.py) that does not address it, a canned greeting
            after our question, or faster than a person reads and types
  stock_answer  a template that addresses the question, sent no faster than a person reads:
            a staff member's quick reply or a macro answered it in stock words (not silence)
  human     none of the above; typing indicators and on-topic text raise the confidence

The same function classifies live (to decide when to ask for a human and when to stop) and
in hindsight (the stored verdict, recomputable with `watchdog reclassify`).
"""

from __future__ import annotations

import bisect
import re

from ..near_duplicates import MIN_TEMPLATE_CHARS, NearIndex, normalize
from ..reasons import Reason
from ..records import ANSWERED, AUTOMATED, Classification, Kind, MessageRecord, ProbeRecord, Side
from .lines import system_line
from .templates import Templates, describe, is_template

# A person needs this long to read a question and start answering...
MIN_HUMAN_REPLY_S = 1.5
# ...and types no faster than this (Chinese with an input method, generously).
MAX_HUMAN_CHARS_PER_S = 8.0
BOT_SENDER = re.compile(r"机器人|智能|小助手|助手|自动回复|系统消息|\bAI\b|robot|\bbot\b|assistant", re.IGNORECASE)
# A reply that says, in the first person, that it is a program ("我是智能助手", "我是机器人"): no
# person calls themselves so (a person may mention the 智能客服; that is no self-description).
SAYS_BOT = re.compile(
    r"我是(?:您的|本店的?)?(?:智能|机器人|AI|自动|虚拟)|I am an? (?:bot|virtual assistant)", re.IGNORECASE
)
STALLING = (
    "已收到",
    "请耐心等待",
    "耐心等候",
    "正在排队",
    "排队中",
    "前面还有",  # a place in a queue (您前面还有 3 位) drawn as a bubble
    "前方还有",
    "排队人数",
    "正在为您转接",
    "转接中",
    "请稍候",
    "请稍等",
    "加急处理",
    "稍后回复",
    "客服繁忙",
    "咨询人数较多",
)
GREETING = re.compile(r"欢迎|很高兴为您服务|有什么(可以|能)?(帮|为)(到)?您|请问有什么")
# Bigrams too common to show that a reply is about the question.
COMMON_BIGRAMS = {"你好", "您好", "请问", "你们", "我们", "一下", "可以", "什么", "如果", "的话"}
# What pre-sales questions ask about (the question sets' topics): a reply that names one the
# question names addresses it, whatever else it says. Answer words only: "处理", "失败",
# "充值" or "话费" are as much a stall's words ("话费充值问题正在处理") as an answer's.
TOPICS = ("到账", "退款", "退回", "退还", "支付", "付款", "卡密", "发货")


def _bigrams(text: str) -> set[str]:
    han = re.findall(r"[\u4e00-\u9fff]+", text)
    return {run[i : i + 2] for run in han for i in range(len(run) - 1)} - COMMON_BIGRAMS


def _shared(reply: str, question: str) -> list[str]:
    """The content bigrams the reply shares with the question."""
    return sorted(_bigrams(reply) & _bigrams(question))


def on_topic(reply: str, question: str) -> bool:
    """Does the reply share at least two content bigrams with the question?"""
    return len(_shared(reply, question)) >= 2


def addresses(reply: str, question: str) -> str | None:
    """What shows that the reply is about the question: a topic both name, or two content
    bigrams they share; None when nothing does."""
    topic = next((word for word in TOPICS if word in reply and word in question), None)
    if topic:
        return topic
    shared = _shared(reply, question)
    return "、".join(shared[:2]) if len(shared) >= 2 else None


def classify_messages(
    probe: ProbeRecord, messages: list[MessageRecord], templates: Templates | None = None
) -> list[Classification | None]:
    """The kind of every platform-side message (None for ours), given all messages: in
    hindsight, a reply repeated later in answer to another message of ours is a bot's too."""
    classifier = Classifier(probe, templates)
    # Text seen only at the end (never reported by the observer) has no time to judge it by.
    timed = [m for m in messages if m.at_ms is not None]
    for m in timed:
        classifier.remember(m)
    kinds = [classifier.next(m) for m in timed]
    by_message = {id(m): kind for m, kind in zip(timed, kinds, strict=True)}
    return [by_message.get(id(m)) for m in messages]


def _system(message: MessageRecord) -> str | None:
    """What notice a platform-side message is, if it is one (verdicts/lines.py)."""
    return system_line(message.text, bubble=not message.dom_line)


def at(message: MessageRecord) -> float:
    """The page time of a message that has one (every message classified or timed)."""
    assert message.at_ms is not None, "a message seen only at the end has no time"
    return message.at_ms


class Classifier:
    """Classifies one probe's timed messages in the order they were seen, each at a cost that
    does not grow with the conversation (a flood of thousands of messages stays linear).

    `remember` makes a message's text known to the bot-by-rote rule (in hindsight every
    message is remembered first; live, each as it arrives); `next` classifies the next
    message, given those before it."""

    def __init__(self, probe: ProbeRecord, templates: Templates | None = None):
        self.probe = probe
        self.templates = templates  # None: no evidence from other probes
        self.seen = 0  # messages remembered
        self.done = 0  # messages classified
        self.last_visitor_seen: int | None = None  # remember()'s and next()'s own positions
        self.last_visitor_done: int | None = None
        self.replies_at: list[float] = []  # page times of platform messages, sorted
        # Rote replies: template key -> {our message it followed (its position): latest page time}.
        self.rote: dict[str, dict[int | None, float]] = {}
        self.rote_keys = NearIndex()
        self.ours: list[float] = []  # page times of our messages classified so far
        self.unanswered = 0  # first of `ours` after the last human reply
        self.last_human: float | None = None
        self.humans: list[tuple[float, int]] = []  # (page time, characters) of replies judged human
        self.automated = NearIndex()  # template keys of the replies judged automated so far

    def remember(self, m: MessageRecord) -> None:
        position = self.seen
        self.seen += 1
        if m.side == Side.VISITOR:
            self.last_visitor_seen = position
            return
        if _system(m):
            return  # a notice answers nothing
        bisect.insort(self.replies_at, at(m))
        key = normalize(m.text)
        if key:
            answered = self.rote.setdefault(key, {})
            answered[self.last_visitor_seen] = max(at(m), answered.get(self.last_visitor_seen, at(m)))
            self.rote_keys.add(key)

    def next(self, m: MessageRecord) -> Classification | None:
        self.done += 1
        if m.side == Side.VISITOR:
            self.last_visitor_done = self.done - 1
            self.ours.append(at(m))
            return None
        kind = self._classify(m)
        if kind.kind in ANSWERED:
            self.last_human = at(m) if self.last_human is None else max(self.last_human, at(m))
        if kind.kind == Kind.HUMAN:  # typed: a stock answer is pasted
            self.humans.append((at(m), len(m.text)))
        elif kind.kind in AUTOMATED:
            key = normalize(m.text)
            if len(key) >= MIN_TEMPLATE_CHARS:
                self.automated.add(key)
        return kind

    def _answering_since(self, m: MessageRecord, question_stamp: float) -> float:
        """When the person (or program) behind message `m` can have started on it: our earliest
        message it may answer, i.e. the first one since a person last wrote (greetings, bots and
        templates answer nothing). If a typing indicator was already showing before that, it
        answers an even earlier one. A person whose answer crosses our 转人工 is thus never
        timed from the 转人工: no false accusation from our own timing."""
        # The last human reply only moves later, so the first unanswered message only moves on.
        while self.unanswered < len(self.ours) and not (
            self.last_human is None or self.ours[self.unanswered] > self.last_human
        ):
            self.unanswered += 1
        if self.unanswered < len(self.ours):
            since = self.ours[self.unanswered]
        else:
            since = self.ours[-1] if self.ours else question_stamp
        if m.typing_ms is not None and m.typing_ms < since:
            since = max((s for s in self.ours if s <= m.typing_ms), default=question_stamp)
        return since

    def _by_rote(self, key: str, q: float) -> bool:
        """The same text (or nearly) after our question in answer to a different message of ours."""
        asked = self.last_visitor_done
        for other in self.rote_keys.near(key):
            if any(follows != asked and latest >= q for follows, latest in self.rote[other].items()):
                return True
        return False

    def _classify(self, m: MessageRecord) -> Classification:
        probe = self.probe
        q = probe.question_at_ms
        notice = _system(m)
        if notice is not None:
            where = "system_line" if m.dom_line else "system_bubble"
            return Classification(Kind.SYSTEM, 0.9, [Reason(where, notice=notice)])
        if q is None or at(m) < q:
            return Classification(Kind.GREETING, 0.95, [Reason("before_question")])
        if m.dom_bot:
            return Classification(Kind.BOT, 0.95, [Reason("marked_bot")])
        if m.sender and BOT_SENDER.search(m.sender):
            return Classification(Kind.BOT, 0.9, [Reason("bot_sender", sender=m.sender)])
        said = SAYS_BOT.search(m.text)
        if said:
            return Classification(Kind.BOT, 0.85, [Reason("says_program", said=said.group(0))])
        since = self._answering_since(m, q)
        elapsed_s = probe.since_question(at(m)) - probe.since_question(since)
        greeting_like = bool(GREETING.search(m.text)) and not on_topic(m.text, probe.question)
        first_answer = bisect.bisect_left(self.replies_at, q) == bisect.bisect_left(self.replies_at, at(m))
        if greeting_like and first_answer and elapsed_s < MIN_HUMAN_REPLY_S:
            return Classification(Kind.GREETING, 0.8, [Reason("welcome_too_fast", seconds=elapsed_s)])
        key = normalize(m.text)
        if len(key) >= MIN_TEMPLATE_CHARS and self._by_rote(key, q):
            return Classification(
                Kind.BOT,
                0.85,
                [Reason("by_rote")],
            )
        if len(key) >= MIN_TEMPLATE_CHARS and self.automated.near(key):
            return Classification(Kind.AUTO, 0.8, [Reason("repeats_automated")])
        stall = next((phrase for phrase in STALLING if phrase in m.text), None)
        if stall and not on_topic(m.text, probe.question):
            return Classification(Kind.AUTO, 0.85, [Reason("stalling", phrase=stall)])
        evidence = self.templates.evidence(m.text, probe.id, probe.platform) if self.templates else None
        template = evidence if evidence is not None and is_template(evidence) else None
        # Our own question quoted back ("您的问题“...”已提交") names our topics in our words.
        topic = addresses(m.text.replace(probe.question, ""), probe.question) if template else None
        if template and topic is None:
            return Classification(Kind.AUTO, 0.8, [Reason("template_off_topic", evidence=describe(template))])
        if greeting_like:
            return Classification(Kind.AUTO, 0.75, [Reason("canned_greeting")])
        replied = Reason("replied", seconds=elapsed_s, chars=len(m.text))
        if elapsed_s < MIN_HUMAN_REPLY_S:
            return Classification(Kind.AUTO, 0.8, [replied])
        if template:
            # A quick reply is pasted, not typed: only the time to read the question applies.
            return Classification(
                Kind.STOCK_ANSWER,
                0.7,
                [
                    Reason("stock_words", seconds=elapsed_s, chars=len(m.text), evidence=describe(template)),
                    Reason("stock_addresses", topic=topic),
                ],
            )
        if len(m.text) > elapsed_s * MAX_HUMAN_CHARS_PER_S:
            return Classification(Kind.AUTO, 0.7, [Reason("typed_too_fast", chars=len(m.text), seconds=elapsed_s)])
        typed = len(m.text) + sum(chars for stamp, chars in self.humans if stamp >= since)
        if typed > elapsed_s * MAX_HUMAN_CHARS_PER_S:
            return Classification(Kind.AUTO, 0.7, [Reason("typed_too_fast_together", chars=typed, seconds=elapsed_s)])
        reasons: list[str] = [replied]
        confidence = 0.6
        if m.typing_ms is not None:
            confidence += 0.2
            reasons.append(Reason("typing_shown"))
        if on_topic(m.text, probe.question):
            confidence += 0.1
            reasons.append(Reason("addresses_question"))
        return Classification(Kind.HUMAN, round(confidence, 2), reasons)
