"""Message text as stored and published: what a person reads on screen, nothing else.

Page text is untrusted input: it may hold lone UTF-16 surrogates (an emoji cut in half),
which no UTF-8 file, database or terminal accepts, and it may be of any length.
"""

from __future__ import annotations

import re

# Icon-font glyphs (Unicode private-use areas) render as boxes anywhere but in their font;
# zero-width characters change lengths and defeat matching without being seen.
INVISIBLE = re.compile("[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd\u200b-\u200d\u2060\ufeff]")
# Controls are never text a person reads (escape sequences would act on a terminal).
CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
SPACES = re.compile(r"\s+")
# Relative and clock times that a widget redraws ("刚刚", "6秒前", "3 min ago", "14:05"): not
# part of what a message says. The observer uses the same pattern (a JavaScript RegExp).
TIME_LABEL = re.compile(
    r"刚刚|[0-9]+\s*(?:秒|分钟|小时|天)前|just now|[0-9]+\s*(?:s|secs?|seconds?|m|mins?|minutes?|h|hours?)\s+ago"
    r"|(?<![0-9])[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?![0-9])",
    re.IGNORECASE,
)
SURROGATE = re.compile("[\ud800-\udfff]")
MAX_TEXT_CHARS = 4000  # a chat message longer than this is not one a person wrote


def valid_text(text: str) -> str:
    """The text with surrogate pairs joined and lone surrogates replaced by U+FFFD."""
    if not SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def page_text(raw: str) -> str:
    """Text read from a page, made safe to store and print: valid, and bounded in length."""
    text = valid_text(raw)
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"


def clean_text(raw: str) -> str:
    """Private-use glyphs, zero-width characters and controls removed, whitespace collapsed."""
    return SPACES.sub(" ", CONTROLS.sub("", INVISIBLE.sub("", raw))).strip()


def without_time_labels(text: str) -> str:
    """What a message says, whatever time its label shows now."""
    return SPACES.sub(" ", TIME_LABEL.sub(" ", text)).strip()
