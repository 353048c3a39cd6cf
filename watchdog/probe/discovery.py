"""What `watchdog discover` decides from what it saw on a page: which element is the chat's
entry, which text box is the chat's input, which element tells its status, and the platform
file that says so, each field with how sure we are and how it was found.

Pure code: the browser side (probe/discoverer.py) hands over what scan.js read from the page.
Precision first: a search box or a help-centre link is not a chat, and a status element is
only one that sits by the chat's entry and says a status word.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from ..config import DEFAULT_OFFLINE_WORDS, DEFAULT_ONLINE_WORDS, SLUG_PATTERN, Chat
from ..records import Claimed
from ..text import clean_text
from .conversation import claimed_from_text

# Words that name a chat's entry, with how much each says.
ENTRY_WORDS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("在线客服", "联系客服", "人工客服", "在线咨询", "客服", "咨询", "聊天", "live chat", "chat with us"), 3),
    (("联系我们", "售前", "售后", "chat", "support"), 2),
    (("帮助", "help", "contact"), 1),
)
# Class or id words chat vendors use for their launchers.
VENDOR_NAMES = (
    "kefu", "kf", "chat", "livechat", "im", "service", "support", "launcher",
    "lhc", "meiqia", "mq", "qiyu", "ysf", "udesk", "sobot", "zhichi", "53kf", "crisp", "tawk", "woot",
)  # fmt: skip
SEND_WORDS = ("发送", "发 送", "send", "提交", "submit")
SEARCH_WORDS = ("搜索", "查询", "search", "keyword", "wd", "q")
CHAT_WORDS = ("客服", "咨询", "聊天", "发送", "留言", "消息", "chat", "message", "support")
LEAVE_WORDS = ("留言", "提交", "leave a message", "leave message", "submit")
MIN_ENTRY_SCORE = 2
MAX_TRIES = 6  # entries tried, best first
STATUS_DISTANCE_PX = 300  # a status further from the chat's entry than this is not its status
STATUS_MAX_CHARS = 16
DEFAULT_CHAT = Chat(input="")  # the default status words


def _words_pattern(words: tuple[str, ...]) -> str:
    """One regular expression (Python and JavaScript alike): ASCII words whole, others anywhere."""
    return "|".join(rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w in words)


def scan_words() -> dict[str, str]:
    """The patterns scan.js matches with."""
    return {
        "entry": _words_pattern(tuple(w for words, _ in ENTRY_WORDS for w in words)),
        "names": rf"(^|[\s_-])({'|'.join(VENDOR_NAMES)})([\s_-]|$)",
        "send": _words_pattern(SEND_WORDS),
        "search": _words_pattern(SEARCH_WORDS),
        "chat": _words_pattern(CHAT_WORDS),
        "status": _words_pattern(DEFAULT_ONLINE_WORDS + DEFAULT_OFFLINE_WORDS),
        "leave": _words_pattern(LEAVE_WORDS),
    }


Box = tuple[float, float, float, float]  # x, y, width, height


def _from(cls: Any, data: dict[str, Any]) -> Any:
    values = {f.name: data[f.name] for f in fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


@dataclass(frozen=True)
class EntrySeen:
    selector: str
    how: str  # id / label / class / ancestor / position
    tag: str
    text: str
    aria: str
    title: str
    alt: str
    value: str
    names: str
    href: str
    target: str
    floating: bool
    in_nav: bool
    box: Box
    viewport: tuple[int, int]

    @classmethod
    def read(cls, data: dict[str, Any]) -> EntrySeen:
        return _from(cls, data)


@dataclass(frozen=True)
class InputSeen:
    selector: str
    how: str
    tag: str
    editable: bool
    search: bool  # a search box by its words
    chat: bool  # words around it say chat
    seen: bool  # shown before we clicked the entry
    leave: bool  # in a leave-a-message form (name, e-mail, phone beside it): not a chat
    readonly: bool  # read-only or disabled: a chat that says it is offline (only after a click)
    send: tuple[str, str, str] | None  # selector, how sure, how found; None: Enter
    list: str | None  # the scrolling area next to it (a hint)
    box: Box

    @classmethod
    def read(cls, data: dict[str, Any]) -> InputSeen:
        return _from(cls, data)


@dataclass(frozen=True)
class StatusSeen:
    selector: str
    text: str
    own: str
    token: str  # a class saying online/offline, or ""
    base: str  # tag.class to put that class on
    box: Box

    @classmethod
    def read(cls, data: dict[str, Any]) -> StatusSeen:
        return _from(cls, data)


@dataclass(frozen=True)
class Finding:
    field: str
    value: str | tuple[str, ...]
    sure: str  # sure / likely / guess / preset
    how: str


@dataclass
class Discovery:
    url: str
    name: str = ""
    widget: str | None = None
    findings: list[Finding] = field(default_factory=list)
    list_hint: str | None = None
    error: str | None = None  # why no chat was found
    tried: list[str] = field(default_factory=list)  # what was tried, for the user
    note: str | None = None  # what the user should know about the file written

    @property
    def found(self) -> bool:
        return self.error is None and any(f.field == "input" for f in self.findings)

    def chat(self) -> dict[str, str | tuple[str, ...]]:
        return {f.field: f.value for f in self.findings}


def entry_score(entry: EntrySeen) -> tuple[int, str]:
    """How much an element looks like the chat's entry, and why, in words."""
    score, why = 0, []
    labels = [("aria-label", entry.aria), ("title", entry.title), ("image text", entry.alt), ("value", entry.value)]
    labels.append(("text", entry.text if len(entry.text) <= 20 else ""))  # a long text is an article, not a button
    best = (0, "")
    for where, label in labels:
        for words, weight in ENTRY_WORDS:
            hit = next((w for w in words if re.search(_words_pattern((w,)), label, re.IGNORECASE)), None)
            if hit and weight > best[0]:
                best = (weight, f"its {where} says {clean_text(label)[:24]!r}")
    if best[0]:
        score += best[0]
        why.append(best[1])
    if re.search(scan_words()["names"], entry.names, re.IGNORECASE):
        score += 2
        names = " ".join(dict.fromkeys(entry.names.split()))
        why.append(f"named like a chat launcher ({names[:30]})")
    if entry.floating:
        score += 2
        why.append("floating")
        x, y, width, height = entry.box
        if x + width >= entry.viewport[0] * 0.8 or y + height >= entry.viewport[1] * 0.8:
            score += 1
            why.append("near a corner")
    if entry.in_nav:
        score -= 1
        why.append("in the page's navigation")
    if entry.href and not entry.href.startswith(("#", "javascript:")) and entry.target != "_blank":
        score -= 2
        why.append("a link to another page")
    return score, ", ".join(why)


def ranked_entries(entries: list[EntrySeen]) -> list[tuple[EntrySeen, int, str]]:
    """The entries worth trying, best first (at most MAX_TRIES)."""
    scored = [(entry, *entry_score(entry)) for entry in entries]
    worth = [s for s in scored if s[1] >= MIN_ENTRY_SCORE]
    worth.sort(key=lambda s: -s[1])
    return worth[:MAX_TRIES]


def choose_input(inputs: list[InputSeen], *, after_click: bool) -> InputSeen | None:
    """The chat's text box: never a search box; after a click one that was not there before;
    without a click one with chat words around it and a textarea or a send button."""
    candidates = [i for i in inputs if not i.search and not i.leave and (not after_click or not i.seen)]
    if after_click:  # a box shown by the click, read-only too (the chat says offline now)
        candidates = [i for i in candidates if i.chat or i.send]
    else:
        candidates = [
            i for i in candidates if not i.readonly and i.chat and (i.tag == "textarea" or i.editable or _sure_send(i))
        ]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda i: (not i.readonly, _sure_send(i), i.send is not None, i.tag == "textarea" or i.editable, i.chat),
    )


def _sure_send(chosen: InputSeen) -> bool:
    return chosen.send is not None and chosen.send[1] == "sure"


def _distance(a: Box, b: Box) -> float:
    dx = max(0.0, max(a[0], b[0]) - min(a[0] + a[2], b[0] + b[2]))
    dy = max(0.0, max(a[1], b[1]) - min(a[1] + a[3], b[1] + b[3]))
    return (dx * dx + dy * dy) ** 0.5


def choose_status(statuses: list[StatusSeen], near: Box) -> list[Finding]:
    """The status by the chat's entry: a short text saying a status word (nearest first), else
    an element whose class says online or offline (the other class guessed from it)."""
    close = [s for s in statuses if _distance(s.box, near) <= STATUS_DISTANCE_PX]
    close.sort(key=lambda s: _distance(s.box, near))
    for seen in close:
        claim = claimed_from_text(seen.text, DEFAULT_CHAT)
        if seen.text and len(seen.text) <= STATUS_MAX_CHARS and claim != Claimed.UNKNOWN:
            how = f"a text by the chat's entry saying {seen.text!r} ({claim})"
            return [Finding("status", seen.selector, "likely", how)]
    for seen in close:
        if seen.token:
            shown_as = "online" if "online" in seen.token.lower() else "offline"
            other = "offline" if shown_as == "online" else "online"
            counterpart = re.sub(shown_as, other, seen.token, flags=re.IGNORECASE)
            return [
                Finding(f"status_{shown_as}", f"{seen.base}.{seen.token}", "likely", f"an icon of class {seen.token}"),
                Finding(f"status_{other}", f"{seen.base}.{counterpart}", "guess", f"its {other} class, guessed"),
            ]
    return []


def slug_for(url: str) -> str:
    """A platform file name from the site's address: www.shandian-ka.com -> shandian-ka."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    try:
        ipaddress.ip_address(host)
        labels: list[str] = []
    except ValueError:
        labels = [part for part in host.split(".") if part and part != "www"]
        labels = labels[:-1] if len(labels) > 1 else labels
    if not labels or host == "localhost":
        labels = [part for part in parsed.path.split("/") if part][-1:]
    slug = re.sub(r"[^a-z0-9_-]+", "-", "-".join(labels).lower()).strip("-_")
    return slug if SLUG_PATTERN.match(slug) else "platform"


def name_from_title(title: str, url: str) -> str:
    """The platform's name: the page title's first part, else the host."""
    first = re.split(r"\s+[-|_–—]\s+|\s*[|｜_]\s*", clean_text(title).strip())[0].strip()
    return first[:60] or urlparse(url).hostname or url


def toml_value(value: str | tuple[str, ...]) -> str:
    """A string (or a list of them) as TOML: a literal string ('...') when it holds double
    quotes and no single ones (a selector like [title="Seen"]), else a basic one."""
    if isinstance(value, tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if '"' in value and "'" not in value and "\n" not in value:
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _comment(text: str) -> str:
    return "# " + clean_text(text).replace("\n", " ")


def platform_toml(found: Discovery, slug: str) -> str:
    """The platform file for what was found, each field with a comment saying how."""
    lines = [
        _comment(f"Written by `watchdog discover` from {found.url} on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC."),
        _comment(f"Check it on the live page: watchdog check --live {slug}   (sends nothing)"),
        f"name = {toml_value(found.name)}",
        f"url = {toml_value(found.url)}",
    ]
    if found.widget:
        lines.append(f"widget = {toml_value(found.widget)}  # a chat system this tool has a preset for")
    if found.note:
        lines.append(_comment(found.note))
    own = [f for f in found.findings if f.sure != "preset"]
    if own:
        lines += ["", "[chat]"]
        for finding in own:
            lines += [_comment(f"{finding.how} ({finding.sure})"), f"{finding.field} = {toml_value(finding.value)}"]
    if not found.widget:
        hint = f" (the scrolling area next to the input: {found.list_hint})" if found.list_hint else ""
        lines += [
            _comment("chat.message is left out on purpose: each probe learns the message list from its own"),
            _comment(f"question and prints the selectors it learned, to paste here{hint}."),
        ]
    lines += [
        "",
        _comment("What the platform promises, if it says so (on its page, or in its terms):"),
        "# [promise]",
        '# first_response = "1m"',
        '# hours = "09:00-23:00"',
        "",
    ]
    return "\n".join(lines)
