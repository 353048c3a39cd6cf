"""Atom feeds of incidents (fake online, bot loops), overall and per platform: what a
journalist or a consumer group subscribes to. Built from stored rows; every text escaped."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from .views import flags, reasons

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50


def _timestamp(stamp: str | None) -> str:
    """A stored UTC time (2026-11-23T17:25:36.000Z) as RFC 3339."""
    return (stamp or "1970-01-01T00:00:00Z")[:19] + "Z"


def incidents_feed(base_url: str, path: str, title: str, incidents: list[dict[str, Any]], lang: str) -> str:
    """The feed at `path`: one entry per incident probe, newest first, linking to its page,
    worded in `lang`."""
    updated = _timestamp(incidents[0]["started_at"]) if incidents else _timestamp(None)
    entries = []
    for probe in incidents:
        named = " + ".join(words for words, _ in flags(probe, lang))
        link = f"{base_url}/-/probe/{probe['id']}"
        entries.append(
            "<entry>"
            f"<title>{escape(probe.get('name') or probe['platform'])}: {escape(named)}</title>"
            f'<link rel="alternate" type="text/html" href="{escape(link)}"/>'
            f"<id>{escape(link)}</id><updated>{_timestamp(probe['started_at'])}</updated>"
            f"<summary>{escape('; '.join(reasons(probe.get('reasons'), lang)))}</summary>"
            "</entry>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="{ATOM}">'
        f"<title>{escape(title)}</title><id>{escape(base_url + path)}</id><updated>{updated}</updated>"
        f'<link rel="self" type="application/atom+xml" href="{escape(base_url + path)}"/>'
        f'<link rel="alternate" type="text/html" href="{escape(base_url)}/-/leaderboard"/>'
        f"<author><name>kefu-watchdog</name></author>{''.join(entries)}</feed>"
    )
