"""A probe's outcome and flags (DESIGN.md section 5), from its messages and their kinds."""

from __future__ import annotations

from ..reasons import Reason
from ..records import ACCUSING, Claimed, Classification, Kind, MessageRecord, Outcome, ProbeRecord, Seen, Side, Verdict
from ..timescale import to_simulated_seconds
from .classify import at, classify_messages
from .lines import announces_agent, queue_place, says_no_agent
from .templates import Templates

# A place in a queue that stands this long (simulated seconds on sandbox platforms) has not moved.
QUEUE_STUCK_S = 300.0


def judge(probe: ProbeRecord, messages: list[MessageRecord], templates: Templates | None) -> Verdict:
    """Classify every platform-side message and decide the probe: the kinds and the verdict
    are written into the records (the caller stores them)."""
    kinds = classify_messages(probe, messages, templates)
    verdict = decide(probe, messages, kinds)
    for message, kind in zip(messages, kinds, strict=True):
        if kind is not None:
            message.classify(kind)
    probe.apply(verdict)
    probe.platform_messages = sum(1 for m in messages if m.side == Side.PLATFORM)
    return verdict


def decide(probe: ProbeRecord, messages: list[MessageRecord], kinds: list[Classification | None]) -> Verdict:
    """One outcome and the flags of a probe (DESIGN.md section 5), with reasons. No accusation
    without proof of sight (see `_blind`)."""
    if probe.failure is not None:
        return Verdict(probe.failure, reasons=[probe.failure_reason or ""])
    q = probe.question_at_ms
    waited = probe.max_wait_s
    answers = [
        (m, k)
        for m, k in zip(messages, kinds, strict=True)
        if k is not None and k.kind not in (Kind.GREETING, Kind.SYSTEM) and q is not None and at(m) >= q
    ]
    # The chat itself said, after we asked, that no agent is on duty: an honest offline claim.
    no_agent = next(
        (
            m
            for m, k in zip(messages, kinds, strict=True)
            if k is not None and q is not None and at(m) >= q and says_no_agent(m.text)
        ),
        None,
    )
    humans = [m for m, k in answers if k.kind == Kind.HUMAN]
    # Stock words that address the question answer it (a quick reply, a macro): never silence.
    stock = [m for m, k in answers if k.kind == Kind.STOCK_ANSWER]
    verdict = Verdict(Outcome.NO_REPLY)
    if answers and q is not None:
        verdict.first_reply_ms = round(at(answers[0][0]) - q, 1)
    if humans and q is not None:
        verdict.outcome = Outcome.HUMAN
        verdict.first_human_ms = round(at(humans[0]) - q, 1)
        verdict.reasons.append(Reason("human_replied", seconds=probe.since_question(at(humans[0]))))
    elif stock and q is not None:
        verdict.outcome = Outcome.HUMAN
        verdict.stock_answer = True
        verdict.first_human_ms = round(at(stock[0]) - q, 1)
        verdict.reasons.append(Reason("stock_answered", seconds=probe.since_question(at(stock[0]))))
    elif no_agent is not None:
        verdict.outcome = Outcome.OFFLINE_DECLARED
        verdict.reasons.append(Reason("no_agent_after_question", quote=no_agent.text[:40]))
    elif answers:
        verdict.outcome = Outcome.AUTO_ONLY
        kinds_seen = sorted({k.kind.value for _, k in answers})
        verdict.reasons.append(Reason("automated_only", kinds=kinds_seen, waited=waited))
    elif probe.claimed_status == Claimed.OFFLINE:
        verdict.outcome = Outcome.OFFLINE_DECLARED
        verdict.reasons.append(Reason("offline_no_reply", claimed=probe.claimed_status_text))
    else:
        verdict.reasons.append(Reason("no_reply", waited=waited))
    blind = _blind(probe, verdict, messages)
    if blind is not None:
        return blind
    if probe.claimed_status == Claimed.ONLINE and verdict.outcome in ACCUSING:
        verdict.fake_online = True
        code = "fake_online_nobody" if verdict.outcome == Outcome.NO_REPLY else "fake_online_no_human"
        verdict.reasons.append(Reason(code, claimed=probe.claimed_status_text, waited=waited))
    if probe.handoff_at_ms is not None and not humans and not stock:
        after_handoff = [k for m, k in answers if at(m) >= probe.handoff_at_ms]
        if after_handoff:
            verdict.bot_loop = True
            verdict.reasons.append(Reason("bot_loop", count=len(after_handoff), waited=waited))
    verdict.queue_places = [[round(since, 1), place] for since, place in _queue_places(probe, messages)]
    if verdict.outcome in ACCUSING:  # what the chat promised instead of an answer
        stuck = _queue_stuck(probe, messages)
        if stuck is not None:
            verdict.queue_stuck = True
            verdict.reasons.append(stuck)
        broken = _handoff_broken(probe, messages)
        if broken is not None:
            verdict.handoff_broken = True
            verdict.reasons.append(broken)
        if probe.read_ms is not None:  # 已读不回: shown read, and nobody answered
            verdict.read_no_reply = True
            read_s = to_simulated_seconds(probe.read_ms / 1000, probe.time_scale)
            verdict.reasons.append(Reason("read_no_reply", seconds=read_s, waited=probe.max_wait_s))
    if answers and all(k.kind == Kind.AUTO for _, k in answers):
        verdict.template_only = True
        verdict.reasons.append(Reason("template_only"))
    return verdict


def _blind(probe: ProbeRecord, verdict: Verdict, messages: list[MessageRecord]) -> Verdict | None:
    """Proof of sight: an accusing outcome needs our question recorded as the widget showed it,
    and the transcript checked against the chat on screen at the end; any outcome but a
    properly timed human needs every message on screen then to be in the transcript. Without
    that, the probe is `blind`: it never counts against a platform."""
    sight = any(m.side == Side.VISITOR and m.kind == Kind.QUESTION and m.seen == Seen.LIVE for m in messages)
    # A notice of the chat's own seen only at the end answers nothing: it cannot hide a reply.
    missed = sum(1 for m in messages if m.side == Side.PLATFORM and m.seen == Seen.END and m.kind != Kind.SYSTEM)
    observed = sum(1 for m in messages if m.side == Side.PLATFORM and m.seen == Seen.LIVE)
    unknown = sum(1 for m in messages if m.kind == Kind.UNKNOWN)
    timed_human = verdict.outcome == Outcome.HUMAN and sight
    if verdict.outcome in ACCUSING and not sight:
        why = Reason("blind_question_unseen", observed=observed)
    elif unknown and not timed_human:
        why = Reason("blind_unknown_ours", count=unknown)
    elif missed and not timed_human:
        why = Reason("blind_unreported", count=missed)
    elif verdict.outcome in ACCUSING and not probe.screen_checked:
        why = Reason("blind_unchecked")
    else:
        return None
    return Verdict(Outcome.BLIND, reasons=[why])


def _after_question(probe: ProbeRecord, messages: list[MessageRecord]) -> list[MessageRecord]:
    q = probe.question_at_ms
    return [m for m in messages if m.side == Side.PLATFORM and m.at_ms is not None and q is not None and at(m) >= q]


def _queue_places(probe: ProbeRecord, messages: list[MessageRecord]) -> list[tuple[float, int]]:
    """The places in a queue the chat showed after our question, each with its time."""
    return [
        (probe.since_question(at(m)), place)
        for m in _after_question(probe, messages)
        if (place := queue_place(m.text)) is not None
    ]


def _queue_stuck(probe: ProbeRecord, messages: list[MessageRecord]) -> Reason | None:
    """A place in a queue (the chat's own words, each with its time) that grew, or stood for
    QUEUE_STUCK_S: from its first showing to the next other place, or to the end of the wait."""
    places = _queue_places(probe, messages)
    for (_, before), (_, after) in zip(places, places[1:], strict=False):
        if after > before:
            return Reason("queue_grew", before=before, after=after, waited=probe.max_wait_s)
    runs: list[tuple[float, float, int]] = []  # (from, until, place)
    for index, (since, place) in enumerate(places):
        if runs and runs[-1][2] == place:
            continue
        until = next((t for t, other in places[index + 1 :] if other != place), max(probe.max_wait_s, places[-1][0]))
        runs.append((since, until, place))
    stood = max(runs, key=lambda run: run[1] - run[0], default=None)
    if stood is None or stood[1] - stood[0] < QUEUE_STUCK_S:
        return None
    return Reason("queue_stuck", place=stood[2], held=stood[1] - stood[0], waited=probe.max_wait_s)


def _handoff_broken(probe: ProbeRecord, messages: list[MessageRecord]) -> Reason | None:
    """The chat announced a person (an agent assigned, a transfer under way), then none came."""
    announced = next((m for m in _after_question(probe, messages) if announces_agent(m.text)), None)
    if announced is None:
        return None
    since = probe.since_question(at(announced))
    return Reason("handoff_broken", quote=announced.text[:40], seconds=since, waited=probe.max_wait_s)
