"""Platform files and question sets: strict parsing, `path: field: message` problems."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from watchdog.config import load_catalog, parse_duration

from .conftest import run_cli

VALID = """
name = "孤城卡盟"
url = "https://www.example.com/"

[chat]
open = "#kefu-btn"
frame = ["iframe.outer", "iframe.kf"]
status = "#kefu-status"
input = "textarea"

[promise]
first_response = "30s"
hours = "09:00-23:00"

[probe]
max_wait = "10m"
min_interval = "6h"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def probes(tmp_path) -> Path:
    folder = tmp_path / "probes"
    folder.mkdir()
    write(folder, "gucheng.toml", VALID)
    return folder


def test_valid_file_parsed_into_typed_model(probes):
    catalog = load_catalog(probes)
    assert catalog.problems == []
    platform = catalog.platforms["gucheng"]
    assert platform.name == "孤城卡盟"
    assert platform.chat.frame == ("iframe.outer", "iframe.kf")
    assert platform.chat.online == ("在线", "交流中", "为您服务", "online")  # defaults provided
    assert platform.promise.first_response_s == 30
    assert platform.probe.max_wait_s == 600 and platform.probe.min_interval_s == 6 * 3600
    assert platform.probe.questions == "presale-zh"
    assert "presale-zh" in catalog.question_sets  # the built-in default set
    # No [leave_message]: offline chats get a message (with a mailbox), once a day at most.
    assert platform.leave_message.when == "offline" and platform.leave_message.min_interval_s == 24 * 3600


def test_a_leave_message_interval_is_never_shorter_than_the_probes(probes):
    text = VALID.replace('min_interval = "6h"', 'min_interval = "3d"') + '\n[leave_message]\nmin_interval = "1h"\n'
    write(probes, "gucheng.toml", text)
    assert load_catalog(probes).platforms["gucheng"].leave_message.min_interval_s == 3 * 24 * 3600


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('name = "x"\nurl = "https://a.cn/"\n[chat]\nopen = "#b"\n', "chat.input: missing"),
        ('url = "https://a.cn/"\n[chat]\ninput = "t"\n', "name: missing"),
        ('name = "x"\nurl = "ftp://a.cn/"\n[chat]\ninput = "t"\n', "url: must be an http:// or https:// address"),
        ('name = "x"\nurl = "https://a.cn/"\n[chat]\ninput = "t"\ninptu = "t"\n', "chat.inptu: unknown key"),
        ('name = "x"\nurl = "https://a.cn/"\ncolour = 1\n[chat]\ninput = "t"\n', "colour: unknown key"),
        (
            'name = "x"\nurl = "https://a.cn/"\n[chat]\ninput = "t"\n[probe]\nmax_wait = "ten"\n',
            "probe.max_wait: not a duration: 'ten'",
        ),
        (
            'name = "x"\nurl = "https://a.cn/"\n[chat]\ninput = "t"\n[promise]\nhours = "9-5"\n',
            "promise.hours: must be 'always' or like '09:00-23:00'",
        ),
        (
            'name = "x"\nurl = "https://a.cn/"\n[chat]\ninput = "t"\n[probe]\nquestions = "nope"\n',
            "probe.questions: no question set 'nope'",
        ),
        ('name = "x"\nurl = "https://a.cn/"\n[chat]\ninput = ""\n', "chat.input: must be a non-empty string"),
        ('name = "x\n', "toml: not valid TOML"),
        ('name = "x"\nurl = "https://a.cn/"\n', "chat: missing"),
        (
            'name = "x"\nurl = "https://a.cn/"\n[chat]\ninput = "t"\n[leave_message]\nwhen = "sometimes"\n',
            "leave_message.when: 'sometimes': one of offline, always, never",
        ),
        (
            'name = "x"\nurl = "https://a.cn/"\n[chat]\ninput = "t"\n[leave_message]\nurl = "/liuyan"\n',
            "leave_message.url: must be an http:// or https:// address",
        ),
        (
            'name = "x"\nurl = "https://a.cn/"\n[chat]\ninput = "t"\n[leave_message]\nphone = "138"\n',
            "leave_message.phone: unknown key",
        ),
    ],
)
def test_problems_name_file_and_field(probes, text, problem):
    path = write(probes, "broken.toml", text)
    catalog = load_catalog(probes)
    assert "broken" not in catalog.platforms
    assert "gucheng" in catalog.platforms  # the valid file is unaffected
    lines = [str(p) for p in catalog.problems]
    assert any(line.startswith(f"{path}: {problem}") for line in lines), lines


def test_question_set_strict(probes):
    (probes / "questions").mkdir()
    write(probes / "questions", "mine.toml", 'questions = ["请问多久到账？"]\n[handoff]\ntext = "人工"\nwhen = 1\n')
    catalog = load_catalog(probes)
    assert [str(p) for p in catalog.problems] == [f"{probes / 'questions' / 'mine.toml'}: handoff.when: unknown key"]


def test_question_set_rotation(probes):
    questions = load_catalog(probes).question_sets["presale-zh"]
    picks = [questions.pick(n)[1] for n in range(len(questions.questions) + 1)]
    assert picks[0] == picks[-1] and len(set(picks)) == len(questions.questions)


def test_durations():
    assert parse_duration("30s") == 30
    assert parse_duration("10m") == 600
    assert parse_duration("1h30m") == 5400
    with pytest.raises(ValueError):
        parse_duration("10 minutes")


def test_check_cli_lists_every_problem(probes):
    write(probes, "a.toml", 'name = "x"\nurl = "https://a.cn/"\n[chat]\nopen = "#b"\n')
    write(probes, "b.toml", 'name = "y"\nurl = "https://b.cn/"\n[chat]\ninput = "t"\nsend_button = "b"\n')
    result = run_cli("check", "--probes", probes)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{probes / 'a.toml'}: chat.input: missing",
        f"{probes / 'b.toml'}: chat.send_button: unknown key",
    ]
    assert "3 platform file(s), 1 valid" in result.stderr


def test_check_cli_all_valid(probes):
    result = run_cli("check", "--probes", probes)
    assert result.exit_code == 0 and result.stdout == ""


def test_shipped_probes_folder_is_valid():
    result = run_cli("check", "--probes", Path(__file__).parent.parent / "probes")
    assert result.exit_code == 0, result.output


BASE = 'name = "x"\nurl = "https://a.cn/"\n[chat]\ninput = "t"\n'


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (BASE + "[probe]\ntime_scale = nan\n", "probe.time_scale: must be a number above 0 and at most 1"),
        (BASE + "[probe]\ntime_scale = inf\n", "probe.time_scale: must be a number above 0 and at most 1"),
        (BASE + "[probe]\ntime_scale = 50\n", "probe.time_scale: must be a number above 0 and at most 1"),
        (BASE + '[probe]\nmax_wait = "99999999999999999999999h"\n', "probe.max_wait: must be at most 2 h"),
        (BASE + '[probe]\nmax_wait = "3h"\n', "probe.max_wait: must be at most 2 h"),
        (BASE + '[probe]\nmin_interval = "400d"\n', "probe.min_interval: must be at most 30 d"),
    ],
)
def test_absurd_numbers_and_durations_are_refused(probes, text, problem):
    path = write(probes, "absurd.toml", text)
    catalog = load_catalog(probes)
    assert [str(p) for p in catalog.problems] == [f"{path}: {problem}"]
    assert "gucheng" in catalog.platforms


def test_hostile_files_give_one_line_each_and_the_valid_ones_load(probes):
    os.mkfifo(probes / "pipe.toml")  # reading it would block forever
    (probes / "folder.toml").mkdir()
    (probes / "huge.toml").write_text(BASE + "# " + "x" * 300_000 + "\n", encoding="utf-8")
    (probes / "gbk.toml").write_bytes('name = "孤城卡盟"\nurl = "https://a.cn/"\n[chat]\ninput = "t"\n'.encode("gbk"))
    result = subprocess.run(
        [sys.executable, "-m", "watchdog", "check", "--probes", str(probes), "--schedules", str(probes / "none")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert sorted(result.stdout.splitlines()) == [
        f"{probes / 'folder.toml'}: file: not a regular file: remove it or rename it",
        f"{probes / 'gbk.toml'}: file: not UTF-8 text: save it as UTF-8 (it may be GBK)",
        f"{probes / 'huge.toml'}: file: larger than 256 KB: not a platform file",
        f"{probes / 'pipe.toml'}: file: not a regular file: remove it or rename it",
    ]
    assert "Traceback" not in result.stderr
    assert "gucheng" in load_catalog(probes).platforms
