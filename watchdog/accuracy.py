"""How right are the verdicts? Probe the sandbox under several random seeds and compare what
was decided with its ground truth: message kinds, outcomes, the flags (accusations whose
precision must be perfect) and when our question turned read."""

from __future__ import annotations

import statistics
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import httpx

from .demo import probe_every_platform, sandbox_catalog
from .formatting import format_table
from .records import FLAGS, Kind, MessageRecord, ProbeRecord, Side
from .sandbox import Sandbox
from .store import Store

KINDS = tuple(str(kind) for kind in (Kind.GREETING, Kind.BOT, Kind.AUTO, Kind.STOCK_ANSWER, Kind.HUMAN))
MISSED = "(missed)"  # a message the probe never saw, or one it saw that was never sent


@dataclass
class Mismatch:
    seed: int
    platform: str
    expected: str
    got: str
    reasons: list[str]


@dataclass
class AccuracyReport:
    kinds: Counter = field(default_factory=Counter)  # (truth, verdict) -> messages
    outcomes: Counter = field(default_factory=Counter)  # right / wrong
    flags: dict[str, Counter] = field(default_factory=lambda: {f: Counter() for f in FLAGS})
    mismatches: list[Mismatch] = field(default_factory=list)
    reviewed_as_expected: int = 0  # blind or chat_missing where the sandbox expects it
    needs_review: list[Mismatch] = field(default_factory=list)  # blind or chat_missing where not expected
    read_errors: list[float] = field(default_factory=list)  # |read_ms - the page's truth| of reads seen, ms
    reads: Counter = field(default_factory=Counter)  # timed / missed / unfounded (seen, none shown)

    @property
    def outcome_accuracy(self) -> float:
        total = self.outcomes["right"] + self.outcomes["wrong"]
        return self.outcomes["right"] / total if total else 0.0

    def kind_scores(self) -> dict[str, tuple[float, float, float]]:
        """Precision, recall and F1 of each message kind."""
        scores = {}
        for kind in KINDS:
            tp = self.kinds[(kind, kind)]
            predicted = sum(n for (_, got), n in self.kinds.items() if got == kind)
            actual = sum(n for (truth, _), n in self.kinds.items() if truth == kind)
            precision = tp / predicted if predicted else 1.0
            recall = tp / actual if actual else 1.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            scores[kind] = (precision, recall, f1)
        return scores

    @property
    def macro_f1(self) -> float:
        return sum(f1 for _, _, f1 in self.kind_scores().values()) / len(KINDS)

    def flag_precision_recall(self, flag: str) -> tuple[float, float, Counter]:
        c = self.flags[flag]
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        return precision, recall, c

    def format(self) -> str:
        columns = (*KINDS, MISSED)
        matrix = [[truth] + [self.kinds[(truth, got)] for got in columns] for truth in columns]
        lines = [
            "message kinds (rows: ground truth, columns: verdict)",
            format_table(["truth \\ verdict", *columns], matrix),
            "",
        ]
        rows = [[kind, f"{p:.3f}", f"{r:.3f}", f"{f:.3f}"] for kind, (p, r, f) in self.kind_scores().items()]
        lines += [format_table(["kind", "precision", "recall", "F1"], rows), f"macro F1: {self.macro_f1:.3f}", ""]
        total = self.outcomes["right"] + self.outcomes["wrong"]
        lines.append(f"outcome accuracy: {self.outcome_accuracy:.1%} ({self.outcomes['right']}/{total} probes)")
        for flag in FLAGS:
            precision, recall, c = self.flag_precision_recall(flag)
            lines.append(
                f"{flag}: precision {precision:.1%} ({c['tp']}/{c['tp'] + c['fp']}), "
                f"recall {recall:.1%} ({c['tp']}/{c['tp'] + c['fn']})"
            )
        lines.append(self.read_line())
        unexpected = len(self.needs_review)
        lines.append(
            f"needs review: {self.reviewed_as_expected + unexpected} probe(s) ({self.reviewed_as_expected} as the "
            f"sandbox expects, {unexpected} not)"
        )
        lines += [f"  {m.seed} {m.platform}: {m.got} ({'; '.join(m.reasons[:1])})" for m in self.needs_review]
        if self.mismatches:
            lines += ["", "mismatches (seed platform: expected -> got):"]
            lines += [
                f"  {m.seed} {m.platform}: {m.expected} -> {m.got} ({'; '.join(m.reasons[:2])})"
                for m in self.mismatches
            ]
        return "\n".join(lines)

    def read_line(self) -> str:
        errors = sorted(self.read_errors)
        timed = f"error median {statistics.median(errors):.1f} ms, max {errors[-1]:.1f} ms" if errors else "none timed"
        return (
            f"read time: {self.reads['timed']} read(s) seen of {self.reads['timed'] + self.reads['missed']} shown, "
            f"{timed}; {self.reads['unfounded']} seen where the page showed none"
        )


def read_truth_ms(session: dict[str, Any]) -> float | None:
    """When the sandbox's widget showed our question read, in page ms after it showed the
    question (None: it never did)."""
    question = next((m for m in session["messages"] if m["side"] == "visitor"), None)
    if question is None or question.get("read_at") is None or question.get("shown_at") is None:
        return None
    return float(question["read_at"]) - float(question["shown_at"])


def _score_probe(
    report: AccuracyReport, seed: int, probe: ProbeRecord, stored: list[MessageRecord], truth: dict[str, Any]
) -> None:
    expected = truth["platforms"][probe.platform]["expected"]
    got = {"outcome": str(probe.outcome), **{f: bool(getattr(probe, f)) for f in FLAGS}}
    want = {"outcome": expected["outcome"], **{f: expected[f] for f in FLAGS}}
    report.outcomes["right" if got["outcome"] == want["outcome"] else "wrong"] += 1
    if probe.needs_review and got["outcome"] == want["outcome"]:
        report.reviewed_as_expected += 1
    elif probe.needs_review:
        report.needs_review.append(
            Mismatch(seed, probe.platform, str(want["outcome"]), str(probe.outcome), probe.reasons)
        )
    for flag in FLAGS:
        report.flags[flag][("t" if got[flag] == want[flag] else "f") + ("p" if got[flag] else "n")] += 1
    if got != want:
        differs = [k for k in got if got[k] != want[k]]
        report.mismatches.append(
            Mismatch(
                seed,
                probe.platform,
                ", ".join(f"{k}={want[k]}" for k in differs),
                ", ".join(f"{k}={got[k]}" for k in differs),
                probe.reasons,
            )
        )
    sessions = [s for s in truth["sessions"] if s["platform"] == probe.platform]
    read = read_truth_ms(sessions[-1]) if sessions else None
    if read is not None and probe.read_ms is not None:
        report.reads["timed"] += 1
        report.read_errors.append(abs(probe.read_ms - read))
    elif read is not None:
        report.reads["missed"] += 1
    elif probe.read_ms is not None:
        report.reads["unfounded"] += 1
    shown = [m for m in sessions[-1]["messages"] if m["side"] == "platform"] if sessions else []
    seen = [m for m in stored if m.side == Side.PLATFORM]
    # Pair stored messages with shown ones by text, in order; anything unpaired was missed.
    matcher = SequenceMatcher(a=[m["text"] for m in shown], b=[m.text for m in seen], autojunk=False)
    paired_shown, paired_seen = set(), set()
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            report.kinds[(shown[block.a + offset]["kind"], str(seen[block.b + offset].kind))] += 1
            paired_shown.add(block.a + offset)
            paired_seen.add(block.b + offset)
    for i, m in enumerate(shown):
        if i not in paired_shown:
            report.kinds[(m["kind"], MISSED)] += 1
    for i, message in enumerate(seen):
        if i not in paired_seen:
            report.kinds[(MISSED, str(message.kind))] += 1


def run_accuracy(
    seeds: int,
    store: Store,
    *,
    time_scale: float = 0.02,
    concurrency: int = 32,
    only: tuple[str, ...] = ("*",),
    on_seed: Callable[[int], None] = lambda seed: None,
) -> AccuracyReport:
    """Probe every sandbox platform (or those `only` matches) once per seed into `store` (templates accumulate, as they
    do in real use) and score each verdict against the sandbox's ground truth, as stored at
    the end: later probes may have revised it (a text turned into a template), and a revision
    is a verdict published like any other."""
    report = AccuracyReport()
    probed = []
    for seed in range(1, seeds + 1):
        on_seed(seed)
        with Sandbox(time_scale=time_scale, seed=seed) as sandbox, tempfile.TemporaryDirectory() as folder:
            catalog = sandbox_catalog(sandbox, Path(folder))
            results = probe_every_platform(
                store, sandbox, catalog, tag=f"accuracy-seed-{seed}", concurrency=concurrency, only=only
            )
            truth = httpx.get(f"{sandbox.url}/truth").json()
        probed += [(seed, probe.id, truth) for probe in results]
    for seed, probe_id, truth in probed:
        _score_probe(report, seed, store.probe(probe_id), store.messages(probe_id), truth)
    return report
