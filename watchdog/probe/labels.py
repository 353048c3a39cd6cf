"""Screenshots with a labelled box around each element found (live checks and discovery)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from .page import ELEMENT_TIMEOUT_MS, Unresponsive, page_call


class Label(NamedTuple):
    """A box in the page's own coordinates (Playwright's bounding_box), and what it is."""

    label: str
    x: float
    y: float
    width: float
    height: float
    colour: str


Boxed = tuple[Page, Label]  # the page a box belongs on
COLOURS = {"ok": "#1a7f37", "missing": "#cf222e"}
# Draws a labelled box around each found element, in the page's own coordinates.
DRAW = """(boxes) => {
  for (const [label, x, y, width, height, colour] of boxes) {
    const box = document.createElement("div");
    box.style.cssText = `position:fixed;left:${x - 2}px;top:${y - 2}px;width:${width}px;height:${height}px;` +
      `border:2px solid ${colour};z-index:2147483647;pointer-events:none;`;
    const tag = document.createElement("span");
    tag.textContent = label;
    tag.style.cssText = `position:absolute;left:0;top:-18px;background:${colour};color:#fff;` +
      "font:12px/16px sans-serif;padding:0 4px;white-space:nowrap;";
    box.append(tag);
    document.documentElement.append(box);
  }
}"""


async def labelled_screenshot(page: Page, boxes: list[Boxed], path: Path) -> Path | None:
    """The page the chat is in, with a box around each element found in it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        drawn = [box for on, box in boxes if on is page]
        await page_call(page.evaluate(DRAW, drawn), "labelling the screenshot")
        await page.screenshot(path=path, timeout=ELEMENT_TIMEOUT_MS)
    except (PlaywrightError, Unresponsive, OSError):
        return None
    return path
