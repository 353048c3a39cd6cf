"""CSV exports for consumer groups: ratings, probes and messages, UTF-8 with a BOM by default
so that Excel shows Chinese correctly. Column names are plain and documented in the README."""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

from .config import to_simulated_seconds
from .ratings import rate_all
from .store import Store

RATINGS_COLUMNS = [
    "rank", "platform", "name", "grade", "score", "probes", "human_reached", "human_rate", "human_rate_low",
    "human_rate_high", "fake_online_rate", "fake_online_rate_low", "fake_online_rate_high", "bot_loop_rate",
    "bot_loop_rate_low", "bot_loop_rate_high", "first_reply_median_s", "first_reply_p90_s",
    "first_human_median_s", "first_human_p90_s", "promise_s", "promise_kept_rate",
    "peak_first_human_median_s", "offpeak_first_human_median_s", "needs_review",
]
PROBES_COLUMNS = [
    "probe_id", "platform", "platform_name", "started_at", "tag", "vantage", "question", "claimed_status",
    "outcome", "fake_online", "bot_loop", "template_only", "first_reply_s", "first_human_s", "replies",
    "handoff_sent", "reasons", "screenshot",
]
MESSAGES_COLUMNS = [
    "probe_id", "platform", "probe_started_at", "seq", "side", "at_s", "text", "sender", "kind", "confidence",
    "reasons",
]
KINDS = {"ratings": RATINGS_COLUMNS, "probes": PROBES_COLUMNS, "messages": MESSAGES_COLUMNS}


def _seconds(ms: float | None, time_scale: float | None) -> float | None:
    return None if ms is None else round(to_simulated_seconds(ms / 1000, time_scale or 1.0), 1)


def _reasons(value: str | None) -> str:
    return "; ".join(json.loads(value)) if value else ""


def _probe_rows(store: Store, platform: str | None, since: str) -> list[dict[str, Any]]:
    where, params = ["p.state != 'running'", "p.started_at >= ?"], [since]
    if platform:
        where.append("p.platform = ?")
        params.append(platform)
    sql = ("select p.*, f.name as platform_name from probes p join platforms f on f.slug = p.platform "
           f"where {' and '.join(where)} order by p.started_at, p.id")
    return list(store.db.query(sql, params))


def rows_for(store: Store, kind: str, platform: str | None = None, since: str = "") -> list[dict[str, Any]]:
    if kind == "ratings":
        return [r for r in rate_all(store, since) if platform in (None, r["platform"])]
    probes = _probe_rows(store, platform, since)
    if kind == "probes":
        return [{
            "probe_id": p["id"], "platform": p["platform"], "platform_name": p["platform_name"],
            "started_at": p["started_at"], "tag": p["tag"], "vantage": p["vantage"], "question": p["question"],
            "claimed_status": p["claimed_status"], "outcome": p["outcome"], "fake_online": p["fake_online"],
            "bot_loop": p["bot_loop"], "template_only": p["template_only"],
            "first_reply_s": _seconds(p["first_reply_ms"], p["time_scale"]),
            "first_human_s": _seconds(p["first_human_ms"], p["time_scale"]), "replies": p["platform_messages"],
            "handoff_sent": int(p["handoff_at_ms"] is not None), "reasons": _reasons(p["reasons"]),
            "screenshot": p["screenshot"],
        } for p in probes]
    rows = []
    for p in probes:
        for m in store.messages(p["id"]):
            rows.append({
                "probe_id": p["id"], "platform": p["platform"], "probe_started_at": p["started_at"],
                "seq": m["seq"], "side": m["side"], "at_s": None if m["at_ms"] is None else round(m["at_ms"] / 1000, 3),
                "text": m["text"], "sender": m["sender"], "kind": m["kind"], "confidence": m["confidence"],
                "reasons": _reasons(m["reasons"]),
            })
    return rows


def write_csv(rows: list[dict[str, Any]], columns: list[str], out: TextIO, bom: bool = True) -> None:
    if bom:
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
