"""Do verdicts drift as history grows? (issue 25) Every sandbox platform probed in a real
browser ROUNDS times against a copy of bench/history.py's long history and ROUNDS times against
an empty database, with the same sandbox seeds: the outcome and flags of each probe, side by
side, as they stand at the end (later probes may revise earlier ones).

    .venv/bin/python bench/drift.py                         # the 500 x 90 history, 3 rounds
    .venv/bin/python bench/drift.py --history bench/.history/history-50x90.db --rounds 1

Build the history first with bench/history.py (it is kept in bench/.history/).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from watchdog.demo import probe_every_platform, sandbox_catalog  # noqa: E402
from watchdog.records import FLAGS  # noqa: E402
from watchdog.sandbox import Sandbox  # noqa: E402
from watchdog.store import open_store  # noqa: E402

Verdicts = dict[tuple[str, int], str]


def probe_rounds(db: Path, rounds: int, time_scale: float) -> Verdicts:
    """Every sandbox platform once per round (round n under sandbox seed n) into `db`: each
    probe's outcome and flags as stored at the end."""
    probes: dict[tuple[str, int], str] = {}
    with open_store(db) as store:
        for seed in range(1, rounds + 1):
            with Sandbox(time_scale=time_scale, seed=seed) as sandbox, tempfile.TemporaryDirectory() as folder:
                catalog = sandbox_catalog(sandbox, Path(folder))
                for probe in probe_every_platform(store, sandbox, catalog, tag=f"drift-{seed}"):
                    probes[(probe.platform, seed)] = probe.id
        verdicts = {}
        for key, probe_id in probes.items():
            probe = store.probe(probe_id)
            verdicts[key] = " + ".join([str(probe.outcome), *(flag for flag in FLAGS if getattr(probe, flag))])
        return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", type=Path, default=Path(__file__).parent / ".history" / "history-500x90.db")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--time-scale", type=float, default=0.02)
    args = parser.parse_args()
    if not args.history.exists():
        sys.exit(f"{args.history}: no such history; build it with bench/history.py first")
    with tempfile.TemporaryDirectory(dir=args.history.parent) as folder:
        copy = Path(folder) / "against-history.db"
        shutil.copy(args.history, copy)
        with open_store(copy) as store:
            keys = store.db["template_keys"].count
            messages = store.db["messages"].count
        print(f"history {args.history.name}: {messages:,} messages, {keys:,} template keys", flush=True)
        began = time.perf_counter()
        against_history = probe_rounds(copy, args.rounds, args.time_scale)
        print(f"probed against the history in {time.perf_counter() - began:.0f} s", flush=True)
        began = time.perf_counter()
        against_empty = probe_rounds(Path(folder) / "empty.db", args.rounds, args.time_scale)
        print(f"probed against an empty database in {time.perf_counter() - began:.0f} s", flush=True)
    differ = 0
    print(f"\n{'platform':22s} {'round':>5s}  {'against the history':42s} against an empty database")
    for key in sorted(against_empty):
        mark = "" if against_history.get(key) == against_empty[key] else "  <- differs"
        differ += bool(mark)
        print(f"{key[0]:22s} {key[1]:5d}  {against_history.get(key, '(missing)'):42s} {against_empty[key]}{mark}")
    print(f"\n{len(against_empty) - differ} of {len(against_empty)} probes with identical outcome and flags")


if __name__ == "__main__":
    main()
