"""Probing many platforms at once: one Chromium, one context per probe, bounded concurrency."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterable

from playwright.async_api import async_playwright

from .browser import launch
from .classify import TemplateIndex
from .config import Catalog, Platform
from .probe import ProbeResult, ProbeRun
from .ratings import compute_ratings
from .store import Store

# Starting many browser contexts at the same instant starves a small machine's CPU and skews
# the first probes' timing; starts are spaced by this much instead.
START_SPACING_S = 0.2


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
            results = await asyncio.gather(*(probe(p) for p in platforms))
        finally:
            await browser.close()
    compute_ratings(store)
    return results
