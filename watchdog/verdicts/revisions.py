"""Verdicts recomputed for stored probes (`watchdog reclassify`) when the rules improve or the
template evidence has grown, without probing again."""

from __future__ import annotations

from dataclasses import dataclass

from ..records import FLAGS, ProbeRecord
from ..store import Store
from .decide import judge
from .templates import TemplateIndex


@dataclass
class Revision:
    probes: int = 0  # recomputed
    changed: int = 0  # of which outcome or flags changed


def reclassify(store: Store, platform: str | None = None) -> Revision:
    """Recompute every ended probe's verdict (of one platform, or all) from its messages.

    Templates are recognised against all other probes in the database. Interrupted probes are
    left as they are: they never ended, so there is nothing to recompute.
    """
    templates = TemplateIndex(store.platform_texts())
    revision = Revision()
    for probe in store.probes(platform=platform, finished=True):
        before = _decision(probe)
        messages = store.messages(probe.id)
        judge(probe, messages, templates)
        store.save_verdict(probe, messages)
        revision.probes += 1
        revision.changed += before != _decision(probe)
    return revision


def _decision(probe: ProbeRecord) -> tuple[object, ...]:
    return (probe.outcome, *(getattr(probe, flag) for flag in FLAGS))
