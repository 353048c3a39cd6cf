"""Which platforms a run may probe now, and the run lock that keeps overlapping runs apart.

A run claims all its platforms in one write transaction taken before reading, so two runs
started together (cron firing while the last run still waits for replies, two schedules, two
processes on one file) can never both decide to probe the same platform. Each claim is
released when its probe ends; claims of a process of this host that is gone are dropped.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..config import Platform
from ..formatting import format_wait
from ..records import ProbeRecord, State
from .db import Store, process_alive

# A claim made on another machine cannot be checked for a live process: after this long it
# is taken for the leftover of a crash (no probe lasts this long).
FOREIGN_CLAIM_EXPIRY = timedelta(days=1)


@dataclass
class Plan:
    """What a run will probe, and for each other platform why not."""

    due: list[Platform] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def plan(
    store: Store,
    platforms: Iterable[Platform],
    *,
    now: datetime | None = None,
    ignore_min_interval: bool = False,
    promised_hours_only: bool = False,
) -> Plan:
    """Decide without claiming anything (what `--dry-run` shows)."""
    now = now or datetime.now(UTC)
    claims = store.claims()
    result = Plan()
    for platform in platforms:
        why = _why_not(store, platform, claims.get(platform.slug), now, ignore_min_interval, promised_hours_only)
        if why:
            result.skipped.append((platform.slug, why))
        else:
            result.due.append(platform)
    return result


def claim(
    store: Store,
    platforms: Iterable[Platform],
    run_id: str,
    *,
    ignore_min_interval: bool = False,
    promised_hours_only: bool = False,
) -> Plan:
    """Plan, and claim the due platforms for `run_id`, atomically across processes."""
    platforms = list(platforms)
    with store.exclusive():
        store.drop_claims(_stale_claims(store))
        result = plan(
            store, platforms, ignore_min_interval=ignore_min_interval, promised_hours_only=promised_hours_only
        )
        store.add_claims([p.slug for p in result.due], run_id, socket.gethostname(), os.getpid())
    return result


def _stale_claims(store: Store) -> list[str]:
    host = socket.gethostname()
    expired = (datetime.now(UTC) - FOREIGN_CLAIM_EXPIRY).strftime("%Y-%m-%dT%H:%M:%S")
    return [
        slug
        for slug, row in store.claims().items()
        if (row["host"] == host and not process_alive(row["pid"]))
        or (row["host"] != host and row["claimed_at"] < expired)
    ]


def _why_not(
    store: Store,
    platform: Platform,
    held: dict[str, Any] | None,
    now: datetime,
    ignore_min_interval: bool,
    promised_hours_only: bool,
) -> str | None:
    if held is not None:
        return (
            f"claimed by run {held['run_id']} (pid {held['pid']} on {held['host']}) "
            f"{_ago(held['claimed_at'], now)} ago: probed or about to be"
        )
    last: ProbeRecord | None = store.last_probe(platform.slug)
    if last is not None and last.state == State.RUNNING:
        return f"a probe started {_ago(last.started_at, now)} ago is still in flight"
    if promised_hours_only and platform.promise.hours is not None and not platform.promise.covers(now):
        start, end = platform.promise.hours
        return f"outside its promised hours ({start:%H:%M}-{end:%H:%M} {platform.promise.timezone})"
    if last is not None and not ignore_min_interval:
        age = _age_s(last.started_at, now)
        if age < platform.probe.min_interval_s:
            return f"probed {format_wait(round(age))} ago; min_interval is {format_wait(platform.probe.min_interval_s)}"
    return None


def _age_s(stamp: str, now: datetime) -> float:
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return max(0.0, (now - moment).total_seconds())


def _ago(stamp: str, now: datetime) -> str:
    return format_wait(round(_age_s(stamp, now)))
