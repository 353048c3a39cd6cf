"""A probe's outcome and flags (DESIGN.md section 5), from its messages and their kinds."""

from __future__ import annotations

from ..formatting import format_wait
from ..records import Claimed, Classification, Kind, MessageRecord, Outcome, ProbeRecord, Side, Verdict
from .classify import classify_messages
from .templates import TemplateIndex


def judge(probe: ProbeRecord, messages: list[MessageRecord], templates: TemplateIndex) -> Verdict:
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
    """One outcome and the flags of a probe (DESIGN.md section 5), with reasons."""
    if probe.failure is not None:
        return Verdict(probe.failure, reasons=[probe.failure_reason or ""])
    q = probe.question_at_ms
    waited = format_wait(probe.max_wait_s)
    answers = [
        (m, k)
        for m, k in zip(messages, kinds, strict=True)
        if k is not None and k.kind != Kind.GREETING and q is not None and m.at_ms >= q
    ]
    humans = [m for m, k in answers if k.kind == Kind.HUMAN]
    verdict = Verdict(Outcome.NO_REPLY)
    if answers and q is not None:
        verdict.first_reply_ms = round(answers[0][0].at_ms - q, 1)
    if humans and q is not None:
        verdict.outcome = Outcome.HUMAN
        verdict.first_human_ms = round(humans[0].at_ms - q, 1)
        verdict.reasons.append(f"a human replied {probe.since_question(humans[0].at_ms):.1f} s after the question")
    elif answers:
        verdict.outcome = Outcome.AUTO_ONLY
        kinds_seen = sorted({k.kind.value for _, k in answers})
        verdict.reasons.append(f"only automated replies ({', '.join(kinds_seen)}) within {waited}")
    elif probe.claimed_status == Claimed.OFFLINE:
        verdict.outcome = Outcome.OFFLINE_DECLARED
        verdict.reasons.append(f"the widget said offline ({probe.claimed_status_text}) and nobody replied")
    else:
        verdict.reasons.append(f"no reply within {waited}")
    if probe.claimed_status == Claimed.ONLINE and verdict.outcome in (Outcome.NO_REPLY, Outcome.AUTO_ONLY):
        verdict.fake_online = True
        nobody = "nobody" if verdict.outcome == Outcome.NO_REPLY else "no human"
        verdict.reasons.append(
            f"fake online: the widget claimed online ({probe.claimed_status_text}) but "
            f"{nobody} answered within {waited}"
        )
    if probe.handoff_at_ms is not None and not humans:
        after_handoff = [k for m, k in answers if m.at_ms >= probe.handoff_at_ms]
        if after_handoff:
            verdict.bot_loop = True
            verdict.reasons.append(
                f"bot loop: asked for a human, got {len(after_handoff)} automated "
                f"repl{'y' if len(after_handoff) == 1 else 'ies'} and no human within {waited}"
            )
    if answers and all(k.kind == Kind.AUTO for _, k in answers):
        verdict.template_only = True
        verdict.reasons.append("template only: every reply was a greeting or a stalling template")
    return verdict
