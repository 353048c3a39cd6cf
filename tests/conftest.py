"""Shared fixtures: one sandbox server per test session, a fresh database per test, and a
database filled in code (sandbox scenarios played through the conversation core) for the
tests of what is done with stored probes. Tests that start Chromium are marked `browser`:
`pytest -m "not browser"` is the fast tier."""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from watchdog.cli import cli
from watchdog.records import Evidence
from watchdog.sandbox import Sandbox, write_probes

from .mailserver import MailServer
from .simulate import fill


def pytest_collection_modifyitems(config, items):
    """The lab tier runs only when asked for (pytest -m lab): its cases wait minutes on real widgets."""
    if "lab" in (config.getoption("markexpr") or "").replace("not lab", ""):
        return
    later = pytest.mark.skip(reason="the lab tier: pytest -m lab (real chat systems of ../shared/labs/)")
    for item in items:
        if "lab" in item.keywords:
            item.add_marker(later)


@pytest.fixture(scope="module")
def mail_server():
    """A real Dovecot (IMAP + LMTP on loopback) for the module's tests."""
    if shutil.which("dovecot") is None and not os.path.exists("/usr/sbin/dovecot"):
        pytest.skip("Dovecot is not installed (.ci/setup installs dovecot-imapd and dovecot-lmtpd)")
    server = MailServer().start()
    yield server
    server.stop()


# 0.02: the sandbox's 5 simulated minutes take 6 s.
TIME_SCALE = 0.02


@pytest.fixture(scope="session")
def sandbox():
    with Sandbox(time_scale=TIME_SCALE) as server, pytest.MonkeyPatch.context() as env:
        # The control URL that tells our network from the platform's: offline, the sandbox.
        env.setenv("WATCHDOG_CONTROL_URL", f"{server.url}/")
        yield server


@pytest.fixture(scope="session")
def sandbox_probes(sandbox, tmp_path_factory) -> Path:
    """A probes folder describing every sandbox platform (do not modify: shared)."""
    folder = tmp_path_factory.mktemp("sandbox-probes")
    write_probes(folder, sandbox.url, TIME_SCALE)
    return folder


@pytest.fixture
def probes_copy(sandbox_probes, tmp_path) -> Path:
    """A private, editable copy of the sandbox probes folder."""
    folder = tmp_path / "probes"
    shutil.copytree(sandbox_probes, folder)
    return folder


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "watchdog.db"


def run_cli(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def truth(sandbox) -> dict:
    return httpx.get(f"{sandbox.url}/truth").json()


@pytest.fixture(scope="session")
def probed_all(sandbox, sandbox_probes, tmp_path_factory):
    """One `watchdog probe --all --json` run over the whole sandbox, shared by tests."""
    db = tmp_path_factory.mktemp("probed-all") / "all.db"
    result = run_cli("probe", "--all", "--json", "--probes", sandbox_probes, "--db", db, "--concurrency", "32")
    return result, db


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """What `watchdog demo --rounds 5` leaves, built without a browser: every sandbox platform
    probed 5 times through the conversation core, with evidence, rated (shared: do not modify)."""
    return fill(tmp_path_factory.mktemp("demo") / "demo.db", rounds=5)


@pytest.fixture
def demo_copy(demo_db, tmp_path) -> Path:
    """A private copy of the demo database, for tests that write to it."""
    copy = tmp_path / "demo.db"
    with sqlite3.connect(demo_db) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # the original is in WAL mode: a file copy could miss rows
    return copy


def datasette_get(datasette, path: str, **headers: str):
    """A page through Datasette's test client (no server); headers with _ for - in names."""
    import asyncio

    return asyncio.run(datasette.client.get(path, headers={k.replace("_", "-"): v for k, v in headers.items()}))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@contextlib.contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """The files of `folder` served on 127.0.0.1 (pages of other vendors' making)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def watchdog_process(*args: object) -> Iterator[subprocess.Popen]:
    """`watchdog ARGS` as cron or a terminal starts it: its own process, in its own process
    group, whose leftovers (its browser) are killed at the end whatever the test did."""
    process = subprocess.Popen(
        [sys.executable, "-m", "watchdog", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def counts(evidence: Evidence) -> tuple[int, int]:
    """Template evidence as (other probes, platforms) that sent the text."""
    return evidence.probes, evidence.platforms


def bench_history() -> types.ModuleType:
    """bench/history.py, its generator of long histories (a script, not a package module)."""
    if "bench_history" not in sys.modules:
        path = Path(__file__).parent.parent / "bench" / "history.py"
        spec = importlib.util.spec_from_file_location("bench_history", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_history"] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules["bench_history"]
