"""What a year of history costs (issue 15): synthetic databases of realistic shape, built
with the project's own schema, and the cost of each operation that must not grow with them.

    .venv/bin/python bench/history.py                       # 50 and 500 platforms, 90 days, median of 3
    .venv/bin/python bench/history.py --platforms 50 --runs 1
    .venv/bin/python bench/history.py --only run,export     # some of the figures

The database: PLATFORMS platforms probed 4 times a day for DAYS days; each probe has our
question, two greetings, a reply (a third of them one of 40 templates shared across
platforms, worded with a number that changes, the rest a person's words drawn afresh), a
handoff on half of them with an automated line, and on 60% a person's answer (in two
messages half the time): about 6 messages a probe.
Built once per size (seeded) and kept in bench/.history/ for the next run.

Each figure runs in a fresh process and prints the median of RUNS runs: wall seconds, the
process's whole peak RSS (interpreter and libraries included: a process doing nothing but
their imports is printed first), and the figure's own measures; where it has processes of
its own (the export's workers, one per core; the csv figure's server), their CPU seconds and
the largest one's peak RSS. CPU-bound; this machine: see `env`.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FOLDER = Path(__file__).parent / ".history"
PROBES_PER_DAY = 4
QUESTION = "你好，请问你们的话费充值一般多久到账？如果充值失败了怎么退款？"
TEMPLATES = [
    f"{head}，{body}，工单编号{{n}}，请耐心等待。"
    for head in ("您好", "亲", "尊敬的客户", "你好", "在的")
    for body in (
        "已收到您的问题正在加急处理",
        "当前咨询人数较多正在排队中",
        "您的订单已提交至售后专员处理",
        "系统正在为您转接人工客服",
        "您反馈的问题我们已经记录下来",
        "充值类问题一般会在十分钟内处理完毕",
        "退款申请已受理请留意短信通知",
        "客服正在核实您的订单信息",
    )
]


def _people(rng: random.Random) -> str:
    from watchdog.sandbox.scenarios import ANSWER

    return "".join(rng.choice(part) for part in ANSWER).replace("{n}", str(rng.randint(2, 30)))


def _reasons(side: str, text: str, kind: str, at: float, rng: random.Random) -> str:
    """Reasons worded as the classifier words them (numbers and all)."""
    if side == "visitor":
        return "[]"
    if kind == "greeting":
        return json.dumps(["appeared before our first message"])
    if kind == "auto" and "工单" in text:
        reason = f"same text as replies in {rng.randint(3, 900)} other probes on {rng.randint(2, 60)} platforms"
    else:
        reason = f"replied {(at - 3000) / 1000:.1f} s after our message with {len(text)} characters"
    return json.dumps([reason], ensure_ascii=False)


def build(path: Path, platforms: int, days: int, seed: int = 1) -> None:
    """The synthetic database, written through the project's schema (migrations included)."""
    from watchdog.masking import masked_copies
    from watchdog.publish.ratings import compute_ratings
    from watchdog.store import open_store

    rng = random.Random(seed)
    # Ending today, so that the ratings' 30-day window holds what a real deployment's would.
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days)
    with open_store(path) as store:
        db = store.db
        db.table("platforms").insert_all(
            {"slug": f"p{i:03d}", "name": f"卡盟{i:03d}", "url": f"https://p{i:03d}.example.cn/", "path": ""}
            for i in range(platforms)
        )
        probes: list[dict[str, object]] = []
        messages: list[dict[str, object]] = []

        def flush() -> None:
            db.table("probes").insert_all(probes, batch_size=2000)
            db.table("messages").insert_all(messages, batch_size=5000)
            probes.clear()
            messages.clear()

        for day in range(days):
            for slot in range(PROBES_PER_DAY):
                moment = start + timedelta(days=day, hours=2 + slot * 6)
                stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
                for i in range(platforms):
                    probe_id = f"{moment:%Y%m%dT%H%M%S}Z-p{i:03d}-{rng.getrandbits(24):06x}"
                    human = rng.random() < 0.6
                    handoff = rng.random() < 0.5
                    fake = not human and rng.random() < 0.5
                    texts = [
                        (
                            "visitor",
                            "你好，请问你们的话费充值一般多久到账？如果充值失败了怎么退款？",
                            "question",
                            3000.0,
                        )
                    ]
                    texts.append(("platform", f"您好，欢迎光临卡盟{i:03d}！", "greeting", 2500.0))
                    texts.append(("platform", "请问有什么可以帮您？", "greeting", 2600.0))
                    if rng.random() < 1 / 3:
                        template = rng.choice(TEMPLATES).replace("{n}", str(rng.randint(1000, 99999)))
                        texts.append(("platform", template, "auto", 5000.0))
                    else:
                        texts.append(("platform", _people(rng), "human" if human else "auto", 9000.0))
                    if handoff:
                        texts.append(("visitor", "转人工", "handoff", 63000.0))
                        texts.append(("platform", "正在为您转接人工客服，请稍候…", "auto", 64000.0))
                    if human:
                        texts.append(("platform", _people(rng), "human", 90000.0))
                        if rng.random() < 0.5:
                            texts.append(("platform", _people(rng), "human", 95000.0))
                    outcome = "human" if human else ("no_reply" if fake else "auto_only")
                    probes.append(
                        {
                            "id": probe_id, "platform": f"p{i:03d}", "started_at": stamp, "finished_at": stamp,
                            "state": "finished", "tag": "peak" if slot % 2 else "offpeak", "vantage": "bench",
                            "question": texts[0][1], "question_at_ms": 3000.0, "claimed_status": "online",
                            "outcome": outcome, "fake_online": int(fake), "bot_loop": int(handoff and not human),
                            "template_only": 0, "first_human_ms": 87000.0 if human else None,
                            "first_reply_ms": 2000.0, "platform_messages": sum(1 for t in texts if t[0] == "platform"),
                            "reasons": json.dumps(["synthetic"]), "notes": "[]", "max_wait_s": 600.0,
                            "time_scale": 1.0, "screen_checked": 1,
                        }
                    )  # fmt: skip
                    rows = (
                        {
                            "probe_id": probe_id, "seq": seq, "side": side, "at_ms": at, "text": text,
                            "raw_text": text, "seen": "live", "sender": "客服" if side == "platform" else "",
                            "kind": kind, "confidence": 0.8, "reasons": _reasons(side, text, kind, at, rng),
                        }
                        for seq, (side, text, kind, at) in enumerate(texts)
                    )  # fmt: skip
                    messages.extend(row | masked_copies(row) for row in rows)  # as the store writes them
                if len(messages) > 50_000:
                    flush()
        flush()
        with store.db.conn:  # the template evidence, as schema v6 fills it from earlier probes
            store.templates.record_stored()
        compute_ratings(store)


# -- the figures: each runs in its own process ------------------------------------------------


def _run(db: Path) -> None:
    """What a probing process does but drive the browser: a run's start (the store opened,
    every platform claimed and saved, its question picked), 200 template lookups for new
    replies, each probe's end (its texts added to the evidence, earlier probes revised), and
    the ratings of the platforms it probed. Its memory is the probing process's."""
    from watchdog.config import Chat, Platform
    from watchdog.publish.ratings import compute_ratings
    from watchdog.runner import new_run_id
    from watchdog.store import open_store
    from watchdog.store.claims import claim
    from watchdog.verdicts.revisions import revise_after

    began = time.perf_counter()
    with open_store(db) as store:
        slugs = [row["slug"] for row in store.platforms()][:50]
        platforms = [Platform(slug, slug, f"https://{slug}.example.cn/", Chat("textarea"), "") for slug in slugs]
        run_id = new_run_id()
        store.start_run({"id": run_id, "vantage": "bench", "pid": 0, "selected": len(platforms)})
        decided = claim(store, platforms, run_id, ignore_min_interval=True)
        for platform in decided.due:
            store.save_platform(platform)
            store.probe_count(platform.slug)
        templates = store.templates
        started = time.perf_counter() - began
        rng = random.Random(7)
        times = []
        for n in range(200):
            text = rng.choice(TEMPLATES).replace("{n}", str(n)) if n % 2 else _people(rng)
            before = time.perf_counter()
            templates.evidence(text, "new-probe")
            times.append(time.perf_counter() - before)
        before = time.perf_counter()
        latest = {row["platform"]: row["id"] for row in store.db.query(
            "select platform, max(id) as id from probes group by platform")}  # fmt: skip
        for slug in slugs:  # each probe's end, as if its latest probe had just ended
            probe = store.probe(latest[slug])
            templates.add_probe(probe.id, slug, [m.text for m in store.messages(probe.id) if m.side == "platform"])
            revise_after(store, templates, probe)
        ended = (time.perf_counter() - before) / len(slugs)
        before = time.perf_counter()
        compute_ratings(store, platforms=slugs)
        rated = time.perf_counter() - before
    print(json.dumps({
        "start_s": started, "lookup_median_ms": statistics.median(times) * 1000,
        "lookup_max_ms": max(times) * 1000, "probe_end_ms": ended * 1000, "ratings_s": rated}))  # fmt: skip


def _reclassify(db: Path) -> None:
    from watchdog.store import open_store
    from watchdog.verdicts.revisions import reclassify

    with open_store(db) as store:
        reclassify(store, "p007")


def _export(db: Path) -> None:
    """`watchdog export messages` into /dev/null: prints rows a second."""
    from watchdog.publish.export import export_csv
    from watchdog.store import open_store

    began = time.perf_counter()
    with open_store(db, existing=True) as store, open("/dev/null", "w", encoding="utf-8") as out:
        count = export_csv(store, "messages", out)
    print(json.dumps({"rows": count, "rows_per_s": count / (time.perf_counter() - began)}))


def _public(db: Path) -> None:
    """`serve --public` until its first page answers: the first start ever (the snapshot made),
    and a start after a run of 50 probes (brought up to date); then each page, timed."""
    import asyncio
    import shutil

    from watchdog.publish.datasette import build_datasette
    from watchdog.store import open_store

    folder = db.with_name(db.stem + "-public")
    shutil.rmtree(folder, ignore_errors=True)
    began = time.perf_counter()
    asyncio.run(build_datasette(db, public=True).client.get("/-/leaderboard"))
    first = time.perf_counter() - began
    with open_store(db) as store:  # a run's worth of changes: 50 probes revised
        store.db.execute("update probes set tag = tag where id in (select id from probes order by id desc limit 50)")
        store.db.conn.commit()
    began = time.perf_counter()
    datasette = build_datasette(db, public=True)
    asyncio.run(datasette.client.get("/-/leaderboard"))
    figures = {"first_start_s": first, "start_after_run_s": time.perf_counter() - began}
    figures.update({f"public_{page}": took for page, took in asyncio.run(_visit(datasette, db)).items()})
    print(json.dumps(figures))


async def _visit(datasette, db: Path) -> dict[str, float]:
    """Each published page once (warm), then timed: milliseconds per page."""
    import sqlite_utils

    probe = next(iter(sqlite_utils.Database(db).query("select id from probes where platform = 'p007' limit 1")))["id"]
    name = db.stem
    pages = {
        "leaderboard": "/-/leaderboard",
        "platform": "/-/platform/p007",
        "probe": f"/-/probe/{probe}",
        "probes_facet": f"/{name}/probes?_facet=outcome",
        "incidents": f"/{name}/incidents",
        "messages_facet": f"/{name}/messages?_facet=kind",
    }
    took = {}
    for page, path in pages.items():
        await datasette.client.get(path)
        began = time.perf_counter()
        response = await datasette.client.get(path)
        took[page + "_ms"] = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (path, response.status_code)
    return took


def _pages(db: Path) -> None:
    """Each published page (private mode), warm: milliseconds."""
    import asyncio

    from watchdog.publish.datasette import build_datasette

    print(json.dumps(asyncio.run(_visit(build_datasette(db), db))))


def _csv_complete(db: Path) -> None:
    """The published site's full messages CSV, from `watchdog serve` in a process of its own
    and read as a stream, as a browser or curl reads it: the rows it gives, the rows there
    are, and the server's peak RSS."""
    import socket

    import httpx
    import sqlite_utils

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "watchdog", "serve", "--db", str(db), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                httpx.get(base + "/-/versions.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        lines = 0
        url = f"{base}/{db.stem}/messages.csv?_stream=on&_size=max"
        with httpx.stream("GET", url, timeout=600) as response:
            for chunk in response.iter_bytes():
                lines += chunk.count(b"\n")
        server_kb = _peak_rss_kb(server.pid)
    finally:
        server.terminate()
        server.wait()
    total = sqlite_utils.Database(db)["messages"].count
    print(json.dumps({"csv_rows": lines - 1, "messages": total, "server_peak_rss_mb": server_kb / 1024}))


def halves(db: Path) -> tuple[Path, Path]:
    """The database split in two by probe, as two probing machines would hold it (made once)."""
    east, west = db.with_name(db.stem + "-east.db"), db.with_name(db.stem + "-west.db")
    for half, remainder in ((east, 0), (west, 1)):
        if half.exists():
            continue
        subprocess.run(["sqlite3", str(db), f".backup '{half}'"], check=True)
        with sqlite3.connect(half) as conn:
            conn.execute(f"create temp table gone as select id from probes where rowid % 2 = {remainder}")
            for table, key in (("messages", "probe_id"), ("template_sightings", "probe_id"), ("probes", "id")):
                conn.execute(f"delete from {table} where {key} in (select id from temp.gone)")
    return east, west


def _remask(db: Path) -> None:
    """The one-off after an upgrade that masks more: every message's masked copies made again
    when the store is next opened (made stale first, untimed)."""
    from watchdog.masking import MASKED_WITH
    from watchdog.store import open_store

    with sqlite3.connect(db) as conn:
        conn.execute(f"update messages set {MASKED_WITH} = null")
    began = time.perf_counter()
    with open_store(db):
        pass
    print(json.dumps({"open_s": time.perf_counter() - began}))


def _merge(db: Path) -> None:
    """`watchdog merge` of the two halves into a new database."""
    import tempfile

    from watchdog.store import open_store
    from watchdog.store.merge import merge

    with tempfile.TemporaryDirectory(dir=db.parent) as folder, open_store(Path(folder) / "central.db") as central:
        merge(list(halves(db)), central)


FIGURES = {
    "run": _run,
    "reclassify": _reclassify,
    "export": _export,
    "public": _public,
    "pages": _pages,
    "csv": _csv_complete,
    "merge": _merge,
    "remask": _remask,
}


def _baseline() -> None:
    """Nothing but the imports the figures make: the process's own memory."""
    import watchdog.publish.datasette  # noqa: F401
    import watchdog.verdicts.revisions  # noqa: F401


def _peak_rss_kb(pid: int | str = "self") -> int:
    """A process's own peak RSS (this one's by default): VmHWM starts afresh at exec, while
    getrusage's ru_maxrss keeps the forking parent's (the benchmark's, which built the database)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))


def _child(name: str, db: Path) -> None:
    began = time.perf_counter()
    cpu = time.process_time()
    if name == "baseline":
        _baseline()
    else:
        FIGURES[name](db)
    figures = {"seconds": time.perf_counter() - began, "cpu_seconds": time.process_time() - cpu}
    figures["rss_mb"] = _peak_rss_kb() / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the export's workers, the csv's server
    if children.ru_maxrss:
        figures["children_cpu_seconds"] = children.ru_utime + children.ru_stime
        figures["child_peak_rss_mb"] = children.ru_maxrss / 1024
    print(json.dumps(figures))


def measure(name: str, db: Path, runs: int) -> dict[str, float]:
    results: list[dict[str, float]] = []
    for _ in range(runs):
        if name in ("reclassify", "run", "public", "remask"):  # they write: each run on the same fresh copy
            work = db.with_name(db.stem + "-work.db")
            subprocess.run(["sqlite3", str(db), f".backup '{work}'"], check=True)
        else:
            work = db
        out = subprocess.run(
            [sys.executable, __file__, "--child", name, "--db", str(work)], capture_output=True, text=True, check=True
        ).stdout
        merged: dict[str, float] = {}
        for line in out.splitlines():
            if line.startswith("{"):
                merged.update(json.loads(line))
        results.append(merged)
    return {key: statistics.median(r.get(key, 0) for r in results) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--platforms", type=int, action="append", help="50 and 500 unless given")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help="comma-separated figures: " + ", ".join(FIGURES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.child, args.db)
    names = args.only.split(",") if args.only else list(FIGURES)
    FOLDER.mkdir(exist_ok=True)
    for platforms in args.platforms or [50, 500]:
        db = FOLDER / f"history-{platforms}x{args.days}.db"
        if not db.exists():
            began = time.perf_counter()
            build(db, platforms, args.days)
            print(f"built {db} in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        import sqlite_utils

        from watchdog.store import open_store

        began = time.perf_counter()
        with open_store(db):  # brought to the current schema first: migrating is not a figure
            pass
        print(f"opened {db.name} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        counts = sqlite_utils.Database(db)
        print(f"\n{platforms} platforms x {args.days} days: {counts['probes'].count:,} probes, "
              f"{counts['messages'].count:,} messages (median of {args.runs})")  # fmt: skip
        if "merge" in names:
            halves(db)
        print(f"  {'(imports only)':15s} {measure('baseline', db, 1)['rss_mb']:19.0f} MB peak RSS")
        for name in names:
            figures = measure(name, db, args.runs)
            extra = ", ".join(
                f"{key} {value:,.1f}" for key, value in figures.items() if key not in ("seconds", "rss_mb")
            )
            print(
                f"  {name:15s} {figures['seconds']:8.2f} s  {figures['rss_mb']:7.0f} MB peak RSS"
                + (f"  ({extra})" if extra else "")
            )


if __name__ == "__main__":
    main()
