"""Message kinds and probe verdicts, each with the human-readable reasons behind it.

The rules of DESIGN.md section 5, in the order they are tried for a platform-side message:

  greeting  appeared before our first message, or a welcome line faster than anyone reads
  bot       the widget marks it, its sender is named like a bot, or it repeats itself word for
            word in answer to different messages of ours (a bot answering by rote)
  auto      a stalling template that does not address the question, the same text as replies
            in other probes (templates, near-duplicates included), a canned greeting after our
            question, or faster than a person reads and types
  human     none of the above; typing indicators and on-topic text raise the confidence

The same function classifies live (to decide when to ask for a human and when to stop) and
in hindsight (the stored verdict, recomputable with `watchdog reclassify`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from .config import to_simulated_seconds

# A person needs this long to read a question and start answering...
MIN_HUMAN_REPLY_S = 1.5
# ...and types no faster than this (Chinese with an input method, generously).
MAX_HUMAN_CHARS_PER_S = 8.0
BOT_SENDER = re.compile(r"机器人|智能|小助手|助手|自动回复|系统消息|\bAI\b|robot|\bbot\b|assistant", re.IGNORECASE)
STALLING = ("已收到", "请耐心等待", "耐心等候", "正在排队", "排队中", "正在为您转接", "转接中",
            "请稍候", "请稍等", "加急处理", "稍后回复", "客服繁忙", "咨询人数较多")
GREETING = re.compile(r"欢迎|很高兴为您服务|有什么(可以|能)?(帮|为)(到)?您|请问有什么")
# Bigrams too common to show that a reply is about the question.
COMMON_BIGRAMS = {"你好", "您好", "请问", "你们", "我们", "一下", "可以", "什么", "如果", "的话"}
# Texts shorter than this ("在的，一般5分钟到账") repeat between people by chance: never templates.
MIN_TEMPLATE_CHARS = 16
NEAR_DUPLICATE = 0.85  # Jaccard similarity of character bigrams
TEMPLATE_MIN_PROBES = 3  # seen in at least this many other probes


def _bigrams(text: str) -> set[str]:
    han = re.findall(r"[\u4e00-\u9fff]+", text)
    return {run[i : i + 2] for run in han for i in range(len(run) - 1)} - COMMON_BIGRAMS


def on_topic(reply: str, question: str) -> bool:
    """Does the reply share at least two content bigrams with the question?"""
    return len(_bigrams(reply) & _bigrams(question)) >= 2


def normalize(text: str) -> str:
    """Template key: width-folded, lowercase, no spaces or punctuation, digits as 0."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"\d+", "0", text)
    return "".join(ch for ch in text if ch.isalnum())


def _shingles(key: str) -> frozenset[str]:
    return frozenset(key[i : i + 2] for i in range(len(key) - 1))


def _near(a: str, b: str, shingles_a: frozenset[str], shingles_b: frozenset[str]) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < 0.8 * max(len(a), len(b)):
        return False
    return len(shingles_a & shingles_b) / max(1, len(shingles_a | shingles_b)) >= NEAR_DUPLICATE


def similar(a: str, b: str) -> bool:
    """Near-duplicate texts (both already normalized)."""
    return _near(a, b, _shingles(a), _shingles(b))


class TemplateIndex:
    """Platform-side texts seen in probes, to recognise templates by repetition."""

    def __init__(self, rows: Iterable[tuple[str, str, str]] = ()):
        self.seen: dict[str, tuple[set[str], set[str]]] = {}  # key -> (probe ids, platforms)
        self.shingles: dict[str, frozenset[str]] = {}
        # Live classification asks about the same texts at every new message: remember answers
        # until the index changes (at the end of each probe).
        self.answers: dict[tuple[str, str], tuple[int, int]] = {}
        for text, probe_id, platform in rows:
            self.add(text, probe_id, platform)

    def add(self, text: str, probe_id: str, platform: str) -> None:
        key = normalize(text)
        if len(key) < MIN_TEMPLATE_CHARS:
            return
        self.answers.clear()
        probes, platforms = self.seen.setdefault(key, (set(), set()))
        probes.add(probe_id)
        platforms.add(platform)
        self.shingles.setdefault(key, _shingles(key))

    def evidence(self, text: str, exclude_probe: str) -> tuple[int, int]:
        """(other probes, platforms) with the same or a near-duplicate text."""
        key = normalize(text)
        if len(key) < MIN_TEMPLATE_CHARS:
            return 0, 0
        if (key, exclude_probe) not in self.answers:
            self.answers[(key, exclude_probe)] = self._evidence(key, exclude_probe)
        return self.answers[(key, exclude_probe)]

    def _evidence(self, key: str, exclude_probe: str) -> tuple[int, int]:
        probes: set[str] = set()
        platforms: set[str] = set()
        mine = _shingles(key)
        for other, (other_probes, other_platforms) in self.seen.items():
            others = other_probes - {exclude_probe}
            if others and _near(key, other, mine, self.shingles[other]):
                probes |= others
                platforms |= other_platforms
        return len(probes), len(platforms)


@dataclass
class MessageFacts:
    """One message as observed: all a verdict is computed from."""

    side: str  # platform / visitor
    stamp: float  # ms on one clock for the whole probe (the page's)
    text: str
    sender: str = ""
    dom_bot: bool = False
    typing_at: float | None = None  # when a typing indicator showed before it


@dataclass
class ProbeFacts:
    probe_id: str
    platform: str
    question: str
    question_stamp: float | None
    handoff_stamp: float | None
    claimed_status: str = "unknown"
    claimed_text: str = ""
    max_wait_s: float = 600.0
    time_scale: float = 1.0
    failure: tuple[str, str] | None = None  # (outcome, reason) when no conversation happened

    def since_question(self, stamp: float) -> float:
        """Seconds from the question to `stamp`, on one timeline: simulated time on sandbox
        platforms (see config.to_real_seconds), real time everywhere else."""
        return to_simulated_seconds(max(0.0, stamp - (self.question_stamp or 0.0)) / 1000, self.time_scale)


@dataclass
class Kind:
    kind: str  # greeting / bot / auto / human
    confidence: float
    reasons: list[str] = field(default_factory=list)


def classify_messages(probe: ProbeFacts, messages: list[MessageFacts],
                      templates: TemplateIndex | None = None) -> list[Kind | None]:
    """The kind of every platform-side message (None for ours), given all messages so far."""
    templates = templates or TemplateIndex()
    kinds: list[Kind | None] = []
    for i, m in enumerate(messages):
        kinds.append(None if m.side == "visitor" else _classify(i, probe, messages, kinds, templates))
    return kinds


def _previous_visitor(messages: list[MessageFacts], index: int) -> int | None:
    return next((j for j in range(index - 1, -1, -1) if messages[j].side == "visitor"), None)


def _answering_since(index: int, messages: list[MessageFacts], kinds: list[Kind | None],
                     question_stamp: float) -> float:
    """When the person (or program) behind message `index` can have started on it: our earliest
    message it may answer, i.e. the first one since a person last wrote (greetings, bots and
    templates answer nothing). If a typing indicator was already showing before that, it
    answers an even earlier one. A person whose answer crosses our 转人工 is thus never timed
    from the 转人工: no false accusation from our own timing."""
    m = messages[index]
    earlier = messages[:index]
    last_reply = max((o.stamp for o, k in zip(earlier, kinds, strict=False)
                      if k is not None and k.kind == "human"), default=None)
    ours = [o.stamp for o in earlier if o.side == "visitor"]
    unanswered = [s for s in ours if last_reply is None or s > last_reply]
    since = unanswered[0] if unanswered else (ours[-1] if ours else question_stamp)
    if m.typing_at is not None and m.typing_at < since:
        since = max((s for s in ours if s <= m.typing_at), default=question_stamp)
    return since


def _classify(index: int, probe: ProbeFacts, messages: list[MessageFacts], kinds: list[Kind | None],
              templates: TemplateIndex) -> Kind:
    m = messages[index]
    q = probe.question_stamp
    if q is None or m.stamp < q:
        return Kind("greeting", 0.95, ["appeared before our first message"])
    if m.dom_bot:
        return Kind("bot", 0.95, ["the widget marks it as a bot or system message (chat.bot)"])
    if m.sender and BOT_SENDER.search(m.sender):
        return Kind("bot", 0.9, [f"sender name {m.sender}"])
    asked = _previous_visitor(messages, index)
    elapsed_s = probe.since_question(m.stamp) - probe.since_question(_answering_since(index, messages, kinds, q))
    elapsed = f"{elapsed_s:.1f} s"
    greeting_like = bool(GREETING.search(m.text)) and not on_topic(m.text, probe.question)
    first_answer = not any(o.side == "platform" and q <= o.stamp < m.stamp for o in messages)
    if greeting_like and first_answer and elapsed_s < MIN_HUMAN_REPLY_S:
        return Kind("greeting", 0.8, [f"a welcome line {elapsed} after our message: "
                                      "too fast to be an answer"])
    key = normalize(m.text)
    if len(key) >= MIN_TEMPLATE_CHARS:
        for j, other in enumerate(messages):
            if j != index and other.side == "platform" and other.stamp >= q and similar(key, normalize(other.text)) \
                    and _previous_visitor(messages, j) != asked:
                return Kind("bot", 0.85, ["the same text again in answer to a different message of ours "
                                          "(a bot answering by rote)"])
    stall = next((phrase for phrase in STALLING if phrase in m.text), None)
    if stall and not on_topic(m.text, probe.question):
        return Kind("auto", 0.85, [f"stalling template ({stall}) that does not address the question"])
    probes, platforms = templates.evidence(m.text, probe.probe_id)
    if probes >= TEMPLATE_MIN_PROBES:
        return Kind("auto", 0.8, [f"same text as replies in {probes} other probes on {platforms} "
                                  f"platform{'s' if platforms != 1 else ''}"])
    if greeting_like:
        return Kind("auto", 0.75, ["a canned greeting that does not address the question"])
    if elapsed_s < MIN_HUMAN_REPLY_S:
        return Kind("auto", 0.8, [f"replied {elapsed} after our message with {len(m.text)} characters"])
    if len(m.text) > elapsed_s * MAX_HUMAN_CHARS_PER_S:
        return Kind("auto", 0.7, [f"{len(m.text)} characters {elapsed} after our message: "
                                  "faster than a person types"])
    reasons = [f"replied {elapsed} after our message with {len(m.text)} characters"]
    confidence = 0.6
    if m.typing_at is not None:
        confidence += 0.2
        reasons.append("typing indicator shown before it")
    if on_topic(m.text, probe.question):
        confidence += 0.1
        reasons.append("addresses the question")
    return Kind("human", round(confidence, 2), reasons)


@dataclass
class Verdict:
    outcome: str
    fake_online: bool = False
    bot_loop: bool = False
    template_only: bool = False
    first_reply_ms: float | None = None
    first_human_ms: float | None = None
    reasons: list[str] = field(default_factory=list)


def format_wait(seconds_: float) -> str:
    """A duration as people say it: "6 h", "5 min", "42 s"."""
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds_ >= size and seconds_ % size == 0:
            return f"{seconds_ / size:g} {unit}"
    return f"{seconds_:g} s"


def decide(probe: ProbeFacts, messages: list[MessageFacts], kinds: list[Kind | None]) -> Verdict:
    """One outcome and the flags of a probe (DESIGN.md section 5), with reasons."""
    if probe.failure is not None:
        outcome, reason = probe.failure
        return Verdict(outcome, reasons=[reason])
    q = probe.question_stamp
    waited = format_wait(probe.max_wait_s)
    answers = [(m, k) for m, k in zip(messages, kinds, strict=True)
               if k is not None and k.kind != "greeting" and q is not None and m.stamp >= q]
    humans = [m for m, k in answers if k.kind == "human"]
    verdict = Verdict("no_reply")
    if answers:
        verdict.first_reply_ms = round(answers[0][0].stamp - q, 1)
    if humans:
        verdict.outcome = "human"
        verdict.first_human_ms = round(humans[0].stamp - q, 1)
        verdict.reasons.append(f"a human replied {probe.since_question(humans[0].stamp):.1f} s after the question")
    elif answers:
        verdict.outcome = "auto_only"
        kinds_seen = sorted({k.kind for _, k in answers})
        verdict.reasons.append(f"only automated replies ({', '.join(kinds_seen)}) within {waited}")
    elif probe.claimed_status == "offline":
        verdict.outcome = "offline_declared"
        verdict.reasons.append(f"the widget said offline ({probe.claimed_text}) and nobody replied")
    else:
        verdict.reasons.append(f"no reply within {waited}")
    if probe.claimed_status == "online" and verdict.outcome in ("no_reply", "auto_only"):
        verdict.fake_online = True
        verdict.reasons.append(f"fake online: the widget claimed online ({probe.claimed_text}) but "
                               f"{'nobody' if verdict.outcome == 'no_reply' else 'no human'} answered within {waited}")
    if probe.handoff_stamp is not None and not humans:
        after_handoff = [k for m, k in answers if m.stamp >= probe.handoff_stamp]
        if after_handoff:
            verdict.bot_loop = True
            verdict.reasons.append(f"bot loop: asked for a human, got {len(after_handoff)} automated "
                                   f"repl{'y' if len(after_handoff) == 1 else 'ies'} and no human within {waited}")
    if answers and all(k.kind == "auto" for _, k in answers):
        verdict.template_only = True
        verdict.reasons.append("template only: every reply was a greeting or a stalling template")
    return verdict
