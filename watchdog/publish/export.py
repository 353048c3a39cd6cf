"""CSV exports for consumer groups: ratings, probes and messages, and the follow-ups (留言: our
question left on a platform's form, answered by e-mail) with their replies, UTF-8 with a BOM
by default so that Excel shows Chinese correctly. Headers and reasons in the reader's language (Chinese
by default; `lang="en"` gives the plain column names documented in the docs, stable for
scripts); values (outcomes, kinds, times) are the stored codes and numbers in both."""

from __future__ import annotations

import collections
import csv
import functools
import io
import itertools
import multiprocessing
import operator
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

from ..i18n import DEFAULT, N_, translate
from ..masking import MASKED, Mask
from ..reasons import loads, words
from ..records import ProbeRecord
from ..store import ProbeRange, Store
from ..timescale import simulated_seconds
from .ratings import FOLLOW_UP_COLUMNS, FOLLOW_UP_HOURS, Window, count_follow_ups, rate_all, utc_moment

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
    "stock_answer_rate",
    "read_no_reply_rate",
    "queued",
    "queue_place_median",
    "queue_moved_rate",
    "first_reply_median_s",
    "first_reply_p90_s",
    "first_human_median_s",
    "first_human_p90_s",
    "promise_s",
    "promise_kept_rate",
    "peak_first_human_median_s",
    "offpeak_first_human_median_s",
    "needs_review",
    *FOLLOW_UP_COLUMNS,
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
    "stock_answer",
    "queue_stuck",
    "handoff_broken",
    "read_no_reply",
    "read_s",
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
# One row per message left (or tried), by its probe: its tag, our address and the form's URL
# stay out (the tag is what a reply is recognised by; a URL may carry a session).
FOLLOW_UPS_COLUMNS = [
    "probe_id",
    "platform",
    "platform_name",
    "submitted_at",
    "state",
    "problem",
    "replies",
    "first_reply_s",
    "first_human_s",
    *(f"answered_{hours}h" for hours in FOLLOW_UP_HOURS),  # 1, 0, or empty: not due yet
    "promise_h",
    "promise",
    "confirmation",
    "screenshot",
]
FOLLOW_UP_REPLIES_COLUMNS = [
    "probe_id",
    "platform",
    "received_at",
    "after_s",
    "kind",
    "sender",
    "subject",
    "text",
    "reason",
]
# Text a spreadsheet would run as a formula gets a leading apostrophe, which spreadsheets show
# as text; numbers stay numbers.
FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))
T = TypeVar("T")
R = TypeVar("R")
KINDS = {
    "ratings": RATINGS_COLUMNS,
    "probes": PROBES_COLUMNS,
    "messages": MESSAGES_COLUMNS,
    "follow_ups": FOLLOW_UPS_COLUMNS,
    "follow_up_replies": FOLLOW_UP_REPLIES_COLUMNS,
}
BATCH = 2000  # rows cleaned at a time
SLICE = 2000  # probes a worker process exports at a time (about 12,000 messages, 2-3 MB of CSV)
# Cells remembered per column: greetings, templates and reasons repeat, if not next to each
# other (16,384 texts are a few MB; 4,096 missed a third more on a year's messages).
CACHED = 16384
# Columns read as stored (JSON lists of reasons) and written as their items joined by "; ".
JSON_LISTS = {kind: {"reasons"} if kind == "messages" else set[str]() for kind in KINDS}
# Columns that may hold text from a page or a person (slugs, ids, times and our own words
# cannot): masked there, and escaped where a spreadsheet would run them.
FREE_TEXT = {
    "ratings": {"name"},
    "probes": {"platform_name", "tag", "vantage", "question", "reasons", "screenshot"},
    "messages": {"text", "sender", "reasons"},
    "follow_ups": {"platform_name", "promise", "confirmation", "screenshot"},
    "follow_up_replies": {"sender", "subject", "text", "reason"},
}
assert all(set(MASKED.get(kind, {})) & set(KINDS[kind]) <= FREE_TEXT[kind] for kind in KINDS)
# The Chinese headers: each column's name is its message id (English: the name itself).
HEADERS = {
    "rank": N_("rank"),
    "platform": N_("platform"),
    "name": N_("name"),
    "grade": N_("grade"),
    "score": N_("score"),
    "probes": N_("probes"),
    "human_reached": N_("human_reached"),
    "human_rate": N_("human_rate"),
    "human_rate_low": N_("human_rate_low"),
    "human_rate_high": N_("human_rate_high"),
    "fake_online_rate": N_("fake_online_rate"),
    "fake_online_rate_low": N_("fake_online_rate_low"),
    "fake_online_rate_high": N_("fake_online_rate_high"),
    "bot_loop_rate": N_("bot_loop_rate"),
    "bot_loop_rate_low": N_("bot_loop_rate_low"),
    "bot_loop_rate_high": N_("bot_loop_rate_high"),
    "stock_answer_rate": N_("stock_answer_rate"),
    "read_no_reply_rate": N_("read_no_reply_rate"),
    "queued": N_("queued"),
    "queue_place_median": N_("queue_place_median"),
    "queue_moved_rate": N_("queue_moved_rate"),
    "first_reply_median_s": N_("first_reply_median_s"),
    "first_reply_p90_s": N_("first_reply_p90_s"),
    "first_human_median_s": N_("first_human_median_s"),
    "first_human_p90_s": N_("first_human_p90_s"),
    "promise_s": N_("promise_s"),
    "promise_kept_rate": N_("promise_kept_rate"),
    "peak_first_human_median_s": N_("peak_first_human_median_s"),
    "offpeak_first_human_median_s": N_("offpeak_first_human_median_s"),
    "needs_review": N_("needs_review"),
    "probe_id": N_("probe_id"),
    "platform_name": N_("platform_name"),
    "started_at": N_("started_at"),
    "tag": N_("tag"),
    "vantage": N_("vantage"),
    "question": N_("question"),
    "claimed_status": N_("claimed_status"),
    "outcome": N_("outcome"),
    "fake_online": N_("fake_online"),
    "bot_loop": N_("bot_loop"),
    "template_only": N_("template_only"),
    "stock_answer": N_("stock_answer"),
    "queue_stuck": N_("queue_stuck"),
    "handoff_broken": N_("handoff_broken"),
    "read_no_reply": N_("read_no_reply"),
    "read_s": N_("read_s"),
    "first_reply_s": N_("first_reply_s"),
    "first_human_s": N_("first_human_s"),
    "replies": N_("replies"),
    "handoff_sent": N_("handoff_sent"),
    "reasons": N_("reasons"),
    "screenshot": N_("screenshot"),
    "probe_started_at": N_("probe_started_at"),
    "seq": N_("seq"),
    "side": N_("side"),
    "at_s": N_("at_s"),
    "text": N_("text"),
    "sender": N_("sender"),
    "kind": N_("kind"),
    "confidence": N_("confidence"),
    "follow_ups": N_("follow_ups"),
    "follow_up_24h_rate": N_("follow_up_24h_rate"),
    "follow_up_48h_rate": N_("follow_up_48h_rate"),
    "follow_up_median_s": N_("follow_up_median_s"),
    "follow_up_promise_h": N_("follow_up_promise_h"),
    "follow_up_review": N_("follow_up_review"),
    "submitted_at": N_("submitted_at"),
    "state": N_("state"),
    "problem": N_("problem"),
    "answered_24h": N_("answered_24h"),
    "answered_48h": N_("answered_48h"),
    "promise_h": N_("promise_h"),
    "promise": N_("promise"),
    "confirmation": N_("confirmation"),
    "received_at": N_("received_at"),
    "after_s": N_("after_s"),
    "subject": N_("subject"),
    "reason": N_("reason"),
}
assert all(set(columns) <= set(HEADERS) for columns in KINDS.values())


def headers(kind: str, lang: str) -> list[str]:
    return [translate(lang, HEADERS[column]) for column in KINDS[kind]]


def export_csv(
    store: Store,
    kind: str,
    out: TextIO,
    platform: str | None = None,
    since: datetime | None = None,
    *,
    masked: bool = True,
    bom: bool = True,
    lang: str = DEFAULT,
) -> int:
    """One export written to `out` as CSV (UTF-8 with a BOM unless not `bom`, for Excel);
    returns how many rows. The messages of a long history are cleaned and written by a worker
    process per core, a slice of probes each, and put out in order: that work is CPU-bound,
    and a year of messages is a million rows."""
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(headers(kind, lang))
    cores = os.cpu_count() or 1
    # Workers open the database again: a file, on a system that can fork, with cores to share
    # (checked before the probes are counted into slices, which reads them all).
    forks = cores > 1 and store.path.is_file() and "fork" in multiprocessing.get_all_start_methods()
    slices = store.probe_slices(platform, _stamp(since), SLICE) if kind == "messages" and forks else []
    workers = min(len(slices) // 2, cores)
    if workers < 2:
        return _write_rows(writer, rows_for(store, kind, platform, since, masked=masked, lang=lang))
    # Forked: a spawned worker would run the main module again (`python -m watchdog` is the CLI
    # itself). A worker opens a store of its own and ends without closing what it inherited.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, context, initializer=_open_worker_store, initargs=(store.path,)) as pool:
        count = 0
        work = functools.partial(_slice_csv, platform, since, masked, lang)
        for rows, text in _in_order(pool, work, slices, ahead=4 * workers):
            out.write(text)
            count += rows
        return count


def rows_for(
    store: Store,
    kind: str,
    platform: str | None = None,
    since: datetime | None = None,
    *,
    masked: bool = True,
    between: ProbeRange | None = None,
    lang: str = DEFAULT,
) -> Iterator[Sequence[Any]]:
    """The rows of one export as cells in KINDS[kind]'s order, ready for a spreadsheet:
    personal data masked as public mode masks it (unless not `masked`), and text a spreadsheet
    would run as a formula escaped. Ratings are computed as published (the last 30 days), or
    over the probes since `since`; probes and messages are those that ended, oldest first (the
    messages of the probes `between` two keys of Store.probe_slices only, when given), read in
    one query as they are written (constant memory however long the history)."""
    masks = MASKED.get(kind, {}) if masked else {}
    cleaners = [
        (i, _cleaner(masks.get(column), joined=column in JSON_LISTS[kind], lang=lang))
        for i, column in enumerate(KINDS[kind])
        if column in FREE_TEXT[kind]
    ]
    return _cleaned(_rows(store, kind, platform, since, between, lang), cleaners)


# -- a worker process's side of export_csv ---------------------------------------------------

_worker_store: Store | None = None


def _open_worker_store(path: Path) -> None:
    global _worker_store
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle, once
    _worker_store = Store(path)


def _slice_csv(
    platform: str | None, since: datetime | None, masked: bool, lang: str, between: ProbeRange
) -> tuple[int, str]:
    """One slice's messages as CSV text (no header), and how many rows."""
    assert _worker_store is not None
    text = io.StringIO()
    chosen = rows_for(_worker_store, "messages", platform, since, masked=masked, between=between, lang=lang)
    rows = _write_rows(csv.writer(text), chosen)
    return rows, text.getvalue()


def _in_order(pool: Executor, work: Callable[[T], R], items: Iterable[T], ahead: int) -> Iterator[R]:
    """`work` done on each item by the pool, the results in the items' order, with at most
    `ahead` waiting: a slow reader of the output never makes results pile up."""
    pending: collections.deque[Future[R]] = collections.deque()
    for item in items:
        pending.append(pool.submit(work, item))
        if len(pending) > ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


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


@functools.cache  # one per kind of column, its cells remembered from one slice to the next
def _cleaner(mask: Mask | None, *, joined: bool, lang: str) -> Callable[[Any], Any]:
    """One column's cells masked (`mask`), escaped where a spreadsheet would run them, and
    (`joined`) a stored JSON list of reasons written in `lang`, joined by "; ". Cached:
    greetings, templates and reasons repeat."""

    @functools.lru_cache(maxsize=CACHED)
    def clean(value: Any) -> Any:
        if joined:
            value = "; ".join(words(reason, lang) for reason in loads(value))
        if mask is not None:
            value = mask(value)
        return "'" + value if value and value[0] in FORMULA_STARTS else value

    return clean


def _rows(
    store: Store, kind: str, platform: str | None, since: datetime | None, between: ProbeRange | None, lang: str
) -> Iterator[Sequence[Any]]:
    if kind == "ratings":
        window = Window(start=since) if since else Window()
        rated = (r for r in rate_all(store, window) if platform in (None, r["platform"]))
        return ([row.get(column) for column in RATINGS_COLUMNS] for row in rated)
    stamp = _stamp(since)
    if kind == "probes":
        return (_probe_row(p, name, lang) for p, name in store.ended_probes(platform, stamp))
    if kind in ("follow_ups", "follow_up_replies"):
        return _follow_up_rows(store, kind, platform, stamp)
    return store.ended_messages(platform, stamp, between)


def _stamp(since: datetime | None) -> str:
    return since.strftime("%Y-%m-%dT%H:%M:%S") if since else ""


def _probe_row(p: ProbeRecord, name: str | None, lang: str) -> list[Any]:
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
        int(p.stock_answer),
        int(p.queue_stuck),
        int(p.handoff_broken),
        int(p.read_no_reply),
        simulated_seconds(p.read_ms, p.time_scale),
        simulated_seconds(p.first_reply_ms, p.time_scale),
        simulated_seconds(p.first_human_ms, p.time_scale),
        p.platform_messages,
        int(p.handoff_sent),
        int(p.needs_review),
        "; ".join(words(reason, lang) for reason in p.reasons),
        p.screenshot,
    ]


def _follow_up_rows(store: Store, kind: str, platform: str | None, since: str) -> Iterator[list[Any]]:
    """The follow-ups left (or tried) since `since`, oldest first, or their replies."""
    names = {row["slug"]: row["name"] for row in store.platforms()}
    now = datetime.now(UTC)
    for follow_up in store.follow_ups():
        if platform not in (None, follow_up["platform"]) or follow_up["submitted_at"] < since:
            continue
        replies = store.follow_up_replies(follow_up["id"])
        if kind == "follow_ups":
            yield _follow_up_row(follow_up, names.get(follow_up["platform"]), len(replies), now)
            continue
        for reply in replies:
            yield [
                follow_up["probe_id"],
                follow_up["platform"],
                reply["received_at"],
                _seconds_between(follow_up["submitted_at"], reply["received_at"]),
                reply["kind"],
                reply["sender"],
                reply["subject"],
                reply["text"],
                reply["reason"],
            ]


def _follow_up_row(follow_up: dict[str, Any], name: str | None, replies: int, now: datetime) -> list[Any]:
    counts = count_follow_ups([follow_up], now)
    due = [counts.answered_within(hours) for hours in FOLLOW_UP_HOURS]
    return [
        follow_up["probe_id"],
        follow_up["platform"],
        name,
        follow_up["submitted_at"],
        follow_up["state"],
        follow_up["problem"],
        replies,
        _seconds_between(follow_up["submitted_at"], follow_up["first_reply_at"]),
        follow_up["human_delay_s"],
        *(answered if counted else None for answered, counted in due),
        follow_up["promise_h"],
        follow_up["promise"],
        follow_up["confirmation"],
        follow_up["screenshot"],
    ]


def _seconds_between(start: str, end: str | None) -> float | None:
    return None if end is None else round((utc_moment(end) - utc_moment(start)).total_seconds(), 1)


def _write_rows(writer: Any, rows: Iterable[Sequence[Any]]) -> int:
    """The rows (as `rows_for` gives them) written as they come; returns how many."""
    counter = itertools.count()
    writer.writerows(map(operator.itemgetter(0), zip(rows, counter, strict=False)))  # counted as they pass, in C
    return next(counter)
