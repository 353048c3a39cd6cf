"""Probing many platforms at once: one Chromium, one context per probe, bounded concurrency."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from playwright.async_api import async_playwright

from .browser import launch
from .classify import TemplateIndex, format_wait
from .config import Catalog, Platform
from .errors import Interrupted
from .probe import ProbeResult, ProbeRun
from .ratings import compute_ratings
from .store import Store

# Starting many browser contexts at the same instant starves a small machine's CPU and skews
# the first probes' timing; starts are spaced by this much instead.
START_SPACING_S = 0.2


def due_platforms(store: Store, platforms: Iterable[Platform],
                  now: datetime | None = None) -> tuple[list[Platform], list[tuple[str, str]]]:
    """Split platforms into those due for a probe and (slug, why not) for the others: a probe
    in flight, or one less than the platform's min_interval ago (ethics: never more often)."""
    now = now or datetime.now(UTC)
    due, skipped = [], []
    for platform in platforms:
        last = store.last_probe(platform.slug)
        if last is None:
            due.append(platform)
            continue
        started = datetime.strptime(last["started_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        age = (now - started).total_seconds()
        if last["state"] == "running":
            skipped.append((platform.slug, f"a probe started {format_wait(round(age))} ago is still in flight"))
        elif age < platform.probe.min_interval_s:
            skipped.append((platform.slug, f"probed {format_wait(round(age))} ago; min_interval is "
                                           f"{format_wait(platform.probe.min_interval_s)}"))
        else:
            due.append(platform)
    return due, skipped


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
    on_result: Callable[[ProbeResult], None] = lambda result: None,
) -> list[ProbeResult]:
    """Probe each platform once, then recompute the ratings; results come in the order given."""
    platforms = list(platforms)
    vantage = vantage or socket.gethostname()
    for platform in platforms:
        store.save_platform(platform)
    templates = TemplateIndex(store.platform_texts())  # shared: each probe adds what it saw
    limit = asyncio.Semaphore(concurrency)
    spacing = asyncio.Lock()
    with _cancelled_by_signals() as received:
        try:
            results = await _probe_all(platforms, catalog, store, limit, spacing, templates, tag=tag,
                                       vantage=vantage, max_wait_s=max_wait_s, control_url=control_url,
                                       on_result=on_result)
        except asyncio.CancelledError:
            if not received:
                raise
            raise Interrupted(f"stopped by {received[0]}: the probes in flight were recorded as interrupted "
                              "(probe_error)") from None
    compute_ratings(store)
    return results


@contextlib.contextmanager
def _cancelled_by_signals() -> Iterator[list[str]]:
    """SIGTERM or Ctrl-C cancel the run, so that every probe in flight records itself."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    received: list[str] = []

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


async def _probe_all(platforms: list[Platform], catalog: Catalog, store: Store, limit: asyncio.Semaphore,
                     spacing: asyncio.Lock, templates: TemplateIndex, *, tag: str | None, vantage: str,
                     max_wait_s: float | None, control_url: str | None,
                     on_result: Callable[[ProbeResult], None]) -> list[ProbeResult]:
    async with async_playwright() as playwright:
        browser = await launch(playwright)

        async def probe(platform: Platform) -> ProbeResult:
            async with limit:
                async with spacing:
                    await asyncio.sleep(START_SPACING_S)
                run = ProbeRun(browser, platform, catalog.question_sets[platform.probe.questions],
                               store, tag=tag, vantage=vantage, max_wait_s=max_wait_s,
                               control_url=control_url, templates=templates)
                result = await run.run()
                on_result(result)
                return result

        try:
            return await asyncio.gather(*(probe(p) for p in platforms))
        finally:
            await browser.close()
