"""Text for people: durations as they are said, and plain-text tables aligned for Chinese
(double-width) characters."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from .text import valid_text

# What a terminal would act on rather than show: C0 controls but newline and tab, DEL, C1
# controls (\x9b starts an escape sequence too), and bidirectional overrides.
TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def for_terminal(text: str) -> str:
    """Text safe to print: controls shown as \\u001b-style escapes, never acted on."""
    return TERMINAL_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", valid_text(text))


def format_wait(seconds: float) -> str:
    """A duration as people say it: "30 d", "6 h", "5 min", "42 s"."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def format_duration(seconds: float) -> str:
    """A measured time as people read it: "3.4 s", "42 s", "1 min 32 s", "2 h 5 min"."""
    if seconds < 10:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(round(whole / 60), 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def percent_or_dash(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        padded = [value + " " * (widths[i] - display_width(value)) for i, value in enumerate(row)]
        lines.append("  ".join(padded).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
