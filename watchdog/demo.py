"""The demo: probe every sandbox platform a few times in simulated time and rate them."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import Catalog, load_catalog
from .records import ProbeRecord
from .runner import probe_platforms
from .sandbox import Sandbox, write_probes
from .store import Store, evidence_dir, open_store

DEMO_CONCURRENCY = 32  # every sandbox platform at once: one wave a round


def fresh_database(db_path: Path) -> None:
    """Remove the database, its WAL files and its evidence folder: the demo starts afresh."""
    for stale in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(evidence_dir(db_path), ignore_errors=True)


def run_demo(
    db_path: Path,
    *,
    rounds: int = 6,
    time_scale: float = 0.01,
    on_start: Callable[[str, int], None] = lambda url, platforms: None,
    on_round: Callable[[int, str, list[ProbeRecord]], None] = lambda number, tag, results: None,
) -> list[dict[str, Any]]:
    """Probe the sandbox `rounds` times into a fresh `db_path`, alternating the tags peak and
    offpeak, and return the ratings (best first)."""
    fresh_database(db_path)
    with (
        open_store(db_path) as store,
        Sandbox(time_scale=time_scale) as server,
        tempfile.TemporaryDirectory() as folder,
    ):
        catalog = sandbox_catalog(server, Path(folder))
        on_start(server.url, len(catalog.platforms))
        for number in range(1, rounds + 1):
            tag = "peak" if number % 2 == 1 else "offpeak"
            on_round(number, tag, probe_every_platform(store, server, catalog, tag=tag))
        return store.ratings()


def sandbox_catalog(server: Sandbox, folder: Path) -> Catalog:
    """A platform file per sandbox platform, written into `folder` and loaded."""
    write_probes(folder, server.url, server.app.time_scale)
    return load_catalog(folder)


def probe_every_platform(
    store: Store,
    server: Sandbox,
    catalog: Catalog,
    *,
    tag: str,
    concurrency: int = DEMO_CONCURRENCY,
    only: tuple[str, ...] = ("*",),
) -> list[ProbeRecord]:
    """One probe of every sandbox platform (or those `only` matches), whatever their
    min_interval; the sandbox is the control URL (it is our network)."""
    return asyncio.run(
        probe_platforms(
            catalog.matching(only),
            catalog,
            store,
            concurrency=concurrency,
            tag=tag,
            control_url=f"{server.url}/",
            ignore_min_interval=True,
        )
    )
