"""Message text as stored and published: what a person reads on screen, nothing else.

Page text is untrusted input: it may hold lone UTF-16 surrogates (an emoji cut in half),
which no UTF-8 file, database or terminal accepts, and it may be of any length.
"""

from __future__ import annotations

import functools
import re

# Icon-font glyphs (Unicode private-use areas) render as boxes anywhere but in their font;
# zero-width characters change lengths and defeat matching without being seen.
INVISIBLE = re.compile("[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd\u200b-\u200d\u2060\ufeff]")
# Controls are never text a person reads (escape sequences would act on a terminal).
CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
SPACES = re.compile(r"\s+")
# Relative and clock times that a widget redraws ("刚刚", "6秒前", "3 min ago", "14:05"): not
# part of what a message says. The observer uses the same pattern (a JavaScript RegExp).
TIME_LABEL = re.compile(
    r"刚刚|[0-9]+\s*(?:秒|分钟|小时|天)前|just now|[0-9]+\s*(?:s|secs?|seconds?|m|mins?|minutes?|h|hours?)\s+ago"
    r"|(?<![0-9])[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?![0-9])",
    re.IGNORECASE,
)
SURROGATE = re.compile("[\ud800-\udfff]")
MAX_TEXT_CHARS = 4000  # a chat message longer than this is not one a person wrote


def valid_text(text: str) -> str:
    """The text with surrogate pairs joined and lone surrogates replaced by U+FFFD."""
    if not SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def page_text(raw: str) -> str:
    """Text read from a page, made safe to store and print: valid, and bounded in length."""
    text = valid_text(raw)
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"


def clean_text(raw: str) -> str:
    """Private-use glyphs, zero-width characters and controls removed, whitespace collapsed."""
    return SPACES.sub(" ", CONTROLS.sub("", INVISIBLE.sub("", raw))).strip()


LEADING_TIME = re.compile(rf"^(?:{TIME_LABEL.pattern})\s*(?=\S)", re.IGNORECASE)


def without_leading_time(text: str) -> str:
    """A bubble's text without the time label a widget draws before it ("14:05 您好..."); a
    bubble that is only a time keeps it (a time separator)."""
    return LEADING_TIME.sub("", text, count=1)


def without_time_labels(text: str) -> str:
    """What a message says, whatever time its label shows now."""
    return SPACES.sub(" ", TIME_LABEL.sub(" ", text)).strip()


# What a widget puts around our own text in our bubble: who sent it ("我", "访客 8823",
# "Visitor"), when (times, dates, weekdays) and whether it arrived or was read. Nothing a
# person would call part of the message.
DECORATION = re.compile(
    r"(?:[\s:：·•|/#()\[\]（）【】<>,，.。-]|[0-9]+|" + TIME_LABEL.pattern + r"|"
    r"我|本人|访客|游客|顾客|客户|用户|买家|会员|visitor|guest|you|me|user|customer|"
    r"对方已读|已读|未读|已送达|送达|已发送|发送中|发送成功|发送失败|重新发送|read|unread|seen|sent|delivered|"
    r"昨天|今天|前天|年|月|日|号|星期[一二三四五六日天]|周[一二三四五六日天]|上午|下午|晚上|凌晨|中午|am|pm)*",
    re.IGNORECASE,
)
MAX_DECORATION_CHARS = 40


def our_text(text: str, sent: list[str]) -> str | None:
    """Which of our messages `text` shows, the widget's decorations around it aside (a sender
    label, a time, a read mark), or None when it shows none of them with nothing else."""
    for said in sorted(sent, key=len, reverse=True):
        if decoration(text, said) is not None:
            return said
    return None


def decoration(text: str, said: str, marks: tuple[str, ...] = ()) -> str | None:
    """What the widget put around our message `said` in `text` (a label, a time, a read mark,
    or one of a platform's own `marks`), or None when `text` does not show it with only such
    things around it."""
    compact, needle = SPACES.sub("", text), SPACES.sub("", said)
    where = compact.find(needle) if needle else -1
    if where < 0:
        return None
    rest = compact[:where] + " " + compact[where + len(needle) :]
    unmarked = functools.reduce(lambda left, mark: left.replace(SPACES.sub("", mark), " "), marks, rest)
    return rest if len(rest) <= MAX_DECORATION_CHARS and DECORATION.fullmatch(unmarked) else None
