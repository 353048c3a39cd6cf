"""Texts that are the same but for numbers, spacing, punctuation or a few characters: the
keys of template evidence (store/templates.py) and of a bot answering by rote (classify)."""

from __future__ import annotations

import math
import re
import unicodedata
import zlib

# Texts shorter than this ("在的，一般5分钟到账") repeat between people by chance: never templates.
MIN_TEMPLATE_CHARS = 16
NEAR_DUPLICATE = 0.85  # Jaccard similarity of character bigrams


def normalize(text: str) -> str:
    """Template key: width-folded, lowercase, no spaces or punctuation, digits as 0."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"\d+", "0", text)
    return "".join(ch for ch in text if ch.isalnum())


def shingles_of(key: str) -> frozenset[str]:
    return frozenset(key[i : i + 2] for i in range(len(key) - 1))


def is_near(a: str, b: str, shingles_a: frozenset[str], shingles_b: frozenset[str]) -> bool:
    """Whether two keys are the same text or near-duplicates (given their shingles)."""
    if a == b:
        return True
    if min(len(a), len(b)) < 0.8 * max(len(a), len(b)):
        return False
    return len(shingles_a & shingles_b) / max(1, len(shingles_a | shingles_b)) >= NEAR_DUPLICATE


def similar(a: str, b: str) -> bool:
    """Near-duplicate texts (both already normalized)."""
    return is_near(a, b, shingles_of(a), shingles_of(b))


def prefix_shingles(shingles: frozenset[str]) -> list[str]:
    """Prefix filtering: with the shingles in one fixed order, two sets whose Jaccard
    similarity reaches NEAR_DUPLICATE share at least one of these first few shingles."""
    ordered = sorted(shingles, key=lambda shingle: (zlib.crc32(shingle.encode()), shingle))
    return ordered[: len(ordered) - math.ceil(NEAR_DUPLICATE * len(ordered)) + 1]


class NearIndex:
    """Normalized texts, found again by exact or near-duplicate key through an inverted index
    of their prefix shingles: a lookup costs the candidates it finds, not the whole index.
    An adversarial crowd of similar texts is cut at MAX_CANDIDATES (fewer matches, never a
    false one)."""

    MAX_CANDIDATES = 200

    def __init__(self) -> None:
        self.shingles: dict[str, frozenset[str]] = {}
        self.by_prefix: dict[str, list[str]] = {}

    def add(self, key: str) -> None:
        if key in self.shingles:
            return
        shingles = self.shingles[key] = shingles_of(key)
        for shingle in prefix_shingles(shingles):
            self.by_prefix.setdefault(shingle, []).append(key)

    def near(self, key: str) -> list[str]:
        """The keys in the index that are `key` or near-duplicates of it."""
        found = [key] if key in self.shingles else []
        mine = shingles_of(key)
        checked = {key}
        for shingle in prefix_shingles(mine):
            for other in self.by_prefix.get(shingle, ()):
                if other in checked:
                    continue
                checked.add(other)
                if len(checked) > self.MAX_CANDIDATES:
                    return found
                if is_near(key, other, mine, self.shingles[other]):
                    found.append(other)
        return found
