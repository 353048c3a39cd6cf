"""The documentation site documents every field of the platform, question, schedule and alerts
files, in both its trees (docs/zh, docs/en): the file reference has a table row per key, the
running-unattended page names every schedule key, the alerts page every alerts key."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from watchdog.alerts import KINDS, Alerts
from watchdog.config import Chat, Handoff, ProbeSettings, Promise
from watchdog.schedules import Schedule

DOCS = Path(__file__).parent.parent / "docs"
TREES = ("zh", "en")


def page(tree: str, name: str) -> str:
    return (DOCS / tree / name).read_text(encoding="utf-8")


def documented_keys() -> list[str]:
    keys = [f"chat.{f.name}" for f in fields(Chat)]
    keys += [f"promise.{f.name.removesuffix('_s')}" for f in fields(Promise)]
    keys += [f"probe.{f.name.removesuffix('_s')}" for f in fields(ProbeSettings)]
    keys += [f"handoff.{f.name.removesuffix('_s')}" for f in fields(Handoff)]
    return keys


SCHEDULE_KEYS = [f.name.removesuffix("_s") for f in fields(Schedule) if f.name != "path"]
ALERTS_KEYS = [f.name for f in fields(Alerts) if f.name not in ("path", "window", "rules")]
ALERTS_KEYS += ["rules.window", *(f"rules.{kind}" for kind in KINDS)]


@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("key", documented_keys())
def test_config_field_in_the_file_reference(tree, key):
    assert f"| `{key}` |" in page(tree, "files.md")


@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("key", SCHEDULE_KEYS)
def test_schedule_key_in_the_file_reference(tree, key):
    assert f"| `{key}` |" in page(tree, "files.md").split("schedules/<", 1)[1]


@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("key", SCHEDULE_KEYS)
def test_schedule_key_in_running_unattended(tree, key):
    assert f"`{key}`" in page(tree, "running.md")


@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("key", ALERTS_KEYS)
def test_alerts_key_on_the_alerts_page(tree, key):
    assert f"| `{key}` |" in page(tree, "alerts.md")
