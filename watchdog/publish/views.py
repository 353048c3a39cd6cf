"""What the published pages say, from stored rows: figures in words and units, a probe's
transcript as a chat, a platform's days, in the reader's language (`lang`, i18n). Pure: the
plugin queries, these functions word it, the templates lay it out (and escape it: every text
here is page text, untrusted)."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..i18n import EN, N_, duration_words, translate, when_words
from ..reasons import loads, word, words
from ..records import UNRATED
from ..timescale import simulated_seconds, to_simulated_seconds
from .ratings import INDUSTRY_THRESHOLD_S, INSUFFICIENT, MIN_PROBES

Row = dict[str, Any]

# Every flag but this accuses (shown red); a stock answer is an answer, told apart.
NEUTRAL_FLAGS = ("stock_answer",)
FLAGS_SHOWN = (
    "fake_online",
    "bot_loop",
    "read_no_reply",
    "queue_stuck",
    "handoff_broken",
    "template_only",
    "stock_answer",
)
# What makes a probe an incident (the feeds, a platform's incidents): the flags that accuse.
INCIDENT_FLAGS = ("fake_online", "bot_loop", "read_no_reply", "queue_stuck", "handoff_broken")
GOOD = ("human",)
BAD = ("auto_only", "no_reply")


def duration(seconds: float | None, lang: str) -> str:
    return "—" if seconds is None else duration_words(seconds, lang)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def reasons(value: str | None, lang: str) -> list[str]:
    """A stored JSON list of reasons in the reader's language (reasons from before codes as
    they were written); anything else is shown as one reason."""
    return [words(reason, lang) for reason in loads(value)]


def flags(probe: Row, lang: str) -> list[tuple[str, str]]:
    """The probe's flags in words, each with its badge's tone."""
    return [
        (word(f"flag.{name}", lang), "neutral" if name in NEUTRAL_FLAGS else "bad")
        for name in FLAGS_SHOWN
        if probe.get(name)
    ]


@dataclass
class Figures:
    """A platform's rating in words."""

    slug: str
    name: str
    rank: int | None
    grade: str
    score: str
    probes: int
    human: str  # "63% (39–81%)"
    median: str  # "1 min 32 s", or why there is none
    fake: str  # "2 of 12" (probes)
    bot_loop: str
    read_no_reply: str  # 已读不回, "1 of 12"
    queue: str  # "3 ahead at first, moved in 1 of 2" or "—"
    promise: str  # "80% (≤ 1 min)": the share answered by a human within the promise
    peak: str
    offpeak: str
    notes: list[str] = field(default_factory=list)  # insufficient data, needs review: explained

    @property
    def grade_class(self) -> str:
        return f"grade-{self.grade.lower()}" if len(self.grade) == 1 else "grade-none"


def _count(rate: float | None, probes: int) -> int:
    return 0 if rate is None else round(rate * probes)


def figures(row: Row, lang: str) -> Figures:
    probes = row.get("probes") or 0
    low, high = row.get("human_rate_low"), row.get("human_rate_high")
    human = percent(row.get("human_rate"))
    if row.get("human_rate") is not None and low is not None and high is not None:
        human += f" ({low * 100:.0f}–{high * 100:.0f}%)"
    median = duration(row.get("first_human_median_s"), lang)
    if row.get("first_human_median_s") is None:
        median = translate(lang, N_("no human reply")) if probes else "—"
    promise_s = row.get("promise_s")
    within = duration_words(promise_s or INDUSTRY_THRESHOLD_S, lang)
    kept = row.get("promise_kept_rate")
    notes = []
    if row.get("needs_review"):  # also why a platform may have too few probes counted
        count = row["needs_review"]
        notes.append(
            translate(lang, N_("%(count)s probe(s) need review: chat not found or not seen")) % {"count": count}
        )
    elif row.get("grade") == INSUFFICIENT:
        notes.append(translate(lang, N_("under %(count)s probes counted: not rated yet")) % {"count": MIN_PROBES})

    def of(rate: float | None) -> str:
        return translate(lang, N_("%(count)s of %(probes)s")) % {"count": _count(rate, probes), "probes": probes}

    return Figures(
        slug=row["platform"],
        name=row.get("name") or row["platform"],
        rank=row.get("rank"),
        grade=translate(lang, N_("not enough data")) if row.get("grade") == INSUFFICIENT else (row.get("grade") or "—"),
        score="—" if row.get("score") is None else f"{row['score']:.0f}",
        probes=probes,
        human=human,
        median=median,
        fake=of(row.get("fake_online_rate")) if probes else "—",
        bot_loop=of(row.get("bot_loop_rate")) if probes else "—",
        read_no_reply=of(row.get("read_no_reply_rate")) if probes else "—",
        queue=queue_words(row, lang),
        promise="—" if kept is None else f"{percent(kept)} (≤ {within})",
        peak=duration(row.get("peak_first_human_median_s"), lang),
        offpeak=duration(row.get("offpeak_first_human_median_s"), lang),
        notes=notes,
    )


def queue_words(row: Row, lang: str) -> str:
    """How a platform's queues went: the median first place, and how often it moved."""
    queued = row.get("queued") or 0
    if not queued or row.get("queue_place_median") is None:
        return "—"
    moved = round((row.get("queue_moved_rate") or 0) * queued)
    said = N_("%(place)s ahead at first (median); moved in %(moved)s of %(queued)s")
    return translate(lang, said) % {"place": f"{row['queue_place_median']:g}", "moved": moved, "queued": queued}


@dataclass
class Bubble:
    ours: bool
    kind: str
    kind_words: str
    text: str
    sender: str
    when: str  # "+25.3 s" after our question, or "before our question"
    reasons: list[str]
    read: str = ""  # our question: when the widget showed it read ("read +3.1 s")


def since_question(at_ms: float | None, question_at_ms: float | None, time_scale: float | None, lang: str = EN) -> str:
    """When a message showed, in the seconds the reasons speak."""
    if at_ms is None:
        return translate(lang, N_("seen at the end"))
    if question_at_ms is None or at_ms < question_at_ms:
        return translate(lang, N_("before our question"))
    seconds = to_simulated_seconds((at_ms - question_at_ms) / 1000, time_scale or 1.0)
    return translate(lang, N_("+%(seconds)s s")) % {"seconds": f"{seconds:.1f}"}  # as the reasons say it


def transcript(probe: Row, messages: list[Row], lang: str) -> list[Bubble]:
    """The messages as the chat showed them, in the order of their page times (a notice found
    when the list was learned comes where it stood); those seen only at the end come last."""
    shown = sorted(messages, key=lambda m: (m.get("at_ms") is None, m.get("at_ms") or 0.0, m.get("seq") or 0))
    return [
        Bubble(
            ours=m["side"] == "visitor",
            kind=m.get("kind") or "",
            kind_words=word(m.get("kind") or "unknown", lang),
            text=m.get("text") or "",
            sender=m.get("sender") or "",
            when=since_question(m.get("at_ms"), probe.get("question_at_ms"), probe.get("time_scale"), lang),
            reasons=reasons(m.get("reasons"), lang),
            read=read_words(probe, lang) if m.get("kind") == "question" else "",
        )
        for m in shown
    ]


def read_words(probe: Row, lang: str) -> str:
    """When the widget showed our question read, in words ("" when it never did)."""
    read_s = simulated_seconds(probe.get("read_ms"), probe.get("time_scale"))
    return "" if read_s is None else translate(lang, N_("read +%(seconds)s s")) % {"seconds": f"{read_s:.1f}"}


@dataclass
class ProbeSummary:
    id: str
    started_at: str
    outcome: str
    outcome_words: str
    tone: str  # good / bad / neutral
    flags: list[tuple[str, str]]  # (words, the badge's tone)
    first_human: str
    reasons: list[str]


def signals(probe: Row, lang: str) -> list[str]:
    """What the chat showed besides replies, in words: when our question turned read, and the
    places in its queue as they went."""
    said = [read] if (read := read_words(probe, lang)) else []
    places = [place for _, place in json.loads(probe.get("queue_places") or "[]")]
    if places:
        shown = " → ".join(str(place) for place in places)
        said.append(translate(lang, N_("queue %(places)s")) % {"places": shown})
    return said


def probe_summary(probe: Row, lang: str) -> ProbeSummary:
    outcome = probe.get("outcome") or "running"
    first_human = simulated_seconds(probe.get("first_human_ms"), probe.get("time_scale"))
    return ProbeSummary(
        id=probe["id"],
        started_at=when_words(probe.get("started_at"), lang),
        outcome=outcome,
        outcome_words=word(f"outcome.{outcome}", lang),
        tone="good" if outcome in GOOD else "bad" if outcome in BAD else "neutral",
        flags=flags(probe, lang),
        first_human=duration(first_human, lang),
        reasons=reasons(probe.get("reasons"), lang),
    )


@dataclass
class Day:
    day: str
    probes: int
    humans: int
    median_s: float | None

    @property
    def rate(self) -> float:
        return self.humans / self.probes if self.probes else 0.0


def days(probes: list[Row]) -> list[Day]:
    """Per day (UTC): probes counted as the ratings count them, human reached, median to a human."""
    by_day: dict[str, list[Row]] = defaultdict(list)
    for probe in probes:
        if probe.get("outcome") and probe["outcome"] not in UNRATED:
            by_day[(probe.get("started_at") or "")[:10]].append(probe)
    found = []
    for day in sorted(by_day):
        counted = by_day[day]
        times = [
            s
            for p in counted
            if p["outcome"] == "human" and (s := simulated_seconds(p.get("first_human_ms"), p.get("time_scale")))
        ]
        humans = sum(1 for p in counted if p["outcome"] == "human")
        found.append(Day(day, len(counted), humans, statistics.median(times) if times else None))
    return found


def day_chart(series: list[Day], lang: str) -> str:
    """Two small SVG panels (human reached per day, median time to a human), drawn to scale
    with the page: a viewBox, no fixed width. Only numbers and dates go in: nothing to escape."""
    if not series:
        return ""
    width, height, pad = 600, 140, 30
    step = (width - 2 * pad) / max(1, len(series))
    bars, dots, labels = [], [], []
    of = translate(lang, N_("%(count)s of %(probes)s"))
    slowest = max((d.median_s for d in series if d.median_s is not None), default=0) or 1
    for i, d in enumerate(series):
        x = pad + i * step
        bar = (height - 2 * pad) * d.rate
        bars.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{height - pad - bar:.1f}" width="{step * 0.7:.1f}" '
            f'height="{bar:.1f}" class="bar"><title>{d.day}: {of % {"count": d.humans, "probes": d.probes}}'
            "</title></rect>"
        )
        if d.median_s is not None:
            y = height - pad - (height - 2 * pad) * d.median_s / slowest
            dots.append(
                f'<circle cx="{x + step / 2:.1f}" cy="{y:.1f}" r="4" class="dot">'
                f"<title>{d.day}: {duration_words(d.median_s, lang)}</title></circle>"
            )
        if len(series) <= 10 or i % max(1, len(series) // 8) == 0:
            labels.append(f'<text x="{x + step / 2:.1f}" y="{height - 8}" class="label">{d.day[5:]}</text>')
    axis = f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" class="axis"/>'
    top = f'<text x="{pad}" y="{pad - 8}" class="label">100%</text>'
    slow = f'<text x="{pad}" y="{pad - 8}" class="label">{duration_words(slowest, lang)}</text>'

    def panel(title: str, body: list[str], scale: str) -> str:
        return (
            f'<figure class="chart"><figcaption>{title}</figcaption>'
            f'<svg viewBox="0 0 {width} {height}" role="img" preserveAspectRatio="xMidYMid meet">'
            f"{axis}{scale}{''.join(body)}{''.join(labels)}</svg></figure>"
        )

    reached, median = N_("Human reached, per day"), N_("Median time to a human, per day")
    return panel(translate(lang, reached), bars, top) + panel(translate(lang, median), dots, slow)
