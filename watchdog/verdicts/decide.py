"""A probe's outcome and flags (DESIGN.md section 5), from its messages and their kinds."""

from __future__ import annotations

from ..formatting import format_wait
from ..records import ACCUSING, Claimed, Classification, Kind, MessageRecord, Outcome, ProbeRecord, Seen, Side, Verdict
from .classify import at, classify_messages
from .lines import says_no_agent
from .templates import Templates


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
    waited = format_wait(probe.max_wait_s)
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
        verdict.reasons.append(f"a human replied {probe.since_question(at(humans[0])):.1f} s after the question")
    elif stock and q is not None:
        verdict.outcome = Outcome.HUMAN
        verdict.stock_answer = True
        verdict.first_human_ms = round(at(stock[0]) - q, 1)
        verdict.reasons.append(
            f"answered in stock words {probe.since_question(at(stock[0])):.1f} s after the question "
            "(a quick reply or a macro that addresses it), and no free-form reply"
        )
    elif no_agent is not None:
        verdict.outcome = Outcome.OFFLINE_DECLARED
        verdict.reasons.append(
            f"the chat said no agent is on duty after we asked ({no_agent.text[:40]!r}) and no human replied"
        )
    elif answers:
        verdict.outcome = Outcome.AUTO_ONLY
        kinds_seen = sorted({k.kind.value for _, k in answers})
        verdict.reasons.append(f"only automated replies ({', '.join(kinds_seen)}) within {waited}")
    elif probe.claimed_status == Claimed.OFFLINE:
        verdict.outcome = Outcome.OFFLINE_DECLARED
        verdict.reasons.append(f"the widget said offline ({probe.claimed_status_text}) and nobody replied")
    else:
        verdict.reasons.append(f"no reply within {waited}")
    blind = _blind(probe, verdict, messages)
    if blind is not None:
        return blind
    if probe.claimed_status == Claimed.ONLINE and verdict.outcome in ACCUSING:
        verdict.fake_online = True
        nobody = "nobody" if verdict.outcome == Outcome.NO_REPLY else "no human"
        claimed = f"the widget claimed online ({probe.claimed_status_text})"
        verdict.reasons.append(f"fake online: {claimed} but {nobody} answered within {waited}")
    if probe.handoff_at_ms is not None and not humans and not stock:
        after_handoff = [k for m, k in answers if at(m) >= probe.handoff_at_ms]
        if after_handoff:
            verdict.bot_loop = True
            replies = f"{len(after_handoff)} automated repl{'y' if len(after_handoff) == 1 else 'ies'}"
            verdict.reasons.append(f"bot loop: asked for a human, got {replies} and no human within {waited}")
    if answers and all(k.kind == Kind.AUTO for _, k in answers):
        verdict.template_only = True
        verdict.reasons.append("template only: every reply was a greeting or a stalling template")
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
        why = (
            f"our question never showed among the observed messages ({observed} platform message(s) observed): "
            "check chat.message and chat.visitor in the platform file"
        )
    elif unknown and not timed_human:
        why = (
            f"the widget marks as ours {unknown} message(s) we never sent, so whose they are is unknown: "
            "check chat.visitor in the platform file"
        )
    elif missed and not timed_human:
        why = (
            f"the screen shows {missed} platform message(s) the observer never reported: "
            "check chat.message and chat.frame in the platform file"
        )
    elif verdict.outcome in ACCUSING and not probe.screen_checked:
        why = (
            "the chat could not be read at the end, so the transcript was never checked against the screen: "
            "see the probe's notes, and chat.message in the platform file"
        )
    else:
        return None
    return Verdict(Outcome.BLIND, reasons=[f"blind: the probe could not see the conversation: {why}"])
