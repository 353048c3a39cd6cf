"""Finding and launching Chromium: one shared browser, one fresh context per probe."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.async_api import Browser, Playwright

from .errors import BrowserMissing

# Keep a closed network quiet: without these Chromium keeps calling Google's services.
LAUNCH_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SYSTEM_CHROMIUMS = [
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
]
# A normal desktop browser, so platforms see an ordinary visitor.
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
NO_BROWSER = (
    "no Chromium found: run `playwright install chromium` (needs internet), or "
    "`apt-get install chromium` on Debian/Ubuntu, or set WATCHDOG_CHROMIUM to a Chromium binary"
)


def find_chromium(playwright_default: str | None = None) -> str:
    """WATCHDOG_CHROMIUM, else a Playwright-installed Chromium, else the system's."""
    configured = os.environ.get("WATCHDOG_CHROMIUM")
    if configured:
        if not Path(configured).is_file() or not os.access(configured, os.X_OK):
            raise BrowserMissing(f"WATCHDOG_CHROMIUM={configured}: not an executable file")
        return configured
    candidates = [playwright_default] if playwright_default else []
    candidates += SYSTEM_CHROMIUMS + [shutil.which("chromium") or ""]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise BrowserMissing(NO_BROWSER)


async def launch(playwright: Playwright) -> Browser:
    try:
        bundled = playwright.chromium.executable_path
    except Exception:  # no Playwright browser registry on this machine
        bundled = None
    executable = find_chromium(bundled)
    return await playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
