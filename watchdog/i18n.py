"""Words in the reader's language: the message catalogues (watchdog/locale, gettext .po files
read with Babel), durations, numbers and dates as each language writes them.

Chinese (zh_CN) is the default; English is the catalogues' source language, so its words are
the message ids themselves. A catalogue is read from its .po file at first use (no compiled
.mo to keep in step): `make locale` extracts the ids from the code and the templates."""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from babel.units import format_unit

from .formatting import format_duration, format_wait

ZH, EN = "zh_CN", "en"
LANGUAGES = (ZH, EN)
DEFAULT = ZH
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "watchdog"
SHANGHAI = get_timezone("Asia/Shanghai")


def N_(message: str) -> str:
    """Marks a message id for `pybabel extract` (-k N_); translated where it is shown."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message id with a plural (-k NP_:1,2); the count picks the form."""
    return singular, plural


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The language's catalogue (English: the ids themselves)."""
    path = catalogue_path(lang)
    if lang == EN or not path.is_file():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def language(value: str | None) -> str | None:
    """One of LANGUAGES for a tag as people write it (zh, zh-CN, zh_Hans, en-US, C.UTF-8), or
    None when it names neither."""
    if not value:
        return None
    tag = value.split(".")[0].split(";")[0].strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return ZH
    if tag.startswith("en"):
        return EN
    return None


def from_accept_language(header: str | None) -> str | None:
    """The first of the browser's languages (in its order of preference) that we speak."""
    if not header:
        return None
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, position, tag))
    return next((lang for _, _, tag in sorted(weighted) if (lang := language(tag))), None)


def first_language(candidates: Iterable[str | None]) -> str:
    """The first candidate that names a language we speak, else the default."""
    return next((lang for value in candidates if (lang := language(value))), DEFAULT)


def terminal_language() -> str:
    """The language of words printed for people (the CLI, the schedule's log): the locale's
    (LC_ALL, LC_MESSAGES, LANG) when it is Chinese or English, else English. Machine output
    (--json, CSV column names with --lang en) never changes with it."""
    names = [os.environ.get(name) for name in ("LC_ALL", "LC_MESSAGES", "LANG")]
    return next((lang for value in names if value and (lang := language(value))), EN)


def translate(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def translate_plural(lang: str, singular: str, plural: str, count: int) -> str:
    return translations(lang).ngettext(singular, plural, count)


def wait_words(seconds: float, lang: str) -> str:
    """A configured wait: "5 min" / "5分钟"."""
    if lang == EN:
        return format_wait(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            return _unit(seconds / size, unit, lang)
    return _unit(seconds, "second", lang)


def duration_words(seconds: float, lang: str) -> str:
    """A measured time: "1 min 32 s" / "1分钟32秒"."""
    if lang == EN:
        return format_duration(seconds)
    if seconds < 10:
        return _unit(round(seconds, 1), "second", lang)
    whole = round(seconds)
    if whole < 60:
        return _unit(whole, "second", lang)
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return _unit(minutes, "minute", lang) + (_unit(rest, "second", lang) if rest else "")
    hours, rest = divmod(round(whole / 60), 60)
    return _unit(hours, "hour", lang) + (_unit(rest, "minute", lang) if rest else "")


def _unit(value: float, unit: str, lang: str) -> str:
    number = int(value) if float(value).is_integer() else value
    return str(format_unit(number, f"duration-{unit}", length="short", locale=Locale.parse(lang)))


def when_words(stamp: str | None, lang: str) -> str:
    """A stored UTC time (ISO) as the reader's pages say it: Beijing time on Chinese pages."""
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if lang == EN:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        format_datetime(moment, "yyyy-MM-dd HH:mm", tzinfo=SHANGHAI, locale=lang)
        + " "
        + translate(lang, N_("Beijing time"))
    )


def join_words(words: Iterable[str], lang: str) -> str:
    return ("、" if lang == ZH else ", ").join(words)
