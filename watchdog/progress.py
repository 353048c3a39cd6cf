"""Progress of a long run: a bar on a terminal, plain log lines anywhere else (cron, logs)."""

from __future__ import annotations

import shutil
import time
from typing import TextIO

from .config import Platform
from .formatting import for_terminal

BAR_WIDTH = 20
LOG_EVERY_S = 30.0  # without a terminal, `reached` writes a line at most this often
DRAW_EVERY_S = 0.2  # and on one, redraws the bar at most this often (and at the end)


class Progress:
    """Draws `[#####-----] 3/12 done · probing a, b` under the log lines while a run goes on.

    Log lines always go out whole, one per line; the bar is only drawn when the stream is a
    terminal, so files and pipes get exactly the plain lines.
    """

    def __init__(self, stream: TextIO, total: int = 0):
        self.stream = stream
        self.on_terminal = stream.isatty()
        self.total, self.finished = total, 0
        self.current: list[str] = []
        self.logged, self.drawn = time.monotonic(), 0.0

    def skipped(self, text: str) -> None:
        self.total -= 1
        self.message(text)

    def start(self, platform: Platform) -> None:
        self.current.append(platform.slug)
        self._draw()

    def done(self, slug: str) -> None:
        if slug in self.current:
            self.current.remove(slug)
        self.finished += 1
        self._draw()

    def reached(self, finished: int, note: str = "") -> None:
        """`finished` of the total are done: the bar on a terminal (at most every DRAW_EVERY_S
        seconds, so it may be told after every item); anywhere else, once some are, a line saying
        so (and `note`), at most every LOG_EVERY_S seconds."""
        self.finished = finished
        if self.on_terminal:
            if finished >= self.total or time.monotonic() - self.drawn >= DRAW_EVERY_S:
                self.drawn = time.monotonic()
                self._draw()
        elif finished and time.monotonic() - self.logged >= LOG_EVERY_S:
            self.logged = time.monotonic()
            self.message(f"{finished}/{self.total} done" + (f" ({note})" if note else ""))

    def message(self, text: str) -> None:
        self._clear()
        self.stream.write(for_terminal(text) + "\n")
        self._draw()

    def close(self) -> None:
        self._clear()
        self.stream.flush()

    def line(self) -> str:
        filled = round(BAR_WIDTH * self.finished / self.total) if self.total else 0
        text = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {self.finished}/{self.total} done"
        if self.current:
            text += " · probing " + ", ".join(self.current)
        width = shutil.get_terminal_size().columns - 1
        return text if len(text) <= width else text[: width - 1] + "…"

    def _draw(self) -> None:
        if self.on_terminal:
            self.stream.write("\r\x1b[K" + self.line())
            self.stream.flush()

    def _clear(self) -> None:
        if self.on_terminal:
            self.stream.write("\r\x1b[K")
