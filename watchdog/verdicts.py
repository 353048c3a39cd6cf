"""Computing and storing verdicts: at the end of each probe, and again for stored probes
(`watchdog reclassify`) when the rules improve, without probing again."""

from __future__ import annotations

import json
from typing import Any

from .classify import MessageFacts, ProbeFacts, TemplateIndex, Verdict, classify_messages, decide
from .store import Store


def record_verdict(store: Store, probe: ProbeFacts, messages: list[MessageFacts], seqs: list[int],
                   templates: TemplateIndex, notes: list[str]) -> Verdict:
    """Classify every message and decide the probe; store both in one transaction."""
    kinds = classify_messages(probe, messages, templates)
    verdict = decide(probe, messages, kinds)
    with store.db.atomic():
        for seq, kind in zip(seqs, kinds, strict=True):
            if kind is not None:
                store.update_message(probe.probe_id, seq, {"kind": kind.kind, "confidence": kind.confidence,
                                                           "reasons": kind.reasons})
        store.update_probe(probe.probe_id, {
            "outcome": verdict.outcome, "fake_online": verdict.fake_online, "bot_loop": verdict.bot_loop,
            "template_only": verdict.template_only, "first_reply_ms": verdict.first_reply_ms,
            "first_human_ms": verdict.first_human_ms, "reasons": verdict.reasons + notes,
            "failure": probe.failure[0] if probe.failure else None,
            "failure_reason": probe.failure[1] if probe.failure else None,
            "platform_messages": sum(1 for m in messages if m.side == "platform"),
        })
    return verdict


def facts_from_rows(row: dict[str, Any], message_rows: list[dict[str, Any]]) -> tuple[ProbeFacts, list[MessageFacts]]:
    """Rebuild what a probe observed from its stored rows (times are the stored offsets)."""
    failure = (row["failure"], row["failure_reason"]) if row["failure"] else None
    probe = ProbeFacts(
        probe_id=row["id"], platform=row["platform"], question=row["question"] or "",
        question_stamp=row["question_at_ms"], handoff_stamp=row["handoff_at_ms"],
        claimed_status=row["claimed_status"] or "unknown", claimed_text=row["claimed_status_text"] or "",
        max_wait_s=row["max_wait_s"] or 600.0, time_scale=row["time_scale"] or 1.0, failure=failure,
    )
    messages = [MessageFacts(side=m["side"], stamp=m["at_ms"], text=m["text"], sender=m["sender"] or "",
                             dom_bot=bool(m["dom_bot"]), typing_at=m["typing_ms"]) for m in message_rows]
    return probe, messages


def reclassify(store: Store, platform: str | None = None) -> dict[str, int]:
    """Recompute every finished probe's verdict (of one platform, or all) from its messages.

    Templates are recognised against all other probes in the database. Returns how many
    probes were recomputed and how many of them changed outcome or flags.
    """
    templates = TemplateIndex(store.platform_texts())
    where, params = "state != 'running'", []
    if platform:
        where, params = where + " and platform = ?", [platform]
    counts = {"probes": 0, "changed": 0}
    for row in list(store.db["probes"].rows_where(where, params, order_by="started_at")):
        if row["state"] == "interrupted":
            continue  # nothing to recompute: the probe never ended
        message_rows = store.messages(row["id"])
        probe, messages = facts_from_rows(row, message_rows)
        before = (row["outcome"], row["fake_online"], row["bot_loop"], row["template_only"])
        verdict = record_verdict(store, probe, messages, [m["seq"] for m in message_rows], templates,
                                 json.loads(row["notes"] or "[]"))
        counts["probes"] += 1
        counts["changed"] += before != (verdict.outcome, int(verdict.fake_online), int(verdict.bot_loop),
                                        int(verdict.template_only))
    return counts
