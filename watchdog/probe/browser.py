"""Finding and launching Chromium: one shared browser, one fresh context per probe."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Playwright, async_playwright

from ..errors import BrowserMissing

# Keep a closed network quiet: without these Chromium keeps calling Google's services.
LAUNCH_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The headless shell first: the full browser gives every probe's window a second renderer
# process for its (invisible) toolbar, which doubles the memory of a waiting probe.
SYSTEM_HEADLESS_SHELLS = [
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/bin/chromium-headless-shell",
]
SYSTEM_CHROMIUMS = [
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
]
# A normal desktop browser, so platforms see an ordinary visitor.
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
NO_BROWSER = (
    "no Chromium found: run `playwright install chromium` (needs internet), or "
    "`apt-get install chromium-headless-shell` on Debian, or set WATCHDOG_CHROMIUM to a Chromium binary"
)


def find_chromium(playwright_default: str | None = None) -> str:
    """WATCHDOG_CHROMIUM; else a headless shell (Playwright's, then the system's); else a full
    Chromium (Playwright's, then the system's)."""
    configured = os.environ.get("WATCHDOG_CHROMIUM")
    if configured:
        if not _executable(configured):
            raise BrowserMissing(f"WATCHDOG_CHROMIUM={configured}: not an executable file")
        return configured
    candidates = _playwright_headless_shells(playwright_default) + SYSTEM_HEADLESS_SHELLS
    candidates += [playwright_default or ""] + SYSTEM_CHROMIUMS + [shutil.which("chromium") or ""]
    for candidate in candidates:
        if candidate and _executable(candidate):
            return candidate
    raise BrowserMissing(NO_BROWSER)


def _playwright_headless_shells(playwright_default: str | None) -> list[str]:
    """`playwright install chromium` puts its headless shell next to the full browser:
    ms-playwright/chromium-NNNN/chrome-linux/chrome and ms-playwright/chromium_headless_shell-NNNN/."""
    if not playwright_default:
        return []
    browsers = Path(playwright_default).parent.parent.parent
    found = sorted(browsers.glob("chromium_headless_shell-*/*/chrome-headless-shell"))
    found += sorted(browsers.glob("chromium_headless_shell-*/*/headless_shell"))
    return [str(path) for path in reversed(found)]


def _executable(path: str) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


async def launch(playwright: Playwright) -> Browser:
    try:
        bundled = playwright.chromium.executable_path
    except Exception:  # no Playwright browser registry on this machine
        bundled = None
    executable = find_chromium(bundled)
    return await playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """One Chromium for a run (probes or live checks), closed at the end whatever happens."""
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            yield browser
        finally:
            await browser.close()


async def new_context(browser: Browser) -> BrowserContext:
    """A fresh context as a visitor from China on a desktop browser sees the page."""
    return await browser.new_context(
        user_agent=USER_AGENT, locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 800}
    )
