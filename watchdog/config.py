"""Platform files (probes/<slug>.toml) and question sets (probes/questions/<name>.toml).

Each file is parsed into a small frozen dataclass. Validation is strict: unknown keys are
errors, and every problem is reported as `path: field: message` so one run of
`watchdog check` lists them all.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, time
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .formatting import format_wait

DEFAULT_QUESTIONS = "presale-zh"
DEFAULT_ONLINE_WORDS = ("在线", "交流中", "为您服务", "online")
# "不在线" contains "在线": offline words are matched first, so it must be listed here.
DEFAULT_OFFLINE_WORDS = ("离线", "不在线", "没有客服", "暂无客服", "非工作时间", "留言", "下班", "offline")
# "在线客服" names the service and "在线时间" its hours: neither claims anyone is there now. The
# online words are looked for without these.
SERVICE_NAMES = (
    "在线客服",
    "在线咨询",
    "在线服务",
    "在线时间",
    "在线时段",
    "online service",
    "online support",
    "online hours",
)
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
DURATION_PATTERN = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Bounds that no honest file exceeds: a probe waits at most this long for a human...
MAX_WAIT_S = 2 * 3600.0
# ...and no duration (intervals, promises) is longer than this; no file is larger than this.
MAX_DURATION_S = 30 * 86400.0
MAX_FILE_BYTES = 256 * 1024
HOURS_PATTERN = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
# Selector syntax only Playwright's engines know: an engine prefix (text=, xpath=, role=, ...),
# XPath or quoted text, chained clauses (>>), and Playwright's own pseudo-classes.
READ_WORDS = "text="  # chat.read given as the words the widget writes, not a selector
PLAYWRIGHT_ENGINE = re.compile(r"^\s*(?:[a-z][a-z-]*(?::light)?\s*=|//|\.\.|[\"'])")
PLAYWRIGHT_ONLY = re.compile(
    r">>|:(?:has-text|text|text-is|text-matches|nth-match|right-of|left-of|above|below|near)"
    r"\(|:visible\b|:light\b|\binternal:"
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file, printed as `path: field: message`."""

    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


def parse_duration(text: str) -> float:
    """'30s', '10m', '2h', '1h30m', '250ms' -> seconds. Raises ValueError."""
    text = text.strip()
    matches = list(DURATION_PATTERN.finditer(text))
    if not text or "".join(m.group(0) for m in matches) != text:
        raise ValueError(f"not a duration: {text!r} (use e.g. '30s', '10m', '2h')")
    return sum(float(m.group(1)) * DURATION_UNITS[m.group(2)] for m in matches)


@dataclass(frozen=True)
class Chat:
    input: str
    open: str | None = None
    frame: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    status: str | None = None
    online: tuple[str, ...] = DEFAULT_ONLINE_WORDS
    offline: tuple[str, ...] = DEFAULT_OFFLINE_WORDS
    status_online: str | None = None
    status_offline: str | None = None
    send: str | None = None
    message: str | None = None
    visitor: str | None = None
    bot: str | None = None
    sender: str | None = None
    typing: str | None = None
    read: str | None = None  # the read marker's selector, or text=WORDS; None: the defaults


@dataclass(frozen=True)
class Promise:
    first_response_s: float | None = None
    hours: tuple[time, time] | None = None  # None: always
    timezone: str = "Asia/Shanghai"

    def covers(self, moment: datetime) -> bool:
        """Whether the promised service hours include this moment (an aware datetime)."""
        if self.hours is None:
            return True
        start, end = self.hours
        local = moment.astimezone(ZoneInfo(self.timezone)).time()
        if start <= end:
            return start <= local < end
        return local >= start or local < end  # hours past midnight, e.g. 20:00-02:00


@dataclass(frozen=True)
class ProbeSettings:
    questions: str = DEFAULT_QUESTIONS
    max_wait_s: float = 600.0
    min_interval_s: float = 6 * 3600.0
    # Simulated platforms run on compressed time (see timescale.py): waits and reply
    # times are read through it. Real platforms leave it at 1.
    time_scale: float = 1.0


LEAVE_WHEN = ("offline", "always", "never")


@dataclass(frozen=True)
class LeaveMessage:
    """[leave_message]: where and when a probe leaves its question on the platform's 留言 /
    工单 form (only with a mailbox to be answered at: mailbox.toml)."""

    when: str = "offline"  # offline: when the chat says so; always: every probe; never
    url: str | None = None  # a 留言 / 工单 page of its own; None: the form the offline chat shows
    form: str | None = None  # the form's (or its box's) selector; None: found
    submit: str | None = None  # its submit button; None: found
    min_interval_s: float = 24 * 3600.0  # never more often, whatever the probes' interval


@dataclass(frozen=True)
class Platform:
    slug: str
    name: str
    url: str
    chat: Chat
    path: str
    promise: Promise = field(default_factory=Promise)
    probe: ProbeSettings = field(default_factory=ProbeSettings)
    leave_message: LeaveMessage = field(default_factory=LeaveMessage)


@dataclass(frozen=True)
class Handoff:
    text: str = "转人工"
    after_auto_reply: bool = True
    after_silence_s: float = 60.0


@dataclass(frozen=True)
class QuestionSet:
    name: str
    questions: tuple[str, ...]
    path: str
    handoff: Handoff = field(default_factory=Handoff)

    def pick(self, rotation: int) -> tuple[int, str]:
        """The question for the `rotation`-th probe of a platform (rotating through the set)."""
        index = rotation % len(self.questions)
        return index, self.questions[index]


class _Table:
    """Reads one TOML table, recording problems instead of raising."""

    def __init__(self, data: Any, path: str, prefix: str, problems: list[Problem]):
        self.path, self.prefix, self.problems = path, prefix, problems
        if not isinstance(data, dict):
            self._problem(prefix.rstrip(".") or "-", "must be a table")
            data = {}
        self.data = data
        self.seen: set[str] = set()

    def _problem(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.path, field_name, message))

    def _take(self, key: str, required: bool) -> Any:
        self.seen.add(key)
        if key not in self.data:
            if required:
                self._problem(self.prefix + key, "missing")
            return None
        return self.data[key]

    def text(self, key: str, required: bool = False) -> str | None:
        value = self._take(key, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self._problem(self.prefix + key, "must be a non-empty string")
            return None
        return value.strip()

    def css(self, key: str) -> str | None:
        """A selector the in-page observer matches: CSS as Playwright reads it, without the
        engines and pseudo-classes only Playwright has (the observer runs in the page)."""
        value = self.text(key)
        only_playwright = value and (PLAYWRIGHT_ENGINE.match(value) or PLAYWRIGHT_ONLY.search(value))
        if value and only_playwright:
            self._problem(
                self.prefix + key,
                f"{only_playwright.group(0).strip()!r} is Playwright-only syntax, which "
                "the in-page observer cannot match: use plain CSS (combinators, :not(), :has(), attributes)",
            )
            return None
        return value

    def read_mark(self, key: str) -> str | None:
        """chat.read: the read marker's selector, or the words the widget writes (text=已阅)."""
        value = self.text(key)
        if value is None or not value.startswith(READ_WORDS):
            return self.css(key) if value is not None else None
        if not value.removeprefix(READ_WORDS).strip():
            self._problem(self.prefix + key, f'"{READ_WORDS}" needs the words after it, like "{READ_WORDS}已阅"')
            return None
        return value

    def texts(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """A string or a list of strings."""
        value = self._take(key, False)
        if value is None:
            return default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            self._problem(self.prefix + key, "must be a non-empty string or list of strings")
            return default
        return tuple(v.strip() for v in value)

    def duration(self, key: str, default: float | None, longest: float = MAX_DURATION_S) -> float | None:
        value = self._take(key, False)
        if value is None:
            return default
        try:
            if not isinstance(value, str):
                raise ValueError("must be a duration string such as '30s', '10m' or '2h'")
            seconds = parse_duration(value)
            if seconds <= 0:
                raise ValueError("must be longer than zero")
            if seconds > longest:
                raise ValueError(f"must be at most {format_wait(longest)}")
            return seconds
        except ValueError as e:
            self._problem(self.prefix + key, str(e))
            return default

    def number(self, key: str, default: float, largest: float) -> float:
        value = self._take(key, False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= largest:
            self._problem(self.prefix + key, f"must be a number above 0 and at most {largest:g}")  # nan and inf too
            return default
        return float(value)

    def whole(self, key: str, default: int, largest: int) -> int:
        """A whole number from 1 to `largest`."""
        value = self._take(key, False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= largest:
            self._problem(self.prefix + key, f"must be a whole number from 1 to {largest}")
            return default
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self._take(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self._problem(self.prefix + key, "must be true or false")
            return default
        return value

    def table(self, key: str) -> _Table:
        value = self._take(key, False)
        return _Table({} if value is None else value, self.path, f"{self.prefix}{key}.", self.problems)

    def finish(self) -> None:
        for key in sorted(set(self.data) - self.seen):
            self._problem(self.prefix + key, "unknown key")


def _read_toml(path: Path, problems: list[Problem]) -> dict | None:
    """The file's TOML, or None with one problem: not a regular file (a FIFO would hang the
    read), too large, not UTF-8, not TOML."""
    try:
        if not path.is_file():
            problems.append(Problem(str(path), "file", "not a regular file: remove it or rename it"))
            return None
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem(str(path), "file", f"larger than {MAX_FILE_BYTES // 1024} KB: not a platform file"))
            return None
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        problems.append(Problem(str(path), "file", "not UTF-8 text: save it as UTF-8 (it may be GBK)"))
    except tomllib.TOMLDecodeError as e:
        problems.append(Problem(str(path), "toml", f"not valid TOML: {e}"))
    except OSError as e:
        problems.append(Problem(str(path), "file", f"cannot read: {e.strerror}"))
    return None


def _parse_hours(value: str | None, table: _Table) -> tuple[time, time] | None:
    if value is None or value == "always":
        return None
    match = HOURS_PATTERN.match(value)
    try:
        if not match:
            raise ValueError
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return time(h1, m1), time(h2, m2)
    except ValueError:
        table._problem(table.prefix + "hours", "must be 'always' or like '09:00-23:00'")
        return None


def _web_address(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def parse_platform(path: Path, problems: list[Problem]) -> Platform | None:
    """Parse one platform file; returns None (and records problems) when it is invalid."""
    count = len(problems)
    data = _read_toml(path, problems)
    if data is None:
        return None
    where = str(path)
    slug = path.stem
    if not SLUG_PATTERN.match(slug):
        problems.append(Problem(where, "slug", "file name must be lowercase letters, digits, - or _"))
    top = _Table(data, where, "", problems)
    name = top.text("name", required=True)
    url = top.text("url", required=True)
    if url is not None and not _web_address(url):
        problems.append(Problem(where, "url", "must be an http:// or https:// address"))
    widget = top.text("widget")
    preset = _preset_chat(widget, where, problems)
    if preset is not None and isinstance(data.get("chat", {}), dict):
        data["chat"] = {**preset, **data.get("chat", {})}  # the file's own keys override the preset's
    chat_table = top.table("chat")
    if "chat" not in data and widget is None:
        problems.append(Problem(where, "chat", "missing (needs at least chat.input, or widget = a preset)"))
    chat = _parse_chat(chat_table, required="chat" in data)
    chat_table.finish()
    promise_table = top.table("promise")
    timezone = promise_table.text("timezone") or "Asia/Shanghai"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Problem(where, "promise.timezone", f"unknown time zone {timezone!r}"))
    promise = Promise(
        first_response_s=promise_table.duration("first_response", None),
        hours=_parse_hours(promise_table.text("hours"), promise_table),
        timezone=timezone,
    )
    promise_table.finish()
    probe_table = top.table("probe")
    defaults = ProbeSettings()
    settings = ProbeSettings(
        questions=probe_table.text("questions") or defaults.questions,
        max_wait_s=probe_table.duration("max_wait", defaults.max_wait_s, MAX_WAIT_S) or defaults.max_wait_s,
        min_interval_s=probe_table.duration("min_interval", defaults.min_interval_s) or defaults.min_interval_s,
        time_scale=probe_table.number("time_scale", defaults.time_scale, 1.0),
    )
    probe_table.finish()
    leave_message = _parse_leave_message(top.table("leave_message"), settings)
    top.finish()
    if len(problems) > count:
        return None
    return Platform(slug, name or "", url or "", chat, where, promise, settings, leave_message)


def _parse_leave_message(table: _Table, settings: ProbeSettings) -> LeaveMessage:
    defaults = LeaveMessage()
    when = table.text("when") or defaults.when
    if when not in LEAVE_WHEN:
        table._problem(table.prefix + "when", f"{when!r}: one of {', '.join(LEAVE_WHEN)}")
    url = table.text("url")
    if url is not None and not _web_address(url):
        table._problem(table.prefix + "url", "must be an http:// or https:// address")
    every = table.duration("min_interval", defaults.min_interval_s) or defaults.min_interval_s
    leave = LeaveMessage(
        when=when,
        url=url,
        form=table.text("form"),
        submit=table.text("submit"),
        min_interval_s=max(every, settings.min_interval_s),
    )
    table.finish()
    return leave


def _parse_chat(table: _Table, required: bool = True) -> Chat:
    return Chat(
        input=table.text("input", required=required) or "",
        open=table.text("open"),
        frame=table.texts("frame"),
        start=table.texts("start"),
        status=table.text("status"),
        online=table.texts("online", DEFAULT_ONLINE_WORDS),
        offline=table.texts("offline", DEFAULT_OFFLINE_WORDS),
        status_online=table.text("status_online"),
        status_offline=table.text("status_offline"),
        send=table.text("send"),
        message=table.css("message"),
        visitor=table.css("visitor"),
        bot=table.css("bot"),
        sender=table.css("sender"),
        typing=table.css("typing"),
        read=table.read_mark("read"),
    )


@dataclass(frozen=True)
class Preset:
    """The selectors of a widely deployed chat system (watchdog/presets/<name>.toml), with
    where they were read from and the version they were checked against."""

    name: str
    title: str
    source: str
    checked: str
    chat: dict[str, Any]
    detect: dict[str, list[str]]  # scripts (src contains) and elements (selectors) that show it is there

    def as_chat(self) -> Chat:
        """The preset's selectors alone, as a platform file using it reads them."""
        problems: list[Problem] = []
        table = _Table(dict(self.chat), f"presets/{self.name}.toml", "chat.", problems)
        chat = _parse_chat(table)
        if problems:
            raise ValueError(f"preset {self.name}: {problems[0]}")
        return chat


@functools.cache
def presets() -> dict[str, Preset]:
    """Every preset shipped with the package, by name (read once; do not modify)."""
    found = {}
    for entry in sorted((resources.files("watchdog") / "presets").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            name = entry.name.removesuffix(".toml")
            source = data["source"]
            found[name] = Preset(
                name, data["name"], source["repository"], source["checked"], data["chat"], data.get("detect", {})
            )
    return found


def _preset_chat(name: str | None, where: str, problems: list[Problem]) -> dict[str, Any] | None:
    if name is None:
        return None
    known = presets()
    if name not in known:
        problems.append(Problem(where, "widget", f"no preset {name!r} (known: {', '.join(known)})"))
        return None
    return dict(known[name].chat)


def parse_question_set(path: Path, problems: list[Problem]) -> QuestionSet | None:
    count = len(problems)
    data = _read_toml(path, problems)
    if data is None:
        return None
    top = _Table(data, str(path), "", problems)
    questions = top.texts("questions")
    if not questions and "questions" not in data:
        problems.append(Problem(str(path), "questions", "missing (a list of standard questions)"))
    handoff_table = top.table("handoff")
    defaults = Handoff()
    handoff = Handoff(
        text=handoff_table.text("text") or defaults.text,
        after_auto_reply=handoff_table.flag("after_auto_reply", defaults.after_auto_reply),
        after_silence_s=handoff_table.duration("after_silence", defaults.after_silence_s) or defaults.after_silence_s,
    )
    handoff_table.finish()
    top.finish()
    if len(problems) > count:
        return None
    return QuestionSet(path.stem, questions, str(path), handoff)


def builtin_questions_dir() -> Path:
    """Question sets shipped inside the package (used when probes/questions lacks one)."""
    return Path(str(resources.files("watchdog") / "questions"))


@dataclass
class Catalog:
    """Everything found in a probes folder: valid platforms, question sets, and problems."""

    platforms: dict[str, Platform]
    question_sets: dict[str, QuestionSet]
    problems: list[Problem]
    files: int

    def matching(self, patterns: tuple[str, ...]) -> list[Platform]:
        """The platforms whose slug any pattern matches (globs: *, ?, [..]), in slug order."""
        return [
            platform
            for slug, platform in sorted(self.platforms.items())
            if any(fnmatch.fnmatchcase(slug, pattern) for pattern in patterns)
        ]


def load_catalog(probes_dir: Path) -> Catalog:
    """Read every platform file and question set; invalid files become problems, not errors.

    Raises ConfigError only when there is nothing to probe at all (no folder, no files).
    """
    if not probes_dir.is_dir():
        raise ConfigError(
            f"{probes_dir}: no such folder of platform files "
            "(pass --probes DIR, or run `watchdog sandbox --write-probes DIR` for a demo set)"
        )
    problems: list[Problem] = []
    question_sets: dict[str, QuestionSet] = {}
    for folder in (builtin_questions_dir(), probes_dir / "questions"):
        for path in sorted(folder.glob("*.toml")):
            question_set = parse_question_set(path, problems)
            if question_set is not None:
                question_sets[question_set.name] = question_set
    platform_files = sorted(probes_dir.glob("*.toml"))
    platforms: dict[str, Platform] = {}
    for path in platform_files:
        platform = parse_platform(path, problems)
        if platform is None:
            continue
        if platform.probe.questions not in question_sets:
            problems.append(
                Problem(
                    platform.path,
                    "probe.questions",
                    f"no question set {platform.probe.questions!r} in {probes_dir / 'questions'}",
                )
            )
            continue
        platforms[platform.slug] = platform
    return Catalog(platforms, question_sets, problems, len(platform_files))
