"""Schedule files (schedules/<name>.toml): when to probe which platforms, with which tag.

Parsed as strictly as platform files: unknown keys are errors, every problem is reported as
`path: field: message`, and platform selectors must match a platform in the probes folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .config import MAX_WAIT_S, Catalog, Platform, Problem, _read_toml, _Table
from .errors import ConfigError
from .formatting import format_wait

DEFAULT_TIMEZONE = "Asia/Shanghai"
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
GLOB_CHARS = re.compile(r"[*?\[]")
CRON_WEEKDAY = re.compile(r"(?<![/\d])\d+")  # a weekday number, not a step such as */2


@dataclass(frozen=True)
class Schedule:
    name: str
    path: str
    cron: str | None = None  # five crontab fields, in `timezone`
    interval_s: float | None = None
    jitter_s: float = 0.0
    timezone: str = DEFAULT_TIMEZONE
    tag: str | None = None
    platforms: tuple[str, ...] = ("*",)  # slugs or globs
    max_wait_s: float | None = None
    concurrency: int = 8

    def trigger(self) -> BaseTrigger:
        jitter = round(self.jitter_s) or None
        if self.cron is not None:
            return _cron_trigger(self.cron, self.timezone, jitter)
        return IntervalTrigger(seconds=self.interval_s, jitter=jitter)

    def select(self, catalog: Catalog) -> list[Platform]:
        """The catalog's platforms matched by any selector, in slug order."""
        return catalog.matching(self.platforms)

    def when(self) -> str:
        every = f"cron '{self.cron}' ({self.timezone})" if self.cron else f"every {format_wait(self.interval_s or 0)}"
        return every + (f", jitter up to {format_wait(self.jitter_s)}" if self.jitter_s else "")


def _cron_trigger(expression: str, timezone: str, jitter: int | None = None) -> CronTrigger:
    """A crontab line as cron means it. APScheduler counts weekdays from Monday = 0, crontab
    from Sunday = 0 (or 7), so numeric weekdays are turned into names first."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields: got {len(fields)}, expected 5")
    minute, hour, day, month, day_of_week = fields
    day_of_week = CRON_WEEKDAY.sub(
        lambda m: WEEKDAYS[int(m.group()) % 7] if int(m.group()) <= 7 else m.group(), day_of_week
    )
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=day_of_week,
        timezone=ZoneInfo(timezone),
        jitter=jitter,
    )


def parse_schedule(path: Path, catalog: Catalog | None, problems: list[Problem]) -> Schedule | None:
    """Parse one schedule file; with a catalog, also check that each selector matches a platform."""
    count = len(problems)
    data = _read_toml(path, problems)
    if data is None:
        return None
    where = str(path)
    top = _Table(data, where, "", problems)
    name = top.text("name", required=True)
    cron = top.text("cron")
    interval_s = top.duration("interval", None)
    if "cron" not in data and "interval" not in data:
        problems.append(Problem(where, "cron", "missing: give a cron expression or an interval"))
    elif "cron" in data and "interval" in data:
        problems.append(Problem(where, "interval", "give a cron expression or an interval, not both"))
    timezone = top.text("timezone") or DEFAULT_TIMEZONE
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Problem(where, "timezone", f"unknown time zone {timezone!r}"))
        timezone = DEFAULT_TIMEZONE
    if cron is not None:
        try:
            _cron_trigger(cron, timezone)
        except ValueError as e:
            problems.append(Problem(where, "cron", f"{e} (five fields: minute hour day month day-of-week)"))
    concurrency = top.number("concurrency", 8, 500)
    if concurrency != int(concurrency):
        problems.append(Problem(where, "concurrency", "must be a whole number"))
    schedule = Schedule(
        name=name or "",
        path=where,
        cron=cron,
        interval_s=interval_s,
        jitter_s=top.duration("jitter", 0.0) or 0.0,
        timezone=timezone,
        tag=top.text("tag"),
        platforms=top.texts("platforms", ("*",)),
        max_wait_s=top.duration("max_wait", None, MAX_WAIT_S),
        concurrency=int(concurrency),
    )
    top.finish()
    if catalog is not None:  # a slug must name a platform; a glob may match none (yet)
        for slug in schedule.platforms:
            if not GLOB_CHARS.search(slug) and slug not in catalog.platforms:
                problems.append(Problem(where, "platforms", f"no valid platform file {slug}.toml in the probes folder"))
    return schedule if len(problems) == count else None


@dataclass
class ScheduleSet:
    schedules: list[Schedule]
    problems: list[Problem]
    files: int


def load_schedules(folder: Path, catalog: Catalog | None) -> ScheduleSet:
    """Every schedule file of a folder; invalid files become problems. Names must be unique."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder of schedule files (pass --schedules DIR)")
    problems: list[Problem] = []
    schedules: list[Schedule] = []
    files = sorted(folder.glob("*.toml"))
    for path in files:
        schedule = parse_schedule(path, catalog, problems)
        if schedule is None:
            continue
        earlier = next((s for s in schedules if s.name == schedule.name), None)
        if earlier is not None:
            problems.append(Problem(schedule.path, "name", f"{schedule.name!r} is also the name of {earlier.path}"))
            continue
        schedules.append(schedule)
    return ScheduleSet(schedules, problems, len(files))
