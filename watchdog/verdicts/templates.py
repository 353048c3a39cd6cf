"""Template evidence: platform-side texts seen in earlier probes. A long reply sent word for
word (or nearly) in several other probes is a template, not a person typing. The evidence is
kept in the database (store/templates.py); what a verdict needs of it is this."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

TEMPLATE_MIN_PROBES = 3  # seen in at least this many other probes


class Templates(Protocol):
    def evidence(self, text: str, exclude_probe: str) -> tuple[int, int]:
        """(other probes, platforms) that sent the same or a near-duplicate text."""
        ...

    def add_probe(self, probe_id: str, platform: str, texts: Iterable[str]) -> None:
        """A probe's platform-side texts, once it has ended."""
        ...
