"""Template evidence: platform-side texts seen in earlier probes. A long reply sent word for
word (or nearly) in several other probes is a template, not a person typing."""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections.abc import Iterable

# Texts shorter than this ("在的，一般5分钟到账") repeat between people by chance: never templates.
MIN_TEMPLATE_CHARS = 16
NEAR_DUPLICATE = 0.85  # Jaccard similarity of character bigrams
TEMPLATE_MIN_PROBES = 3  # seen in at least this many other probes


def normalize(text: str) -> str:
    """Template key: width-folded, lowercase, no spaces or punctuation, digits as 0."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"\d+", "0", text)
    return "".join(ch for ch in text if ch.isalnum())


def _shingles(key: str) -> frozenset[str]:
    return frozenset(key[i : i + 2] for i in range(len(key) - 1))


def _near(a: str, b: str, shingles_a: frozenset[str], shingles_b: frozenset[str]) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < 0.8 * max(len(a), len(b)):
        return False
    return len(shingles_a & shingles_b) / max(1, len(shingles_a | shingles_b)) >= NEAR_DUPLICATE


def similar(a: str, b: str) -> bool:
    """Near-duplicate texts (both already normalized)."""
    return _near(a, b, _shingles(a), _shingles(b))


def _prefix(shingles: frozenset[str]) -> list[str]:
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
        shingles = self.shingles[key] = _shingles(key)
        for shingle in _prefix(shingles):
            self.by_prefix.setdefault(shingle, []).append(key)

    def near(self, key: str) -> list[str]:
        """The keys in the index that are `key` or near-duplicates of it."""
        found = [key] if key in self.shingles else []
        mine = _shingles(key)
        checked = {key}
        for shingle in _prefix(mine):
            for other in self.by_prefix.get(shingle, ()):
                if other in checked:
                    continue
                checked.add(other)
                if len(checked) > self.MAX_CANDIDATES:
                    return found
                if _near(key, other, mine, self.shingles[other]):
                    found.append(other)
        return found


class TemplateIndex:
    """Platform-side texts seen in probes, to recognise templates by repetition."""

    def __init__(self, rows: Iterable[tuple[str, str, str]] = ()):
        self.seen: dict[str, tuple[set[str], set[str]]] = {}  # key -> (probe ids, platforms)
        self.keys = NearIndex()
        # Live classification asks about the same texts again: remember answers until the
        # index changes (at the end of each probe).
        self.answers: dict[tuple[str, str], tuple[int, int]] = {}
        for text, probe_id, platform in rows:
            self.add(text, probe_id, platform)

    def add(self, text: str, probe_id: str, platform: str) -> None:
        key = normalize(text)
        if len(key) < MIN_TEMPLATE_CHARS:
            return
        self.answers.clear()
        probes, platforms = self.seen.setdefault(key, (set(), set()))
        probes.add(probe_id)
        platforms.add(platform)
        self.keys.add(key)

    def evidence(self, text: str, exclude_probe: str) -> tuple[int, int]:
        """(other probes, platforms) with the same or a near-duplicate text."""
        key = normalize(text)
        if len(key) < MIN_TEMPLATE_CHARS:
            return 0, 0
        if (key, exclude_probe) not in self.answers:
            self.answers[(key, exclude_probe)] = self._evidence(key, exclude_probe)
        return self.answers[(key, exclude_probe)]

    def probes_with(self, text: str) -> set[str]:
        """Every probe that sent this text or a near-duplicate of it."""
        return self._matching(normalize(text))[0]

    def is_template(self, text: str, probe_id: str) -> bool:
        """Whether, for this probe, the text counts as a template (seen in enough other probes)."""
        return self.evidence(text, probe_id)[0] >= TEMPLATE_MIN_PROBES

    def _evidence(self, key: str, exclude_probe: str) -> tuple[int, int]:
        probes, platforms = self._matching(key, exclude_probe)
        return len(probes), len(platforms)

    def _matching(self, key: str, exclude_probe: str = "") -> tuple[set[str], set[str]]:
        probes: set[str] = set()
        platforms: set[str] = set()
        if len(key) < MIN_TEMPLATE_CHARS:
            return probes, platforms
        for other in self.keys.near(key):
            other_probes, other_platforms = self.seen[other]
            others = other_probes - {exclude_probe}
            if others:
                probes |= others
                platforms |= other_platforms
        return probes, platforms
