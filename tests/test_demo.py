"""`watchdog demo`, as a newcomer runs it: it ends with a working Datasette URL, and publishes
no bot as reaching a human. One round: the human-like bot, recognisable only once its text has
been seen in 3 other probes, is left to tests/test_verdicts.py (the demo's database built in
code, the same verdict code)."""

from __future__ import annotations

import signal

import httpx
import pytest

from watchdog.sandbox import SCENARIOS

from .conftest import watchdog_process

pytestmark = pytest.mark.browser


def test_demo_ends_with_a_working_datasette_url(tmp_path):
    db = tmp_path / "demo.db"
    demo = ("demo", "--rounds", 1, "--time-scale", 0.005, "--port", 0, "--db", db)
    with watchdog_process(*demo) as process:
        try:
            line = process.stdout.readline()  # blocks until the server is up (or the demo failed)
            assert line.startswith("http://127.0.0.1:"), (line, process.stderr.read() if process.poll() else "")
            url = line.split()[0]
            page = httpx.get(f"{url}demo/ratings", timeout=10)
            assert page.status_code == 200 and "闪电卡盟" in page.text
            ratings = httpx.get(f"{url}demo/ratings.json?_shape=array", timeout=10).json()
            bot_only = {
                s.slug for s in SCENARIOS if s.expected["outcome"] in ("auto_only", "no_reply") and not s.learned
            }
            reached = {r["platform"]: r["human_rate"] for r in ratings if r["platform"] in bot_only}
            assert len(reached) == len(bot_only) and not any(reached.values()), reached
            assert httpx.get(f"{url}-/charts", timeout=10).status_code == 200
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
    assert process.returncode == 0
