"""Comparative ratings per platform (DESIGN.md section 7), recomputed from stored probes.

Score (0-100) = 40 x reach + 30 x speed + 20 x honesty + 10 x promise, where
  reach    = share of probes in which a human replied (in stock words or their own: the
             stock answers' share is its own column, stock_answer_rate)
  speed    = 1 if the median time to a human reply is 60 s or less, 0 if 15 min or more,
             on a log scale between (0 when no human ever replied)
  honesty  = 1 - share of probes flagged fake_online
  promise  = share of probes whose first human reply came within the platform's own
             [promise] first_response, else within 15 minutes
Grades: A >= 85, B >= 70, C >= 55, D >= 40, else F; "insufficient data" under 5 probes.
Probes with outcome probe_error (our fault) or chat_missing (needs review) are left out.
Times are in seconds (simulated seconds for sandbox platforms).

Follow-ups (留言 / 工单: a message left on the platform's form, answered by e-mail) are figures
of their own, never in the score or the rank: the messages left in the window, the share a
person answered within 24 h and within 48 h (of those left at least that long ago, or settled),
the median delay of the first human answer, the platform's own promise, and the messages that
could not be left (needs review).
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from ..i18n import N_
from ..records import UNRATED, FollowUpState, Outcome, ProbeRecord
from ..store import Store, utc_now
from ..timescale import simulated_seconds

FORMULA = N_(
    "score = 40 × reach (human-reached rate) + 30 × speed (median time to a human: ≤ 60 s full "
    "marks, ≥ 15 min none, log scale between) + 20 × honesty (1 − fake-online rate) + 10 × promise "
    "(share answered by a human within the platform's own promise, else 15 min); "
    "grade A ≥ 85, B ≥ 70, C ≥ 55, D ≥ 40, else F; fewer than 5 probes: insufficient data"
)
EXCLUDED_OUTCOMES = UNRATED
DEFAULT_WINDOW_DAYS = 30.0
MIN_PROBES = 5
INDUSTRY_THRESHOLD_S = 15 * 60
FULL_SPEED_S, NO_SPEED_S = 60.0, 15 * 60.0
GRADES = ((85, "A"), (70, "B"), (55, "C"), (40, "D"))
INSUFFICIENT = "insufficient data"


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    """95% Wilson score interval of a proportion."""
    if n == 0:
        return None, None
    p = successes / n
    denominator = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return round(max(0.0, center - half), 4), round(min(1.0, center + half), 4)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share 0.5 is the lower median for even counts)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def speed_score(median_s: float | None) -> float:
    if median_s is None:
        return 0.0
    if median_s <= FULL_SPEED_S:
        return 1.0
    if median_s >= NO_SPEED_S:
        return 0.0
    return 1 - math.log(median_s / FULL_SPEED_S) / math.log(NO_SPEED_S / FULL_SPEED_S)


def grade(score: float | None) -> str:
    if score is None:
        return INSUFFICIENT
    return next((letter for floor, letter in GRADES if score >= floor), "F")


def _seconds(probe: ProbeRecord, ms: float | None) -> float | None:
    return simulated_seconds(ms, probe.time_scale)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


@dataclass(frozen=True)
class Window:
    """The probes rated: those started in the last `days` (default 30), or since a given moment."""

    days: float = DEFAULT_WINDOW_DAYS
    start: datetime | None = None

    def since(self) -> str:
        start = self.start or datetime.now(UTC) - timedelta(days=self.days)
        return start.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def rate_platform(platform: dict[str, Any], probes: list[ProbeRecord]) -> dict[str, Any]:
    """One platform's ratings row from its finished probes in the window (all outcomes)."""
    counted = [p for p in probes if p.outcome not in EXCLUDED_OUTCOMES]
    n = len(counted)
    humans = [p for p in counted if p.outcome == Outcome.HUMAN]
    fake = sum(1 for p in counted if p.fake_online)
    loops = sum(1 for p in counted if p.bot_loop)
    stock = sum(1 for p in humans if p.stock_answer)
    read_unanswered = sum(1 for p in counted if p.read_no_reply)
    queued = [[place for _, place in p.queue_places] for p in counted if p.queue_places]
    moved = sum(1 for places in queued if any(b < a for a, b in zip(places, places[1:], strict=False)))
    first_reply = [s for p in counted if (s := _seconds(p, p.first_reply_ms)) is not None]
    first_human = [s for p in humans if (s := _seconds(p, p.first_human_ms)) is not None]
    promise_s = platform["promise_first_response_s"] or INDUSTRY_THRESHOLD_S
    kept = sum(1 for s in first_human if s <= promise_s)
    by_tag = {
        tag: [s for p in humans if p.tag == tag and (s := _seconds(p, p.first_human_ms)) is not None]
        for tag in ("peak", "offpeak")
    }
    row: dict[str, Any] = {
        "platform": platform["slug"],
        "name": platform["name"],
        "probes": n,
        "needs_review": sum(1 for p in probes if p.needs_review),
        "human_reached": len(humans),
        "human_rate": round(len(humans) / n, 4) if n else None,
        "fake_online_rate": round(fake / n, 4) if n else None,
        "bot_loop_rate": round(loops / n, 4) if n else None,
        "stock_answer_rate": round(stock / n, 4) if n else None,
        "read_no_reply_rate": round(read_unanswered / n, 4) if n else None,
        "queued": len(queued),  # probes in which the chat showed a place in a queue...
        "queue_place_median": _median([places[0] for places in queued]),  # ...the first place it showed
        "queue_moved_rate": round(moved / len(queued), 4) if queued else None,  # ...and how often it went down
        "first_reply_median_s": _median(first_reply),
        "first_reply_p90_s": percentile(first_reply, 0.9),
        "first_human_median_s": _median(first_human),
        "first_human_p90_s": percentile(first_human, 0.9),
        "promise_s": promise_s,
        "promise_kept_rate": round(kept / n, 4) if n else None,
        "peak_first_human_median_s": _median(by_tag["peak"]),
        "offpeak_first_human_median_s": _median(by_tag["offpeak"]),
    }
    row["human_rate_low"], row["human_rate_high"] = wilson(len(humans), n)
    row["fake_online_rate_low"], row["fake_online_rate_high"] = wilson(fake, n)
    row["bot_loop_rate_low"], row["bot_loop_rate_high"] = wilson(loops, n)
    score = None
    if n >= MIN_PROBES:
        score = round(
            40 * row["human_rate"]
            + 30 * speed_score(row["first_human_median_s"])
            + 20 * (1 - row["fake_online_rate"])
            + 10 * row["promise_kept_rate"],
            1,
        )
    row["score"], row["grade"] = score, grade(score)
    return row


def rate_all(store: Store, window: Window) -> list[dict[str, Any]]:
    """Ratings rows of every platform from its finished probes in the window, best first."""
    return ranked(rate(store, window))


def rate(store: Store, window: Window, slugs: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Ratings rows (unranked) of the given platforms, or all, from their finished probes in
    the window: one platform's probes in memory at a time, whatever the history."""
    platforms = {row["slug"]: row for row in store.platforms() if slugs is None or row["slug"] in slugs}
    rows = {
        slug: rate_platform(platforms[slug], list(probes))
        for slug, probes in itertools.groupby(store.rated_probes(window.since(), slugs), lambda p: p.platform)
        if slug in platforms
    }
    left = follow_ups_by_platform(store.follow_ups(), window.since())
    now = datetime.now(UTC)
    return [
        (rows.get(slug) or rate_platform(platform, [])) | follow_up_figures(left.get(slug, []), now)
        for slug, platform in platforms.items()
    ]


# -- follow-ups (留言 / 工单): their own figures ------------------------------------------------

FOLLOW_UP_HOURS = (24, 48)


class LeftMessage(NamedTuple):
    """A message left, as its figures need it."""

    settled: bool  # answered, auto_only or unanswered: no longer waiting
    age_s: float  # since it was left
    human_delay_s: float | None  # to the first human answer


@dataclass(frozen=True)
class FollowUpCounts:
    """A platform's follow-ups in the window, counted: what its 留言 figures are made of."""

    left: list[LeftMessage]
    not_left: int  # could not be left (a phone number required, no form...): cases to review
    promise_h: float | None  # the platform's own promise of an answer, as it last stated one...
    promise: str  # ...in its words ("24小时内回复")

    def answered_within(self, hours: float) -> tuple[int, int]:
        """(answered by a person within `hours`, counted): those left at least `hours` ago or
        settled count; one still waiting and younger than that is not counted yet."""
        limit = hours * 3600
        counted = [m.human_delay_s for m in self.left if m.settled or m.age_s >= limit]
        return sum(1 for delay in counted if delay is not None and delay <= limit), len(counted)

    @property
    def median_s(self) -> float | None:
        """The median delay of the first human answer."""
        return _median([m.human_delay_s for m in self.left if m.human_delay_s is not None])


def follow_ups_by_platform(follow_ups: list[dict[str, Any]], since: str = "") -> dict[str, list[dict[str, Any]]]:
    """The stored follow-ups (oldest first) left or tried since `since` (UTC ISO), by platform."""
    by_platform: dict[str, list[dict[str, Any]]] = {}
    for row in follow_ups:
        if row["submitted_at"] >= since:
            by_platform.setdefault(row["platform"], []).append(row)
    return by_platform


def count_follow_ups(follow_ups: list[dict[str, Any]], now: datetime) -> FollowUpCounts:
    """One platform's stored follow-ups (oldest first), counted as of `now`."""
    left = [
        LeftMessage(
            row["state"] != FollowUpState.PENDING,
            (now - utc_moment(row["submitted_at"])).total_seconds(),
            row["human_delay_s"],
        )
        for row in follow_ups
        if row["state"] != FollowUpState.NOT_LEFT
    ]
    promised = [row for row in follow_ups if row.get("promise_h") is not None]
    latest = promised[-1] if promised else {}
    return FollowUpCounts(left, len(follow_ups) - len(left), latest.get("promise_h"), latest.get("promise") or "")


def follow_up_figures(follow_ups: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """A platform's 留言 columns of the ratings (all null when it has no follow-up)."""
    if not follow_ups:
        return dict.fromkeys(FOLLOW_UP_COLUMNS)
    counts = count_follow_ups(follow_ups, now)
    row: dict[str, Any] = {"follow_ups": len(counts.left)}
    for hours in FOLLOW_UP_HOURS:
        answered, counted = counts.answered_within(hours)
        row[f"follow_up_{hours}h_rate"] = round(answered / counted, 4) if counted else None
    row["follow_up_median_s"] = counts.median_s
    row["follow_up_promise_h"] = counts.promise_h
    row["follow_up_review"] = counts.not_left
    return row


FOLLOW_UP_COLUMNS = (
    "follow_ups",
    *(f"follow_up_{hours}h_rate" for hours in FOLLOW_UP_HOURS),
    "follow_up_median_s",
    "follow_up_promise_h",
    "follow_up_review",
)


def utc_moment(stamp: str) -> datetime:
    """A stored UTC time (2026-12-07T13:27:01.500Z) as an aware datetime."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows best first, each with its rank (None when unrated)."""
    # Ties go to the platform whose people answer faster.
    rows.sort(
        key=lambda r: (
            r["score"] is None,
            -(r["score"] or 0),
            -(r["human_rate"] or 0),
            r["first_human_median_s"] if r["first_human_median_s"] is not None else math.inf,
            r["platform"],
        )
    )
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank if row["score"] is not None else None
    return rows


def compute_ratings(
    store: Store, window: Window | None = None, platforms: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Recompute the stored ratings table over the window (default: the last 30 days), the
    one the pages publish; returns it. With `platforms` (those a run probed) only their rows
    are recomputed, the others kept as stored (if stored over the same window), and all
    ranked again."""
    window = window or Window()
    kept = [] if platforms is None or window.start is not None else store.ratings()
    if any(row["window_days"] != window.days for row in kept):
        kept, platforms = [], None
    fresh = rate(store, window, platforms)
    computed_at = utc_now()
    for row in fresh:
        row["window_days"] = window.days if window.start is None else None
        row["computed_at"] = computed_at
    recomputed = {row["platform"] for row in fresh}
    rows = ranked(fresh + [row for row in kept if row["platform"] not in recomputed])
    store.replace_ratings(rows)
    return rows
