"""A run: claim the platforms that are due, probe them at once in one Chromium (one context
per probe, bounded concurrency), then recompute the ratings."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from .alerts import Alerts, Change, announce
from .config import Catalog, Platform
from .errors import Interrupted
from .leave import Contact
from .probe.browser import chromium
from .probe.driver import ProbeRun
from .publish.ratings import compute_ratings
from .records import ProbeRecord, State
from .store import Store
from .store.claims import claim
from .verdicts.revisions import revise_after

# Starting many browser contexts at the same instant starves a small machine's CPU and skews
# the first probes' timing; starts are spaced by this much instead...
START_SPACING_S = 0.2
# ...and no more probes than cores are in their start (new context, page load, opening the
# chat) at once: a starved page load would time out and read as a missing chat.
STARTS_AT_ONCE = max(2, os.cpu_count() or 2)


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-run-{secrets.token_hex(3)}"


async def probe_platforms(
    platforms: Iterable[Platform],
    catalog: Catalog,
    store: Store,
    *,
    concurrency: int = 8,
    tag: str | None = None,
    vantage: str | None = None,
    max_wait_s: float | None = None,
    control_url: str | None = None,
    schedule: str | None = None,
    ignore_min_interval: bool = False,
    promised_hours_only: bool = False,
    handle_signals: bool = True,
    on_skip: Callable[[str, str], None] = lambda slug, why: None,
    on_start: Callable[[Platform], None] = lambda platform: None,
    on_result: Callable[[ProbeRecord], None] = lambda result: None,
    on_revised: Callable[[ProbeRecord], None] = lambda earlier: None,
    alerts: Alerts | None = None,
    on_alert: Callable[[Change, str], None] = lambda change, delivery: None,
    contact: Contact | None = None,
) -> list[ProbeRecord]:
    """Probe each platform that is due once, then recompute the ratings.

    Platforms probed within their min_interval, or claimed by another run, are skipped
    (reported through `on_skip`). Results come in the order given. Earlier probes whose
    verdicts a probe's texts change (they turn out to be templates) are revised at once and
    reported through `on_revised`. With `handle_signals`, SIGTERM and Ctrl-C record the probes
    in flight as interrupted and raise Interrupted. With `alerts`, the state changes the run
    made are recorded and sent (reported through `on_alert`). With `contact` (a mailbox to be
    answered at), a probe whose chat is offline leaves its question on the platform's form.
    """
    platforms = list(platforms)
    vantage = vantage or socket.gethostname()
    run_id = new_run_id()
    store.start_run(
        {
            "id": run_id,
            "schedule": schedule,
            "tag": tag,
            "vantage": vantage,
            "pid": os.getpid(),
            "selected": len(platforms),
        }
    )
    decided = claim(
        store, platforms, run_id, ignore_min_interval=ignore_min_interval, promised_hours_only=promised_hours_only
    )
    for slug, why in decided.skipped:
        on_skip(slug, why)
    state = State.INTERRUPTED
    results: list[ProbeRecord] = []
    try:
        for platform in decided.due:
            store.save_platform(platform)
        with _cancelled_by_signals(handle_signals) as received:
            try:
                results = await _probe_all(
                    decided.due,
                    catalog,
                    store,
                    run_id,
                    concurrency,
                    tag=tag,
                    vantage=vantage,
                    max_wait_s=max_wait_s,
                    control_url=control_url,
                    contact=contact,
                    on_start=on_start,
                    on_result=on_result,
                    on_revised=on_revised,
                )
            except asyncio.CancelledError:
                if not received:
                    raise
                raise Interrupted(
                    f"stopped by {received[0]}: the probes in flight were recorded as interrupted (probe_error)"
                ) from None
        state = State.FINISHED
    finally:
        store.finish_run(
            run_id,
            {
                "state": state,
                "probed": len(decided.due),
                "skipped": json.dumps([f"{slug}: {why}" for slug, why in decided.skipped], ensure_ascii=False),
            },
        )
    if results:
        compute_ratings(store, platforms={result.platform for result in results})
        if alerts is not None:
            for change, delivery in await announce(store, alerts):
                on_alert(change, delivery)
    return results


@contextlib.contextmanager
def _cancelled_by_signals(enabled: bool) -> Iterator[list[str]]:
    """SIGTERM or Ctrl-C cancel the run, so that every probe in flight records itself."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None  # called from within the run's task
    received: list[str] = []
    if not enabled:  # the caller handles signals (`watchdog schedule` runs several runs at once)
        yield received
        return

    def cancel(sig: signal.Signals) -> None:
        received.append(sig.name)
        task.cancel()

    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, cancel, sig)
            installed.append(sig)
        except (RuntimeError, ValueError):  # not the main thread: the caller handles signals
            pass
    try:
        yield received
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def _probe_all(
    platforms: list[Platform],
    catalog: Catalog,
    store: Store,
    run_id: str,
    concurrency: int,
    *,
    tag: str | None,
    vantage: str,
    max_wait_s: float | None,
    control_url: str | None,
    contact: Contact | None,
    on_start: Callable[[Platform], None],
    on_result: Callable[[ProbeRecord], None],
    on_revised: Callable[[ProbeRecord], None],
) -> list[ProbeRecord]:
    if not platforms:
        return []
    templates = store.templates  # shared: each probe adds what it saw
    limit = asyncio.Semaphore(concurrency)
    spacing = asyncio.Lock()
    starting = asyncio.Semaphore(STARTS_AT_ONCE)
    async with chromium() as browser:

        async def probe(platform: Platform) -> ProbeRecord:
            try:
                async with limit:
                    async with spacing:
                        await asyncio.sleep(START_SPACING_S)
                    async with StartSlot(starting) as slot:
                        on_start(platform)
                        run = ProbeRun(
                            browser,
                            platform,
                            catalog.question_sets[platform.probe.questions],
                            store,
                            tag=tag,
                            vantage=vantage,
                            max_wait_s=max_wait_s,
                            control_url=control_url,
                            templates=templates,
                            run_id=run_id,
                            contact=contact,
                            on_ready=slot.release,
                        )
                        result = await run.run()
            finally:
                store.release_claim(platform.slug, run_id)
            on_result(result)
            for revised in revise_after(store, templates, result):
                on_revised(revised)
            return result

        return await asyncio.gather(*(probe(p) for p in platforms))


class StartSlot:
    """One of the STARTS_AT_ONCE places for a probe in its start, given back once: when the
    chat is open, or when the probe ends without getting that far."""

    def __init__(self, semaphore: asyncio.Semaphore):
        self.semaphore, self.held = semaphore, False

    async def __aenter__(self) -> StartSlot:
        await self.semaphore.acquire()
        self.held = True
        return self

    async def __aexit__(self, *exc_info) -> None:
        self.release()

    def release(self) -> None:
        if self.held:
            self.held = False
            self.semaphore.release()
