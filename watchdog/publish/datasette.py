"""Publishing with Datasette: bundled metadata (Chinese and English), canned queries,
charts (our own plugin, JavaScript bundled: nothing from a CDN), evidence screenshots, and a
`--public` mode that serves a masked snapshot with arbitrary SQL switched off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette.app import Datasette
from datasette.plugins import pm

from ..i18n import ZH, translate
from ..masking import MASKED
from ..store import open_store
from ..store.snapshot import sync_snapshot
from . import plugin
from .ratings import FORMULA

FORMULA_ZH = translate(ZH, FORMULA)

TEMPLATES = Path(__file__).parent / "templates"
LICENSE = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")
SOURCE = (
    "kefu-watchdog probes: a real browser asks each platform the same pre-sales question",
    "https://github.com/kefu-watchdog/kefu-watchdog",
)

QUERIES = {
    "leaderboard": {
        "title": "排行榜 Leaderboard",
        "description": "Platforms by score, best first. " + FORMULA,
        "sql": """select rank, name, platform, grade, score, probes,
  human_rate, human_rate_low, human_rate_high,
  fake_online_rate, fake_online_rate_low, fake_online_rate_high,
  bot_loop_rate, stock_answer_rate, read_no_reply_rate, queue_place_median, queue_moved_rate,
  first_reply_median_s, first_human_median_s, first_human_p90_s,
  promise_kept_rate, needs_review,
  follow_ups, follow_up_24h_rate, follow_up_48h_rate, follow_up_median_s, follow_up_promise_h, follow_up_review
from ratings order by rank is null, rank, platform""",
    },
    "platform_history": {
        "title": "平台历史 One platform's history",
        "description": "Every probe of one platform, newest first, with its outcome and evidence.",
        "sql": """select p.id as probe_id, p.started_at, p.tag, p.claimed_status, p.outcome,
  p.fake_online, p.bot_loop, p.template_only, p.stock_answer, p.queue_stuck, p.handoff_broken, p.read_no_reply,
  watchdog_seconds(p.read_ms, p.time_scale) as read_s,
  watchdog_seconds(p.first_reply_ms, p.time_scale) as first_reply_s,
  watchdog_seconds(p.first_human_ms, p.time_scale) as first_human_s, p.reasons, p.screenshot
from probes p where p.platform = :platform and p.state != 'running' order by p.started_at desc""",
    },
    "incidents": {
        "title": "事件 Incidents: fake online and bot loops",
        "description": "Probes flagged fake_online (widget said online, no human answered) or bot_loop "
        "(asked for a human, got only bots), with their reasons, transcript and screenshot.",
        "sql": """select p.started_at, f.name, p.platform,
  case when p.fake_online and p.bot_loop then 'fake online + bot loop 伪在线+机器人循环'
       when p.fake_online then 'fake online 伪在线' else 'bot loop 机器人循环' end as incident,
  p.claimed_status, p.outcome, p.reasons, p.id as probe_id, p.screenshot
from probes p join platforms f on f.slug = p.platform
where p.fake_online = 1 or p.bot_loop = 1 order by p.started_at desc""",
    },
    "peak_vs_offpeak": {
        "title": "高峰与非高峰 Peak vs off-peak",
        "description": "Median seconds to a human reply in probes tagged peak and offpeak.",
        "sql": """select name, platform, peak_first_human_median_s, offpeak_first_human_median_s,
  round(peak_first_human_median_s - offpeak_first_human_median_s, 1) as peak_slower_by_s
from ratings order by rank is null, rank""",
    },
}

COLUMNS = {
    "ratings": {
        "rank": "排名 Rank by score",
        "grade": "等级 Grade A-F, or insufficient data under 5 probes",
        "score": "得分 Score 0-100: " + FORMULA,
        "probes": "Probes counted (probe_error and chat_missing left out)",
        "human_rate": "真人触达率 Share of probes in which a human replied",
        "human_rate_low": "Wilson 95% interval, low end",
        "human_rate_high": "Wilson 95% interval, high end",
        "fake_online_rate": "伪在线率 Share flagged fake online",
        "bot_loop_rate": "机器人循环率 Share flagged bot loop",
        "stock_answer_rate": "快捷回复率 Share answered by a human only in stock words (a quick reply or a macro that "
        "addresses the question): counted in the human rate, shown apart",
        "read_no_reply_rate": "已读不回率 Share whose question the widget showed as read, then no human answered",
        "queued": "排队次数 Probes in which the chat showed a place in a queue",
        "queue_place_median": "排队位置中位数 Median first place shown, in the probes that queued",
        "queue_moved_rate": "排队前进率 Share of the probes that queued in which the place went down",
        "first_reply_median_s": "Median seconds to the first reply of any kind",
        "first_human_median_s": "真人回复中位时间 Median seconds to the first human reply",
        "first_human_p90_s": "90th percentile seconds to the first human reply",
        "promise_kept_rate": "守诺率 Share answered by a human within the platform's promise (else 15 min)",
        "needs_review": "Probes to check by hand, not rated: the chat was not found (chat_missing) or the probe "
        "could not see the conversation (blind)",
        "follow_ups": "留言 Messages left on the platform's 留言 / 工单 form (where the chat said offline): "
        "a figure of its own, never in the score",
        "follow_up_24h_rate": "24小时回复率 Share of the messages left answered by a person within 24 h (of those "
        "left at least 24 h ago, or settled)",
        "follow_up_48h_rate": "48小时回复率 Share answered by a person within 48 h (of those left at least 48 h ago, "
        "or settled)",
        "follow_up_median_s": "Median seconds from leaving the message to a person's first answer",
        "follow_up_promise_h": 'The platform\'s own promise of an answer, in hours ("24小时内回复"), as last stated',
        "follow_up_review": "Messages that could not be left (no form, a phone or QQ number required, ...): to review",
    },
    "probes": {
        "outcome": "human / auto_only / no_reply / offline_declared / unreachable / chat_missing / blind / "
        "im_only / probe_error (chat_missing and blind: needs review, not rated; im_only: no web chat, QQ/WeChat "
        "only, not rated)",
        "claimed_status": "What the widget claimed: online / offline / unknown",
        "fake_online": "1: claimed online, but no human answered within max_wait",
        "bot_loop": "1: asked for a human (转人工), got only bot or automated replies",
        "template_only": "1: answered only with greetings and stalling templates",
        "stock_answer": "1: answered, but only in stock words (a quick reply or a macro that addresses the question)",
        "queue_stuck": "1: a place in the chat's queue did not move for 5 min, or grew, and no human answered",
        "handoff_broken": "1: the chat announced an agent or a transfer, then no human answered",
        "read_no_reply": "1: 已读不回: the widget showed our question as read, then no human answered",
        "read_ms": "Measured page time from our question to the widget showing it read (ms)",
        "read_by": "How the widget showed it read: text=已读 (its words), or the read marker's selector",
        "queue_places": "The places in the chat's queue as it showed them: [[seconds after our question, place], ...]",
        "first_reply_ms": "Measured page time from our question to the first reply (ms)",
        "first_human_ms": "Measured page time from our question to the first human reply (ms)",
        "reasons": "Why: the verdict's reasons, then what the probe noticed",
        "screenshot": "Evidence: the chat at the end of the probe",
    },
    "messages": {
        "side": "platform or visitor (us)",
        "at_ms": "In-page time since the page started loading (ms)",
        "kind": "greeting / bot / auto / stock_answer / human / system (ours: question / handoff)",
        "confidence": "0-1",
        "reasons": "Why this kind",
    },
    "follow_ups": {
        "id": "The follow-up (on the public copy: a hash of the tag its replies are recognised by)",
        "probe_id": "The probe that found the chat offline and left the message",
        "submitted_at": "When the form was submitted (UTC)",
        "state": "pending / answered (a person answered) / auto_only (only automatic receipts in 7 days) / "
        "unanswered (nothing in 7 days) / not_left (the form was not submitted: see problem)",
        "human_delay_s": "Seconds from leaving the message to a person's first answer",
        "form_fields": "The form as submitted: [{label, kind, required, value}] (our address masked on the "
        "public copy)",
        "confirmation": "What the page said after the submit",
        "promise_h": "The platform's own promise of an answer, in hours",
        "problem": "Why it was not left: no_form / needs_phone / needs_qq / asks_order / captcha / no_contact / "
        "unknown_required / not_sent",
    },
    "follow_up_replies": {
        "follow_up": "The follow-up it answers",
        "received_at": "When it came (UTC)",
        "kind": "auto (an automatic receipt) or human (a person's answer)",
        "reason": "Why that kind",
    },
}

# What a --public snapshot keeps of each table; everything else (hosts, process ids, frame
# URLs, notes, paths) stays private.
PUBLIC_COLUMNS = {
    "platforms": ["slug", "name", "url", "promise_first_response_s", "promise_hours", "promise_timezone"],
    "probes": [
        "id",
        "platform",
        "started_at",
        "state",
        "tag",
        "question",
        "question_at_ms",
        "handoff_at_ms",
        "claimed_status",
        "claimed_status_text",
        "outcome",
        "fake_online",
        "bot_loop",
        "template_only",
        "stock_answer",
        "queue_stuck",
        "handoff_broken",
        "read_no_reply",
        "read_ms",
        "queue_places",
        "first_reply_ms",
        "first_human_ms",
        "platform_messages",
        "reasons",
        "time_scale",
        "screenshot",
    ],  # emptied: a screenshot shows the unmasked chat
    "messages": ["probe_id", "seq", "side", "at_ms", "text", "sender", "kind", "confidence", "reasons"],
    "ratings": None,  # all of it
    # Not our address (masked in the form's fields), the form's URL (it may carry a session)
    # or the detail of a failure (an error may quote one).
    "follow_ups": [
        "id",  # hashed: the tag a reply is recognised by
        "probe_id",
        "platform",
        "submitted_at",
        "state",
        "first_reply_at",
        "first_human_at",
        "human_delay_s",
        "closed_at",
        "form_fields",
        "confirmation",
        "screenshot",  # emptied: the form's screenshot shows our address
        "promise_h",
        "promise",
        "problem",
    ],
    "follow_up_replies": ["follow_up", "message_id", "received_at", "sender", "subject", "text", "kind", "reason"],
}


def public_dir(db_path: Path) -> Path:
    """The public snapshot's folder, next to the database and named after it (`watchdog-public/`);
    the snapshot has the database's own name, so that the published addresses are the private ones."""
    return db_path.parent / f"{db_path.stem}-public"


def public_snapshot(db_path: Path, folder: Path) -> int:
    """Bring the public snapshot in `folder` up to date: only the public columns, personal data
    masked, no screenshots. Returns how many probes it copied (only those changed since)."""
    return sync_snapshot(db_path, folder / db_path.name, PUBLIC_COLUMNS, MASKED, kept=["messages"])


def metadata(database: str, public: bool) -> dict[str, Any]:
    tables = {
        "ratings": {"title": "评级 Ratings", "description": FORMULA_ZH + "\n" + FORMULA, "columns": COLUMNS["ratings"]},
        "probes": {
            "title": "探测 Probes",
            "description": "One row per probe run. 每次探测一行。",
            "columns": COLUMNS["probes"],
        },
        "messages": {
            "title": "对话 Transcripts",
            "description": "Every message of every probe, in order, "
            "with its in-page time and kind." + (" Personal data masked." if public else ""),
            "columns": COLUMNS["messages"],
        },
        "platforms": {"title": "平台 Platforms", "description": "The platforms probed and their own promises."},
        "follow_ups": {
            "title": "留言 Messages left",
            "description": "Where the chat said offline, our question left on the platform's 留言 / 工单 form "
            "with the watchdog's own mailbox, and whether a person answered by e-mail. 在线客服离线时，把同一个"
            "问题留言给平台，看有没有真人回复。" + (" Personal data masked." if public else ""),
            "columns": COLUMNS["follow_ups"],
        },
        "follow_up_replies": {
            "title": "留言回复 Replies to messages left",
            "description": "The e-mails that answered a message left, automatic or a person's."
            + (" Personal data masked." if public else ""),
            "columns": COLUMNS["follow_up_replies"],
        },
    }
    meta: dict[str, Any] = {
        "title": "客服看门狗 kefu-watchdog: 卡盟客服真的有人回复吗？ Do 卡盟 platforms really answer?",
        "description_html": (
            '<p class="watchdog-start"><a href="/-/leaderboard"><strong>排行榜 Leaderboard</strong></a> · '
            '<a href="/-/charts">图表 Charts</a></p>'
            "<p>每个平台由真实浏览器定时打开在线客服，发送同一个真实的售前问题，记录是否有真人回复、多快、"
            '是否"伪在线"或"机器人循环"。每个结论都附带理由与证据。</p>'
            "<p>A real browser regularly opens each platform's customer chat, asks the same genuine "
            "pre-sales question, and records whether a human answered, how fast, and whether the widget "
            "faked being online or looped a bot. Every verdict keeps its reasons and evidence.</p>"
            f"<p><strong>评分公式 Score:</strong> {FORMULA_ZH}<br>{FORMULA}</p>"
        ),
        "license": LICENSE[0],
        "license_url": LICENSE[1],
        "source": SOURCE[0],
        "source_url": SOURCE[1],
        "databases": {database: {"tables": tables, "queries": QUERIES}},
    }
    if public:
        meta["allow_sql"] = False
    return meta


def build_datasette(db_path: Path, public: bool = False, snapshot_dir: Path | None = None) -> Datasette:
    """A Datasette for the database: read-only; with `public`, its masked snapshot (in
    `snapshot_dir`, by default next to it: `public_dir`), brought up to date, without SQL."""
    with open_store(db_path, existing=True) as store:  # migrates an older database, and checks it is one
        evidence = store.evidence_dir
    served = db_path
    if public:
        folder = snapshot_dir or public_dir(db_path)
        public_snapshot(db_path, folder)
        served = folder / db_path.name
    if not pm.is_registered(plugin):
        pm.register(plugin, name="kefu_watchdog")
    settings = {
        "default_allow_sql": not public,
        "allow_download": not public,
        "sql_time_limit_ms": 3000,
        # Suggesting facets runs a query per column on every table page: most hit the time limit.
        "suggest_facets": False,
        "max_csv_mb": 0,  # the full CSV of a table is complete, however long the history
    }
    mounts = [] if public or not evidence.is_dir() else [("evidence", str(evidence))]
    return Datasette(
        [str(served)],
        metadata=metadata(served.stem, public),
        settings=settings,
        template_dir=str(TEMPLATES),
        static_mounts=mounts,
    )
