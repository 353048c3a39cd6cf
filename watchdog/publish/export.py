"""CSV exports for consumer groups: ratings, probes and messages, UTF-8 with a BOM by default
so that Excel shows Chinese correctly. Column names are plain and documented in the README."""

from __future__ import annotations

import csv
import functools
import itertools
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TextIO

from ..records import ProbeRecord
from ..store import Store
from ..timescale import simulated_seconds
from .masking import MASKED, Mask
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
# Text a spreadsheet would run as a formula gets a leading apostrophe, which spreadsheets show
# as text; numbers stay numbers.
FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))
KINDS = {"ratings": RATINGS_COLUMNS, "probes": PROBES_COLUMNS, "messages": MESSAGES_COLUMNS}
BATCH = 2000  # rows cleaned at a time
# Columns read as stored (JSON lists of reasons) and written as their items joined by "; ".
JSON_LISTS = {"ratings": set[str](), "probes": set[str](), "messages": {"reasons"}}
# Columns that may hold text from a page or a person (slugs, ids, times and our own words
# cannot): masked there, and escaped where a spreadsheet would run them.
FREE_TEXT = {
    "ratings": {"name"},
    "probes": {"platform_name", "tag", "vantage", "question", "reasons", "screenshot"},
    "messages": {"text", "sender", "reasons"},
}
assert all(set(MASKED.get(kind, {})) & set(KINDS[kind]) <= FREE_TEXT[kind] for kind in KINDS)


def rows_for(
    store: Store, kind: str, platform: str | None = None, since: datetime | None = None, *, masked: bool = True
) -> Iterator[Sequence[Any]]:
    """The rows of one export as cells in KINDS[kind]'s order, ready for a spreadsheet:
    personal data masked as public mode masks it (unless not `masked`), and text a spreadsheet
    would run as a formula escaped. Ratings are computed as published (the last 30 days), or
    over the probes since `since`; probes and messages are those that ended, oldest first, read
    in one query as they are written (constant memory however long the history)."""
    masks = MASKED.get(kind, {}) if masked else {}
    cleaners = [
        (i, _cleaner(masks.get(column), joined=column in JSON_LISTS[kind]))
        for i, column in enumerate(KINDS[kind])
        if column in FREE_TEXT[kind]
    ]
    return _cleaned(_rows(store, kind, platform, since), cleaners)


def _cleaned(
    rows: Iterable[Sequence[Any]], cleaners: list[tuple[int, Callable[[Any], Any]]]
) -> Iterator[Sequence[Any]]:
    """The rows with each cleaner applied to its column, a batch at a time and column-wise:
    zip and map do the per-row work in C (an export of a year is millions of rows)."""
    rows = iter(rows)

    def clean_batch(batch: list[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        columns: list[Iterable[Any]] = list(zip(*batch, strict=True))
        for i, clean in cleaners:
            columns[i] = map(clean, columns[i])
        return zip(*columns, strict=True)

    batches = iter(lambda: list(itertools.islice(rows, BATCH)), [])
    return itertools.chain.from_iterable(map(clean_batch, batches))


def _cleaner(mask: Mask | None, *, joined: bool) -> Callable[[Any], Any]:
    """One column's cells masked (`mask`), escaped where a spreadsheet would run them, and
    (`joined`) a stored JSON list written as its items joined by "; ". Cached per column:
    greetings, templates and reasons repeat."""

    @functools.lru_cache(maxsize=4096)
    def clean(value: Any) -> Any:
        if joined:
            value = "; ".join(json.loads(value or "[]"))
        if mask is not None:
            value = mask(value)
        return "'" + value if value and value[0] in FORMULA_STARTS else value

    return clean


def _rows(store: Store, kind: str, platform: str | None, since: datetime | None) -> Iterator[Sequence[Any]]:
    if kind == "ratings":
        window = Window(start=since) if since else Window()
        rated = (r for r in rate_all(store, window) if platform in (None, r["platform"]))
        return ([row.get(column) for column in RATINGS_COLUMNS] for row in rated)
    stamp = since.strftime("%Y-%m-%dT%H:%M:%S") if since else ""
    if kind == "probes":
        return (_probe_row(p, name) for p, name in store.ended_probes(platform, stamp))
    return store.ended_messages(platform, stamp)


def _probe_row(p: ProbeRecord, name: str | None) -> list[Any]:
    return [
        p.id,
        p.platform,
        name,
        p.started_at,
        p.tag,
        p.vantage,
        p.question,
        p.claimed_status,
        p.outcome,
        int(p.fake_online),
        int(p.bot_loop),
        int(p.template_only),
        simulated_seconds(p.first_reply_ms, p.time_scale),
        simulated_seconds(p.first_human_ms, p.time_scale),
        p.platform_messages,
        int(p.handoff_sent),
        int(p.needs_review),
        "; ".join(p.reasons),
        p.screenshot,
    ]


def write_csv(rows: Iterable[Sequence[Any]], columns: list[str], out: TextIO, bom: bool = True) -> int:
    """The rows (as `rows_for` gives them) as CSV, as they come; returns how many."""
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    counter = itertools.count()
    writer.writerows(map(operator.itemgetter(0), zip(rows, counter, strict=False)))  # counted as they pass, in C
    return next(counter)
