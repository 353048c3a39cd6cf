"""`watchdog schedule`: the schedule files run by APScheduler 3.x in one long-lived process.

Missed runs are coalesced into one, a schedule never runs twice at once (max_instances=1),
and every run goes through the same run lock as `watchdog probe`, so min_interval holds
across schedules and across processes. With a mailbox, the follow-ups are read at the start
and every FOLLOW_UP_EVERY_S. SIGTERM or Ctrl-C stop it: the probes in flight are recorded as
interrupted.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .alerts import Alerts, announce
from .config import load_catalog
from .errors import WatchdogError
from .followups import settled_line
from .i18n import terminal_language
from .mailbox import Mailbox
from .mailbox import check as check_mailbox
from .records import FollowUp
from .runner import probe_platforms
from .schedules import Schedule
from .store import Store, open_store

FOLLOW_UP_EVERY_S = 15 * 60


class ScheduleRunner:
    """Runs schedules until `stop()`; `log` gets one line per event worth a line."""

    def __init__(
        self,
        schedules: list[Schedule],
        probes_dir: Path,
        store: Store,
        *,
        vantage: str | None,
        control_url: str | None,
        log: Callable[[str], None],
        alerts: Alerts | None = None,
        mailbox: Mailbox | None = None,
    ):
        self.schedules, self.probes_dir, self.store = schedules, probes_dir, store
        self.vantage, self.control_url, self.log = vantage, control_url, log
        self.alerts, self.mailbox = alerts, mailbox
        self.running: set[asyncio.Task] = set()
        self.stopping = asyncio.Event()
        self.interrupted = 0

    async def run(self) -> None:
        # Our listener says it in one line; APScheduler's own warnings would say it again.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_listener(self._on_overlap, EVENT_JOB_MAX_INSTANCES)
        for schedule in self.schedules:
            scheduler.add_job(
                self._fire,
                schedule.trigger(),
                args=[schedule],
                id=schedule.name,
                name=schedule.name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
            )
        if self.mailbox is not None:
            every = IntervalTrigger(seconds=FOLLOW_UP_EVERY_S)
            scheduler.add_job(self.follow_up, every, id="follow-up", coalesce=True, max_instances=1,
                              misfire_grace_time=None, next_run_time=datetime.now(UTC))  # fmt: skip
        scheduler.start()
        for job in scheduler.get_jobs():
            if job.id == "follow-up":
                continue
            schedule = job.args[0]
            self.log(
                f"{schedule.name}: {schedule.when()}, tag {schedule.tag or '-'}, platforms "
                f"{' '.join(schedule.platforms)}; next run {job.next_run_time.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
            )
        try:
            await self.stopping.wait()
        finally:
            scheduler.shutdown(wait=False)
            for task in list(self.running):
                task.cancel()
            await asyncio.gather(*self.running, return_exceptions=True)

    def stop(self, why: str) -> None:
        self.log(f"stopping ({why}): probes in flight are recorded as interrupted")
        self.stopping.set()

    async def _fire(self, schedule: Schedule) -> None:
        task = asyncio.current_task()
        assert task is not None  # APScheduler runs each job as a task
        self.running.add(task)
        try:
            catalog = load_catalog(self.probes_dir)  # edits to platform files apply from the next run on
            for problem in catalog.problems:
                self.log(f"{schedule.name}: skipped: {problem}")
            platforms = schedule.select(catalog)
            self.log(f"{schedule.name}: run of {len(platforms)} platform(s)")
            results = await probe_platforms(
                platforms,
                catalog,
                self.store,
                concurrency=schedule.concurrency,
                tag=schedule.tag,
                vantage=self.vantage,
                max_wait_s=schedule.max_wait_s,
                control_url=self.control_url,
                schedule=schedule.name,
                handle_signals=False,
                on_skip=lambda slug, why: self.log(f"{schedule.name}: skipped {slug}: {why}"),
                on_result=lambda result: self.log(f"{schedule.name}: {result.line(terminal_language())}"),
                alerts=self.alerts,
                on_alert=lambda change, delivery: self.log(f"{schedule.name}: alert: {change.text} ({delivery})"),
                contact=self.mailbox.contact if self.mailbox else None,
            )
            self.log(f"{schedule.name}: run done, {len(results)} probed")
        except asyncio.CancelledError:  # we are stopping: the probes recorded themselves
            self.log(f"{schedule.name}: run interrupted")
        except WatchdogError as e:  # our fault (no browser, broken folder): say so, try again next time
            self.log(f"{schedule.name}: error: {e}")
        finally:
            self.running.discard(task)

    async def follow_up(self) -> None:
        """The mailbox read for the follow-ups, in a thread of its own (IMAP blocks) with a
        connection of its own; a mailbox that cannot be read is a line, tried again next time."""
        try:
            settled = await asyncio.to_thread(self._check_mailbox)
        except WatchdogError as e:
            self.log(f"follow-up: error: {e}")
            return
        for done in settled:
            self.log(f"follow-up: {settled_line(done)}")
        if settled and self.alerts is not None:
            for change, delivery in await announce(self.store, self.alerts):
                self.log(f"follow-up: alert: {change.text} ({delivery})")

    def _check_mailbox(self) -> list[FollowUp]:
        assert self.mailbox is not None  # only scheduled with one
        with open_store(self.store.path) as store:
            return check_mailbox(store, self.mailbox, datetime.now(UTC))

    def _on_overlap(self, event: JobSubmissionEvent) -> None:
        self.log(f"{event.job_id}: previous run still going; this run skipped (one at a time)")


def run_until_signalled(runner: ScheduleRunner) -> None:
    """Run the schedules in a fresh event loop until SIGTERM or Ctrl-C."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, runner.stop, sig.name)
        await runner.run()

    asyncio.run(main())
