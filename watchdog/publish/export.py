"""CSV exports for consumer groups: ratings, probes and messages, UTF-8 with a BOM by default
so that Excel shows Chinese correctly. Headers and reasons in the reader's language (Chinese
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
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

from ..i18n import DEFAULT, N_, translate
from ..masking import MASKED, Mask
from ..reasons import loads, words
from ..records import ProbeRecord
from ..store import ProbeRange, Store
from ..timescale import simulated_seconds
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
# Text a spreadsheet would run as a formula gets a leading apostrophe, which spreadsheets show
# as text; numbers stay numbers.
FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))
T = TypeVar("T")
R = TypeVar("R")
KINDS = {"ratings": RATINGS_COLUMNS, "probes": PROBES_COLUMNS, "messages": MESSAGES_COLUMNS}
BATCH = 2000  # rows cleaned at a time
SLICE = 2000  # probes a worker process exports at a time (about 12,000 messages, 2-3 MB of CSV)
# Cells remembered per column: greetings, templates and reasons repeat, if not next to each
# other (16,384 texts are a few MB; 4,096 missed a third more on a year's messages).
CACHED = 16384
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


def _write_rows(writer: Any, rows: Iterable[Sequence[Any]]) -> int:
    """The rows (as `rows_for` gives them) written as they come; returns how many."""
    counter = itertools.count()
    writer.writerows(map(operator.itemgetter(0), zip(rows, counter, strict=False)))  # counted as they pass, in C
    return next(counter)
