"""Alerts on state change (alerts.toml), as Gatus and Uptime Kuma send them: not on every
probe, but when a platform becomes fake-online or a bot loop in N of its last M probes, or
stops answering, or leaves a message unanswered (留言: the last of our messages left that
settled either way got no answer from a person in 7 days), and again when it recovers. Each
change is recorded once in the `events` table; delivery goes through Apprise (企业微信, 钉钉,
飞书, email, Telegram, ntfy, ...).

    urls = ["dingtalk://TOKEN/", "mailto://user:pass@example.com"]   # Apprise URLs
    site = "https://watchdog.example.org"   # optional: links to probe pages in the messages
    platforms = ["*"]                       # slugs or globs (default: all)
    lang = "zh"                             # the messages' language: zh (default) or en
    follow_ups = true                       # a message left unanswered is an alert too

    [rules]
    window = 3        # each platform's last M counted probes
    fake_online = 2   # N of them fake online: the platform is fake-online
    bot_loop = 2      # N of them a bot loop
    read_no_reply = 1 # N of them 已读不回 (shown read, no human): 1, its first
    no_human = 3      # N of them without a human reply: it stopped answering

The decisions are pure; `deliver` is the only I/O.
"""

from __future__ import annotations

import asyncio
import fnmatch
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Problem, _read_toml, _Table
from .errors import ConfigError
from .followups import CLOSE_AFTER_S
from .i18n import DEFAULT, N_, duration_words, language, translate, when_words
from .publish.ratings import EXCLUDED_OUTCOMES
from .records import FollowUpState
from .store import Store

DEFAULT_PATH = Path("alerts.toml")
KINDS = {  # each state: its name, and what it means
    "fake_online": (N_("fake online"), N_("it said online and no human answered")),
    "bot_loop": (N_("bot loop"), N_("we asked for a human and got only bots")),
    "read_no_reply": (N_("read, no reply"), N_("our question was shown as read and no human answered")),
    "no_human": (N_("no human reply"), N_("no human replied")),
}
# A state of its own, not a rule over probes: the platform's latest message left that settled
# either way (a person answered it, or nobody did in 7 days) went unanswered. Automatic
# receipts only (auto_only) settle it neither way.
FOLLOW_UP = "follow_up_unanswered"
FOLLOW_UP_STATE = N_("message left unanswered")
DEFAULT_WINDOW = 3
MAX_WINDOW = 50


@dataclass(frozen=True)
class Alerts:
    path: str
    urls: tuple[str, ...]
    window: int = DEFAULT_WINDOW
    rules: tuple[tuple[str, int], ...] = (("fake_online", 2), ("bot_loop", 2), ("read_no_reply", 1), ("no_human", 3))
    platforms: tuple[str, ...] = ("*",)
    site: str | None = None
    lang: str = DEFAULT
    follow_ups: bool = True  # alert when a message left (留言) goes unanswered

    def watches(self, slug: str) -> bool:
        return any(fnmatch.fnmatchcase(slug, pattern) for pattern in self.platforms)


def parse_alerts(path: Path, problems: list[Problem]) -> Alerts | None:
    count = len(problems)
    data = _read_toml(path, problems)
    if data is None:
        return None
    top = _Table(data, str(path), "", problems)
    urls = top.texts("urls")
    if "urls" not in data:
        problems.append(Problem(str(path), "urls", "missing (a list of Apprise URLs, e.g. json://host/path)"))
    for url in urls:
        if "://" not in url:
            problems.append(Problem(str(path), "urls", f"{url!r} is not an Apprise URL (scheme://...)"))
    site = top.text("site")
    said = top.text("lang")
    lang = language(said) if said else DEFAULT
    if lang is None:
        problems.append(Problem(str(path), "lang", f"{said!r}: zh (中文) or en"))
        lang = DEFAULT
    platforms = top.texts("platforms", ("*",))
    follow_ups = top.flag("follow_ups", True)
    rules_table = top.table("rules")
    window = rules_table.whole("window", DEFAULT_WINDOW, MAX_WINDOW)
    rules = []
    for kind in KINDS:
        default = window if kind == "no_human" else 1 if kind == "read_no_reply" else min(2, window)
        at_least = rules_table.whole(kind, default, MAX_WINDOW)
        if at_least > window:
            problems.append(Problem(str(path), f"rules.{kind}", f"must be at most rules.window ({window})"))
        rules.append((kind, at_least))
    rules_table.finish()
    top.finish()
    if len(problems) > count:
        return None
    site = site.rstrip("/") if site else None
    return Alerts(str(path), urls, window, tuple(rules), platforms, site, lang, follow_ups)


def load_alerts(path: Path) -> Alerts | None:
    """The alerts file, or None when there is none; a broken file is an error, one line per problem."""
    if not path.exists():
        return None
    problems: list[Problem] = []
    alerts = parse_alerts(path, problems)
    if alerts is None:
        raise ConfigError("\n".join(map(str, problems)))
    return alerts


def holds(verdicts: list[dict[str, Any]], alerts: Alerts) -> dict[str, bool]:
    """Which states hold for a platform, given its last counted probes (newest first)."""
    seen = {
        "fake_online": sum(1 for v in verdicts if v["fake_online"]),
        "bot_loop": sum(1 for v in verdicts if v["bot_loop"]),
        "read_no_reply": sum(1 for v in verdicts if v["read_no_reply"]),
        "no_human": sum(1 for v in verdicts if v["outcome"] != "human"),
    }
    return {kind: len(verdicts) >= at_least and seen[kind] >= at_least for kind, at_least in alerts.rules}


@dataclass(frozen=True)
class Change:
    platform: str
    name: str
    kind: str
    started: bool
    probe_id: str
    text: str


def describe(platform: str, name: str, kind: str, started: bool, count: int, alerts: Alerts, probe_id: str) -> str:
    """The message, in the alerts' language."""
    state, meaning = (translate(alerts.lang, words) for words in KINDS[kind])
    said: dict[str, Any] = {"name": name, "platform": platform, "state": state, "meaning": meaning}
    said |= {"count": count, "window": alerts.window}
    now = N_("%(name)s (%(platform)s) is now %(state)s: %(meaning)s in %(count)s of its last %(window)s probes.")
    recovered = N_(
        "%(name)s (%(platform)s) recovered, no longer %(state)s: %(meaning)s in %(count)s of its last "
        "%(window)s probes."
    )
    text = translate(alerts.lang, now if started else recovered)
    return (text % said) + _link(alerts, probe_id)


def _link(alerts: Alerts, probe_id: str) -> str:
    if not alerts.site:
        return ""
    return " " + translate(alerts.lang, N_("Latest probe: %(url)s")) % {"url": f"{alerts.site}/-/probe/{probe_id}"}


def latest_settled(follow_ups: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Of a platform's follow-ups (oldest first), the latest that settled either way: answered
    by a person, or unanswered."""
    either = (FollowUpState.ANSWERED, FollowUpState.UNANSWERED)
    return next((f for f in reversed(follow_ups) if f["state"] in either), None)


def describe_follow_up(platform: str, name: str, follow_up: dict[str, Any], alerts: Alerts) -> str:
    """The message of a follow-up's change, in the alerts' language: left unanswered, or
    answered again."""
    said: dict[str, Any] = {"name": name, "platform": platform}
    said["when"] = when_words(follow_up["submitted_at"], alerts.lang)
    if follow_up["state"] == FollowUpState.UNANSWERED:
        said["days"] = f"{CLOSE_AFTER_S / 86400:g}"
        text = N_(
            "%(name)s (%(platform)s) left a message unanswered: the question we left on its 留言 form %(when)s "
            "got no answer from a person in %(days)s days."
        )
    else:
        said["time"] = duration_words(follow_up["human_delay_s"] or 0.0, alerts.lang)
        text = N_(
            "%(name)s (%(platform)s) answers messages left again: a person answered the one left %(when)s "
            "after %(time)s."
        )
    return translate(alerts.lang, text) % said + _link(alerts, follow_up["probe_id"])


def changes(store: Store, alerts: Alerts, names: dict[str, str]) -> list[Change]:
    """The state changes since the last recorded ones, for every watched platform."""
    before = store.alert_states()
    left: dict[str, list[dict[str, Any]]] = {}
    for follow_up in store.follow_ups() if alerts.follow_ups else []:
        left.setdefault(follow_up["platform"], []).append(follow_up)
    found = []
    for platform in sorted(names):
        if not alerts.watches(platform):
            continue
        name = names[platform]
        verdicts = store.recent_verdicts(platform, alerts.window, EXCLUDED_OUTCOMES)
        for kind, now in holds(verdicts, alerts).items() if verdicts else ():
            if now == before.get((platform, kind), False):
                continue
            count = sum(1 for v in verdicts if (v["outcome"] != "human" if kind == "no_human" else v[kind]))
            text = describe(platform, name, kind, now, count, alerts, verdicts[0]["id"])
            found.append(Change(platform, name, kind, now, verdicts[0]["id"], text))
        settled = latest_settled(left.get(platform, []))
        if settled is None:
            continue
        unanswered = settled["state"] == FollowUpState.UNANSWERED
        if unanswered != before.get((platform, FOLLOW_UP), False):
            text = describe_follow_up(platform, name, settled, alerts)
            found.append(Change(platform, name, FOLLOW_UP, unanswered, settled["probe_id"], text))
    return found


def deliver(urls: tuple[str, ...], title: str, body: str) -> str:
    """Send one message to every URL through Apprise; what happened, in words (never raises)."""
    try:
        with warnings.catch_warnings():  # its import of imghdr warns on Python 3.11: not ours to show
            warnings.simplefilter("ignore", DeprecationWarning)
            import apprise  # imported here: a run without alerts does not pay for it

        sent = 0
        for url in urls:
            notifier = apprise.Apprise()
            if notifier.add(url) and notifier.notify(title=title, body=body):
                sent += 1
        return f"sent to {sent} of {len(urls)}"
    except Exception as e:  # a notification service's failure is data, never the run's end
        return f"not sent: {type(e).__name__}: {e}"


def title(change: Change, lang: str) -> str:
    state = translate(lang, FOLLOW_UP_STATE if change.kind == FOLLOW_UP else KINDS[change.kind][0])
    if change.started:
        return "kefu-watchdog: " + translate(lang, N_("%(name)s %(state)s")) % {"name": change.name, "state": state}
    return "kefu-watchdog: " + translate(lang, N_("%(name)s recovered from %(state)s")) % {
        "name": change.name,
        "state": state,
    }


async def announce(
    store: Store, alerts: Alerts, send: Callable[[tuple[str, ...], str, str], str] = deliver
) -> list[tuple[Change, str]]:
    """Record each state change once, then send it (in a thread: a slow notification service
    holds up no probe); each change with how its delivery went."""
    names = {row["slug"]: row["name"] for row in store.platforms()}
    recorded = [
        (
            store.add_event(
                {
                    "platform": change.platform,
                    "kind": change.kind,
                    "change": "started" if change.started else "ended",
                    "probe_id": change.probe_id,
                    "detail": change.text,
                }
            ),
            change,
        )
        for change in changes(store, alerts, names)
    ]
    done = []
    for event_id, change in recorded:
        delivery = await asyncio.to_thread(send, alerts.urls, title(change, alerts.lang), change.text)
        store.event_delivered(event_id, delivery)
        done.append((change, delivery))
    return done
