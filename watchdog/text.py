"""Message text as stored and published: what a person reads on screen, nothing else."""

from __future__ import annotations

import re

# Icon-font glyphs (Unicode private-use areas) render as boxes anywhere but in their font;
# zero-width characters change lengths and defeat matching without being seen.
INVISIBLE = re.compile("[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd\u200b-\u200d\u2060\ufeff]")
SPACES = re.compile(r"\s+")


def clean_text(raw: str) -> str:
    """Private-use glyphs and zero-width characters removed, whitespace collapsed."""
    return SPACES.sub(" ", INVISIBLE.sub("", raw)).strip()
