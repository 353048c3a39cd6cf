"""The README documents every field of the platform and question files."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from watchdog.config import Chat, Handoff, ProbeSettings, Promise
from watchdog.schedules import Schedule

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def documented_keys() -> list[str]:
    keys = [f"chat.{f.name}" for f in fields(Chat)]
    keys += [f"promise.{f.name.removesuffix('_s')}" for f in fields(Promise)]
    keys += [f"probe.{f.name.removesuffix('_s')}" for f in fields(ProbeSettings)]
    keys += [f"handoff.{f.name.removesuffix('_s')}" for f in fields(Handoff)]
    return keys


@pytest.mark.parametrize("key", documented_keys())
def test_config_field_in_readme(key):
    assert f"| `{key}` |" in README


@pytest.mark.parametrize("key", [f.name.removesuffix("_s") for f in fields(Schedule) if f.name != "path"])
def test_schedule_key_in_readme(key):
    assert f"`{key}`" in README.split("## Running unattended", 1)[1]
