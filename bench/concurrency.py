"""How many waiting probes one machine holds, and how exactly they time replies.

    python bench/concurrency.py                      # N = 10 50 100 200, 3 runs each
    python bench/concurrency.py --n 10 --runs 1      # a quick look

Each run starts a worker process that probes N copies of a sandbox platform whose person
answers late (30 s + 0.5 s per probe, real time, so that all N are waiting at once), and
samples the worker's whole process tree (the Python process and every Chromium process)
from outside: PSS from /proc/<pid>/smaps_rollup, CPU ticks from /proc/<pid>/stat. The
sandbox runs in this process, not in the measured tree, and keeps the ground truth: when
its widget showed each message, on the page's clock.

Variants, each measured the same way:
  ours         the product: one Chromium, one context per probe, in-page insertion stamps
  per-browser  alternative (a), gentle form: one Chromium per probe, all in one Python process
  per-script   alternative (a) as per-site scripts run it: a `watchdog probe SLUG` process per
               probe, each with its own Python, Playwright driver and Chromium
  polling      alternative (b): one Chromium, but replies timed by reading the DOM once a second

Figures per variant and N (median over the runs): wall time, peak PSS of the tree, PSS per
waiting probe (peak PSS while all N wait, divided by N), CPU while waiting (share of one
core), and first-reply timing error against the ground truth (median, p99, max of |error|).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from watchdog.sandbox import Sandbox, Scenario, platform_file
from watchdog.sandbox.scenarios import human

VARIANTS = ("ours", "per-browser", "per-script", "polling")
# Our standard question set, except that nobody asks for a human during the wait.
QUESTIONS = (
    'questions = ["您好，我想买游戏点卡，请问付款后卡密是自动发货吗？多久能收到？"]\n'
    '[handoff]\nafter_auto_reply = false\nafter_silence = "1h"\n'
)
SAMPLE_EVERY_S = 1.0  # reading smaps of 400 processes costs CPU: not too often
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def reply_after_s(n: int) -> float:
    """Late enough that the last probe has started before the first one is answered."""
    return 30 + 0.5 * n


def scenario(reply_s: float) -> Scenario:
    return Scenario(
        "late-human",
        "迟到卡盟",
        "a person answers late",
        send="button",
        on_question=(human(reply_s, "客服-小周"),),  # worded afresh each time, as people do
        expected={"outcome": "human"},
    )


# -- measuring a process tree from outside ----------------------------------------------


def tree(root: int) -> list[int]:
    pids, queue = [], [root]
    while queue:
        pid = queue.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    queue += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return pids


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0


def cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except OSError:
        return 0


@dataclass
class Sample:
    at: float
    pss_kb: int
    ticks: int
    processes: int
    asked: int  # sessions that got our question
    answered: int  # sessions whose person has answered


@dataclass
class Figures:
    variant: str
    n: int
    run: int
    wall_s: float = 0.0
    peak_pss_mb: float = 0.0
    waiting_pss_mb: float | None = None
    pss_per_probe_mb: float | None = None
    waiting_cpu_pct: float | None = None
    waiting: int = 0  # the most probes waiting at once
    waiting_s: float = 0.0
    processes: int = 0
    correct: int = 0
    error_median_ms: float | None = None
    error_p99_ms: float | None = None
    error_max_ms: float | None = None
    errors_ms: list[float] = field(default_factory=list)


def measure(variant: str, n: int, run: int, reply_s: float, sandbox: Sandbox, work: Path) -> Figures:
    probes = work / "probes"
    (probes / "questions").mkdir(parents=True)
    (probes / "questions" / "bench.toml").write_text(QUESTIONS, encoding="utf-8")
    tag = f"{variant}-{n}-{run}"
    for i in range(n):
        text = platform_file(scenario(reply_s), sandbox.url, 1.0, query=f"copy={tag}-{i}")
        # long enough for the latest answer (+20%) and the grace after it, no longer
        text = text.replace('max_wait = "5m"', f'max_wait = "{round(reply_s * 1.2 + 20)}s"\nquestions = "bench"')
        (probes / f"late-{i:03d}.toml").write_text(text, encoding="utf-8")
    out = work / "worker.json"
    started = time.monotonic()
    worker = subprocess.Popen([sys.executable, __file__, "--worker", variant, str(probes), str(out)])
    samples: list[Sample] = []
    while worker.poll() is None:
        sessions = [s for s in sandbox.app.sessions.values() if s.page.startswith(f"?copy={tag}-")]
        pids = tree(worker.pid)
        samples.append(
            Sample(
                time.monotonic(),
                sum(pss_kb(p) for p in pids),
                sum(cpu_ticks(p) for p in pids),
                len(pids),
                sum(1 for s in sessions if s.visitor_messages),
                sum(1 for s in sessions if any(m["side"] == "platform" for m in s.messages)),
            )
        )
        time.sleep(SAMPLE_EVERY_S)
    figures = Figures(variant, n, run, wall_s=round(time.monotonic() - started, 1))
    if worker.returncode != 0:
        raise SystemExit(f"worker {variant} N={n} failed with status {worker.returncode}")
    figures.peak_pss_mb = round(max(s.pss_kb for s in samples) / 1024, 1)
    figures.processes = max(s.processes for s in samples)
    # The samples with the most probes waiting (asked, not answered): all N when starts are
    # quick enough, fewer when the last ones start after the first answers.
    figures.waiting = max(s.asked - s.answered for s in samples)
    waiting = [s for s in samples if s.asked - s.answered == figures.waiting]
    figures.waiting_pss_mb = round(max(s.pss_kb for s in waiting) / 1024, 1)
    figures.pss_per_probe_mb = round(figures.waiting_pss_mb / max(1, figures.waiting), 1)
    if len(waiting) >= 2:
        figures.waiting_s = round(waiting[-1].at - waiting[0].at, 1)
        used = (waiting[-1].ticks - waiting[0].ticks) / TICKS
        figures.waiting_cpu_pct = round(100 * used / (waiting[-1].at - waiting[0].at), 1)
    _score_timing(figures, json.loads(out.read_text()), sandbox, tag)
    return figures


def _score_timing(figures: Figures, measured: dict, sandbox: Sandbox, tag: str) -> None:
    """|measured - true| of (first reply - question), the question as the widget showed it."""
    for session in sandbox.app.sessions.values():
        if not session.page.startswith(f"?copy={tag}-"):
            continue
        slug = "late-" + session.page.rsplit("-", 1)[1].zfill(3)
        question = next((m for m in session.messages if m["side"] == "visitor"), None)
        reply = next((m for m in session.messages if m["side"] == "platform"), None)
        seen = measured.get(slug)
        if not (question and reply and seen and reply["shown_at"] and seen.get("reply")):
            continue
        figures.correct += 1
        true_ms = reply["shown_at"] - question["shown_at"]
        if figures.variant == "polling":  # the poll's own clock reading against the widget's
            measured_ms = seen["reply"] - question["shown_at"]
        else:
            measured_ms = seen["reply"] - seen["question"]
        figures.errors_ms.append(round(abs(measured_ms - true_ms), 2))
    if figures.errors_ms:
        errors = sorted(figures.errors_ms)
        figures.error_median_ms = round(statistics.median(errors), 1)
        figures.error_p99_ms = round(errors[min(len(errors) - 1, round(0.99 * (len(errors) - 1)))], 1)
        figures.error_max_ms = round(errors[-1], 1)


# -- the worker: one variant, probing every platform in a folder at once --------------------


def worker(variant: str, probes: Path, out: Path) -> None:
    from watchdog.config import load_catalog
    from watchdog.records import Side
    from watchdog.store import open_store

    catalog = load_catalog(probes)
    assert not catalog.problems, catalog.problems
    platforms = list(catalog.platforms.values())
    with open_store(out.with_suffix(".db")) as store:
        if variant == "polling":
            measured = asyncio.run(_polling(platforms))
        else:
            if variant == "per-script":
                _per_script(platforms, probes, out.with_suffix(".db"))
            else:
                asyncio.run(_product(variant, platforms, catalog, store))
            measured = {}
            for platform in platforms:
                (probe,) = store.probes(platform=platform.slug)
                reply = next((m for m in store.messages(probe.id) if m.side == Side.PLATFORM), None)
                if probe.state == "finished" and reply:  # recorded and timed (verdicts: `watchdog accuracy`)
                    measured[platform.slug] = {"question": probe.question_at_ms, "reply": reply.at_ms}
    out.write_text(json.dumps(measured))


def _per_script(platforms, probes: Path, db: Path) -> None:
    """Alternative (a) as per-site scripts: one process per probe, started as cron would, a
    moment apart; they share the database as scripts on one machine would."""
    from watchdog.runner import START_SPACING_S

    scripts = []
    for platform in platforms:
        scripts.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "watchdog",
                    "probe",
                    platform.slug,
                    "--probes",
                    str(probes),
                    "--db",
                    str(db),
                    "--ignore-min-interval",
                    "--control-url",
                    "none",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        time.sleep(START_SPACING_S)
    for script in scripts:
        script.wait()


async def _product(variant: str, platforms, catalog, store) -> None:
    from playwright.async_api import async_playwright

    from watchdog.probe.browser import launch
    from watchdog.probe.driver import ProbeRun
    from watchdog.runner import START_SPACING_S, STARTS_AT_ONCE, StartSlot, probe_platforms

    if variant == "ours":
        await probe_platforms(
            platforms, catalog, store, concurrency=len(platforms), control_url=None, ignore_min_interval=True
        )
        return
    spacing, starting = asyncio.Lock(), asyncio.Semaphore(STARTS_AT_ONCE)
    async with async_playwright() as playwright:

        async def alone(platform):  # alternative (a): a browser of its own, started as gently as ours
            async with spacing:
                await asyncio.sleep(START_SPACING_S)
            async with StartSlot(starting) as slot:
                browser = await launch(playwright)
                try:
                    await ProbeRun(
                        browser, platform, catalog.question_sets["bench"], store, on_ready=slot.release
                    ).run()
                finally:
                    await browser.close()

        await asyncio.gather(*(alone(p) for p in platforms))


async def _polling(platforms) -> dict:
    """Alternative (b): the chat is driven the same way, but a reply is timed by reading the
    DOM once a second, as a screenshot-and-scrape script would."""
    from playwright.async_api import async_playwright

    from watchdog.probe.browser import launch
    from watchdog.runner import START_SPACING_S

    spacing = asyncio.Lock()
    measured = {}
    async with async_playwright() as playwright:
        browser = await launch(playwright)

        async def poll(platform):
            async with spacing:
                await asyncio.sleep(START_SPACING_S)
            context = await browser.new_context()
            try:
                page = await context.new_page()
                await page.goto(platform.url)
                await page.click(platform.chat.open)
                await page.fill(platform.chat.input, "您好，我想买游戏点卡，请问付款后卡密是自动发货吗？多久能收到？")
                await page.click(platform.chat.send)
                deadline = time.monotonic() + platform.probe.max_wait_s
                while time.monotonic() < deadline:
                    await asyncio.sleep(1)
                    now, replies = await page.evaluate(
                        "([message, visitor]) => [performance.timeOrigin + performance.now(),"
                        " document.querySelectorAll(`${message}:not(${visitor})`).length]",
                        [platform.chat.message, platform.chat.visitor],
                    )
                    if replies:
                        measured[platform.slug] = {"reply": now}
                        return
            finally:
                await context.close()

        await asyncio.gather(*(poll(p) for p in platforms))
        await browser.close()
    return measured


# -- the report --------------------------------------------------------------------------

COLUMNS = [
    ("variant", "variant"),
    ("n", "N"),
    ("wall_s", "wall s"),
    ("peak_pss_mb", "peak PSS MB"),
    ("waiting", "waiting"),
    ("pss_per_probe_mb", "PSS/probe MB"),
    ("waiting_cpu_pct", "CPU waiting %"),
    ("processes", "processes"),
    ("correct", "correct"),
    ("error_median_ms", "err median ms"),
    ("error_p99_ms", "err p99 ms"),
    ("error_max_ms", "err max ms"),
]


def medians(runs: list[Figures]) -> dict:
    row = {"variant": runs[0].variant, "n": runs[0].n, "runs": len(runs)}
    for key, _ in COLUMNS[2:]:
        values = [getattr(r, key) for r in runs if getattr(r, key) is not None]
        row[key] = round(statistics.median(values), 1) if values else None
    row["correct"] = f"{min(r.correct for r in runs)}/{runs[0].n}"
    return row


def table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join("-" if row[key] is None else str(row[key]) for key, _ in COLUMNS) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[10, 50, 100, 200], help="concurrent probes")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument(
        "--per-browser-max",
        type=int,
        default=50,
        help="largest N for per-browser and per-script (a Chromium each: more does not fit)",
    )
    parser.add_argument("--reply-after", type=float, help="seconds from question to reply (default 30 + 0.5 N)")
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    parser.add_argument("--worker", nargs=3, metavar=("VARIANT", "PROBES", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker[0], Path(args.worker[1]), Path(args.worker[2]))

    print(
        f"# {os.cpu_count()} cores, {os.sysconf('SC_PHYS_PAGES') * PAGE_SIZE / 2**30:.1f} GiB; reply after "
        f"{args.reply_after or '30 + 0.5 x N'} s; medians of {args.runs} run(s)",
        file=sys.stderr,
    )
    every: list[Figures] = []
    rows = []
    # seed: each answer comes up to 20% earlier or later, so replies do not fall on the pollers' beat
    with Sandbox(scenarios=(scenario(0),), seed=1) as sandbox:
        for n in args.n:
            reply_s = args.reply_after or reply_after_s(n)
            sandbox.app.scenarios = {"late-human": scenario(reply_s)}
            for variant in args.variants:
                if variant in ("per-browser", "per-script") and n > args.per_browser_max:
                    continue
                runs = []
                for run in range(1, args.runs + 1):
                    with tempfile.TemporaryDirectory() as folder:
                        figures = measure(variant, n, run, reply_s, sandbox, Path(folder))
                    shown = {k: v for k, v in asdict(figures).items() if k not in ("variant", "n", "run", "errors_ms")}
                    print(
                        f"{variant} N={n} run {run}: " + ", ".join(f"{k} {v}" for k, v in shown.items()),
                        file=sys.stderr,
                    )
                    runs.append(figures)
                every += runs
                rows.append(medians(runs))
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in every], indent=1))


if __name__ == "__main__":
    main()
