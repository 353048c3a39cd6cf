"""Template evidence: platform-side texts seen in earlier probes. A long reply that the
platforms sending it send in a good share of their probes is a template (a program's, or a
staff member's quick reply), not a person typing afresh. The evidence is kept in the database
(store/templates.py); the rule is here, in pure code.

The rule is a rate, not a count: "the same text in 3 other probes" grows true of a person's
ordinary sentence as history grows (measured: 2 of 3 probes of a person answering were called
fake online against 1.1 M messages). A text is a template when it was sent in at least
TEMPLATE_MIN_PROBES other probes, and in at least TEMPLATE_SHARE of the probes of the platforms
that sent it (pooled), or of this platform's own. A template and a person's quick reply differ
only in what they say: classify.py lets one that addresses the question answer it
(`stock_answer`), never be silence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ..records import Evidence

TEMPLATE_MIN_PROBES = 3  # sent in at least this many other probes...
# ...and in at least 1 in 10 of the probes of the platforms that sent it. A person's free-form
# sentence of 16 characters or more recurs far less often than that (in the benchmark's 1.1 M
# messages, at 1 in 300 of its platforms' probes); a bot's text, a vendor's script or a quick
# reply recurs in most of them.
TEMPLATE_SHARE = 0.1


def is_template(evidence: Evidence) -> bool:
    """Sent in at least TEMPLATE_MIN_PROBES other probes and in at least TEMPLATE_SHARE of the
    probes of the platforms that sent it (pooled) or of this platform's own; or in more probes
    than a lookup reads."""
    if evidence.crowd:
        return True
    own = evidence.here >= TEMPLATE_MIN_PROBES and evidence.own_share >= TEMPLATE_SHARE
    pooled = evidence.probes >= TEMPLATE_MIN_PROBES and evidence.share >= TEMPLATE_SHARE
    return own or pooled


def describe(evidence: Evidence) -> str:
    """The evidence as a reason says it."""
    if evidence.crowd:
        return f"the same text in more than {evidence.probes} other probes"
    where = f"{evidence.platforms} platform{'s' if evidence.platforms != 1 else ''}"
    days = f"{evidence.days} day{'s' if evidence.days != 1 else ''}"
    if evidence.here >= TEMPLATE_MIN_PROBES and evidence.own_share >= max(TEMPLATE_SHARE, evidence.share):
        rate = f"{evidence.here} of this platform's {evidence.own_probes} other probes"
    else:
        rate = f"{evidence.share:.0%} of the {evidence.their_probes} probes of the platforms that sent it"
    return f"same text as replies in {evidence.probes} other probes on {where} over {days} ({rate})"


class Templates(Protocol):
    def evidence(self, text: str, exclude_probe: str, platform: str) -> Evidence:
        """Where else the same or a near-duplicate text was sent (not in `exclude_probe`), for
        a probe of `platform`."""
        ...

    def add_probe(self, probe_id: str, platform: str, texts: Iterable[str]) -> None:
        """A probe's platform-side texts, once it has ended."""
        ...
