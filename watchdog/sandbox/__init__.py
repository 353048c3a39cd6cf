"""Simulated platforms for the demo, the tests and the benchmarks (DESIGN.md section 10)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..config import builtin_questions_dir
from .scenarios import FORM_SCENARIOS, SCENARIOS, Line, Scenario, scenario_by_slug
from .server import Sandbox, SandboxApp

__all__ = [
    "FORM_SCENARIOS",
    "SCENARIOS",
    "Line",
    "Sandbox",
    "SandboxApp",
    "Scenario",
    "platform_file",
    "scenario_by_slug",
    "write_probes",
]

# Each sandbox platform gives up after this much simulated time.
SANDBOX_MAX_WAIT = "5m"


def _chat_selectors(scenario: Scenario) -> dict[str, str]:
    common = {
        "input": "textarea.chat-input",
        "message": ".msg",
        "visitor": ".msg.me",
        "sender": ".name",
        "typing": ".typing",
        "bot": ".msg.robot",
    }
    if scenario.shape == "vendor":
        return {
            "open": "#vc-launcher",
            "status_online": ".vc-dot--online",
            "status_offline": ".vc-dot--offline",
            "input": ".vc-field",
            "send": ".vc-submit",
            "message": ".vc-item",
            "visitor": ".vc-item--guest",
            "sender": ".vc-who",
            **dict(scenario.selectors),
        }
    if scenario.shape == "fab":
        return {
            "open": "button.cw-fab",
            "input": ".cw-input",
            "send": ".cw-send",
            "message": ".cw-m",
            "visitor": ".cw-m--visitor",
            "sender": ".cw-author",
        }
    if scenario.shape == "quickkf":  # the window is in the page: its header's status is too
        return {
            "open": ".qkf-entry",
            "status": ".qkf-state",
            "input": "textarea.qkf-text",
            "send": "a.qkf-btn",
            "message": ".qkf-list > li",
            "visitor": ".qkf-msg--self",
            "sender": ".qkf-who",
        }
    if scenario.shape == "no-chat":  # a user's guess: the contact link, and an input that is not there
        return {"open": "a.contact", "input": "textarea.chat-input"}
    if scenario.shape == "iframe":
        chat = {"frame": "iframe.kf", "status_online": "#kf-icon.on", "status_offline": "#kf-icon.off", **common}
    elif scenario.shape == "late-iframe":
        chat = {"open": ".lf-open", "frame": "iframe[title='在线咨询窗口']", "status": ".lf-state", **common}
    elif scenario.shape == "decoy":
        chat = {"open": ".float-kf", "status": ".float .tip", **common}
    elif scenario.shape == "popup":
        chat = {"open": "#kf-link", **common}  # the chat opens in a new window: no status on the page
    else:
        chat = {"open": "#kefu-btn", "status": "#kefu-status", **common}
    if scenario.shape == "shadow":
        chat["input"] = ".editor"  # Playwright's CSS pierces open shadow roots
    if scenario.send == "button":
        chat["send"] = "button.send"
    return {**chat, **dict(scenario.selectors)}


def platform_file(scenario: Scenario, base_url: str, time_scale: float, query: str = "") -> str:
    """The probes/<slug>.toml text that describes one sandbox platform."""
    url = f"{base_url}/p/{scenario.slug}/" + (f"?{query}" if query else "")
    lines = [f"# Sandbox platform: {scenario.behaviour}", f'name = "{scenario.name}"', f'url = "{url}"', "", "[chat]"]
    lines += [f'{key} = "{value}"' for key, value in _chat_selectors(scenario).items()]
    lines += [
        "",
        "[promise]",
        'first_response = "1m"',
        'hours = "always"',
        "",
        "[probe]",
        f'max_wait = "{scenario.max_wait or SANDBOX_MAX_WAIT}"',
        f"time_scale = {time_scale}  # simulated time: the sandbox runs this much faster",
        'min_interval = "1s"  # a simulation: probe it as often as you like',
        "",
    ]
    return "\n".join(lines)


def write_probes(
    directory: Path, base_url: str, time_scale: float, scenarios: tuple[Scenario, ...] = SCENARIOS
) -> list[Path]:
    """Write a platform file per sandbox platform, plus the default question set."""
    (directory / "questions").mkdir(parents=True, exist_ok=True)
    for question_set in builtin_questions_dir().glob("*.toml"):
        shutil.copyfile(question_set, directory / "questions" / question_set.name)
    written = []
    for scenario in scenarios:
        path = directory / f"{scenario.slug}.toml"
        path.write_text(platform_file(scenario, base_url, time_scale), encoding="utf-8")
        written.append(path)
    return written
