"""CSV exports for consumer groups: ratings, probes and messages, UTF-8 with a BOM by default
so that Excel shows Chinese correctly. Column names are plain and documented in the README."""

from __future__ import annotations

import csv
from datetime import datetime
from typing import Any, TextIO

from ..store import Store
from ..timescale import simulated_seconds
from .masking import mask_row
from .ratings import Window, rate_all

RATINGS_COLUMNS = [
    "rank",
    "platform",
    "name",
    "grade",
    "score",
    "probes",
    "human_reached",
    "human_rate",
    "human_rate_low",
    "human_rate_high",
    "fake_online_rate",
    "fake_online_rate_low",
    "fake_online_rate_high",
    "bot_loop_rate",
    "bot_loop_rate_low",
    "bot_loop_rate_high",
    "first_reply_median_s",
    "first_reply_p90_s",
    "first_human_median_s",
    "first_human_p90_s",
    "promise_s",
    "promise_kept_rate",
    "peak_first_human_median_s",
    "offpeak_first_human_median_s",
    "needs_review",
]
PROBES_COLUMNS = [
    "probe_id",
    "platform",
    "platform_name",
    "started_at",
    "tag",
    "vantage",
    "question",
    "claimed_status",
    "outcome",
    "fake_online",
    "bot_loop",
    "template_only",
    "first_reply_s",
    "first_human_s",
    "replies",
    "handoff_sent",
    "needs_review",
    "reasons",
    "screenshot",
]
MESSAGES_COLUMNS = [
    "probe_id",
    "platform",
    "probe_started_at",
    "seq",
    "side",
    "at_s",
    "text",
    "sender",
    "kind",
    "confidence",
    "reasons",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = {"ratings": RATINGS_COLUMNS, "probes": PROBES_COLUMNS, "messages": MESSAGES_COLUMNS}


def rows_for(
    store: Store, kind: str, platform: str | None = None, since: datetime | None = None, *, masked: bool = True
) -> list[dict[str, Any]]:
    """The rows of one export, personal data masked as public mode masks it (unless not
    `masked`). Ratings are computed as published (the last 30 days), or over the probes since
    `since`; probes and messages are those that ended, oldest first."""
    rows = _rows(store, kind, platform, since)
    return [mask_row(kind, row) for row in rows] if masked else rows


def _rows(store: Store, kind: str, platform: str | None, since: datetime | None) -> list[dict[str, Any]]:
    if kind == "ratings":
        window = Window(start=since) if since else Window()
        return [r for r in rate_all(store, window) if platform in (None, r["platform"])]
    stamp = since.strftime("%Y-%m-%dT%H:%M:%S") if since else ""
    names = {p["slug"]: p["name"] for p in store.platforms()}
    probes = store.probes(platform=platform, since=stamp, ended=True)
    if kind == "probes":
        return [
            {
                "probe_id": p.id,
                "platform": p.platform,
                "platform_name": names.get(p.platform),
                "started_at": p.started_at,
                "tag": p.tag,
                "vantage": p.vantage,
                "question": p.question,
                "claimed_status": p.claimed_status,
                "outcome": p.outcome,
                "fake_online": int(p.fake_online),
                "bot_loop": int(p.bot_loop),
                "template_only": int(p.template_only),
                "first_reply_s": simulated_seconds(p.first_reply_ms, p.time_scale),
                "first_human_s": simulated_seconds(p.first_human_ms, p.time_scale),
                "replies": p.platform_messages,
                "handoff_sent": int(p.handoff_sent),
                "needs_review": int(p.needs_review),
                "reasons": "; ".join(p.reasons),
                "screenshot": p.screenshot,
            }
            for p in probes
        ]
    return [
        {
            "probe_id": p.id,
            "platform": p.platform,
            "probe_started_at": p.started_at,
            "seq": m.seq,
            "side": m.side,
            "at_s": None if m.at_ms is None else round(m.at_ms / 1000, 3),
            "text": m.text,
            "sender": m.sender,
            "kind": m.kind,
            "confidence": m.confidence,
            "reasons": "; ".join(m.reasons),
        }
        for p in probes
        for m in store.messages(p.id)
    ]


def write_csv(rows: list[dict[str, Any]], columns: list[str], out: TextIO, bom: bool = True) -> None:
    if bom:
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({key: spreadsheet_safe(value) for key, value in row.items()} for row in rows)


def spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=, +, -, @, or a tab or carriage return
    first) gets a leading apostrophe, which spreadsheets show as text; numbers stay numbers."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value
