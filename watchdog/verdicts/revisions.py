"""Verdicts recomputed for stored probes without probing again: by hand (`watchdog reclassify`)
when the rules improve, and by themselves when a probe's texts turn earlier replies into
templates (`revise_after`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..reasons import Reason
from ..records import FLAGS, Kind, ProbeRecord, Side, State
from ..store import Store
from ..store.templates import TemplateIndex
from .decide import judge
from .templates import TEMPLATE_MIN_PROBES, is_template

# Earlier probes are revised while a text was sent in at most this many: so a probe's end costs
# a bounded amount whatever the history. A text turns into a template at a few probes (at
# least TEMPLATE_MIN_PROBES, at a share of its platforms' probes: verdicts/templates.py);
# the margin covers near-duplicates, whose groups are not the same from every text's side,
# and shares that cross the line later. Past it a revision may be missed, which keeps a human
# reply human (never an accusation made); `watchdog reclassify` recomputes them all.
REVISABLE = 5 * (TEMPLATE_MIN_PROBES + 1)


# Probes read, judged and committed at a time by `reclassify`: what it holds at once, and what
# a crash can lose.
BATCH = 1000


@dataclass
class Revision:
    probes: int = 0  # recomputed
    changed: int = 0  # of which outcome or flags changed
    last: str = ""  # the id of the last probe recomputed and committed ("": none yet)

    def __str__(self) -> str:
        return f"reclassified {self.probes} probe(s); {self.changed} changed outcome or flags"


def reclassify(
    store: Store,
    platform: str | None = None,
    *,
    since: str = "",
    after: str = "",
    on_batch: Callable[[Revision], None] | None = None,
    on_probe: Callable[[Revision], None] | None = None,
    revision: Revision | None = None,
) -> Revision:
    """Recompute the verdict of every finished probe (of one platform, or all; started at or
    after `since`, a UTC ISO time; with an id after `after`) from its messages, in id order.

    Templates are recognised against all other probes in the database. Interrupted probes are
    left as they are: they never ended, so there is nothing to recompute. The probes are read
    and committed BATCH at a time, so memory does not grow with history; `on_batch` is told
    after each commit, `on_probe` after each probe (not committed yet). When an exception
    (Ctrl-C) stops it, the probes recomputed so far are committed, and the `revision` given
    (counted into, and returned) says the last one's id: the one to resume after.
    """
    templates = store.templates
    revision = Revision() if revision is None else revision
    revision.last = revision.last or after
    for batch in store.finished_after(after, platform=platform, since=since, batch=BATCH):
        with store.committed():
            for probe in batch:
                before = _decision(probe)
                messages = store.messages(probe.id)
                judge(probe, messages, templates)
                # Answers are kept per (text, probe asking): none of this probe's is asked again.
                templates.answers.clear()
                store.save_verdict(probe, messages)
                revision.probes += 1
                revision.changed += before != _decision(probe)
                revision.last = probe.id
                if on_probe is not None:
                    on_probe(revision)
        if on_batch is not None:
            on_batch(revision)
    return revision


def _decision(probe: ProbeRecord) -> tuple[object, ...]:
    return (probe.outcome, *(getattr(probe, flag) for flag in FLAGS))


def _verdict_words(probe: ProbeRecord) -> list[str]:
    """The outcome and its flags: ["auto_only", "fake_online"]."""
    return [str(probe.outcome), *(flag for flag in FLAGS if getattr(probe, flag))]


def revise_after(store: Store, templates: TemplateIndex, probe: ProbeRecord) -> list[ProbeRecord]:
    """After `probe` (its texts already in `templates`): earlier probes in which a human seemed
    to send a text that now counts as a template are judged again (at a cost that does not
    grow with history: see REVISABLE), and those whose outcome or
    flags change are stored with a reason saying so. Returns those revised."""
    revised = []
    texts = {m.text for m in store.messages(probe.id) if m.side == Side.PLATFORM}
    earlier = set[str]().union(*(templates.probes_with(text, REVISABLE) or () for text in texts)) - {probe.id}
    for probe_id in sorted(earlier):
        other = store.probe(probe_id)
        if other.state != State.FINISHED:
            continue
        messages = store.messages(probe_id)
        now_templates = [
            m.text
            for m in messages
            if m.kind == Kind.HUMAN and is_template(templates.evidence(m.text, probe_id, other.platform))
        ]
        if not now_templates:
            continue
        before = _decision(other)
        was = _verdict_words(other)
        judge(other, messages, templates)
        if _decision(other) == before:
            continue
        note = Reason("revised", probe=probe.id, quote=now_templates[0][:30], was=was, now=_verdict_words(other))
        other.notes.append(note)  # kept by later re-judging, which rebuilds reasons from the notes
        other.reasons.append(note)
        store.save_verdict(other, messages)
        revised.append(other)
    return revised
