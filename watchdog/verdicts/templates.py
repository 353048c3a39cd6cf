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

from ..reasons import Reason
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


def describe(evidence: Evidence) -> Reason:
    """The evidence as a reason says it."""
    if evidence.crowd:
        return Reason("template_crowd", probes=evidence.probes)
    seen = {
        "probes": evidence.probes,
        "platforms": Reason("platforms", count=evidence.platforms),
        "days": Reason("days", count=evidence.days),
    }
    if evidence.here >= TEMPLATE_MIN_PROBES and evidence.own_share >= max(TEMPLATE_SHARE, evidence.share):
        return Reason("template_own", **seen, here=evidence.here, own_probes=evidence.own_probes)
    return Reason("template_pooled", **seen, share=f"{evidence.share:.0%}", their_probes=evidence.their_probes)


class Templates(Protocol):
    def evidence(self, text: str, exclude_probe: str, platform: str) -> Evidence:
        """Where else the same or a near-duplicate text was sent (not in `exclude_probe`), for
        a probe of `platform`."""
        ...

    def add_probe(self, probe_id: str, platform: str, texts: Iterable[str]) -> None:
        """A probe's platform-side texts, once it has ended."""
        ...
