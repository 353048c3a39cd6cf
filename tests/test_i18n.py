"""中文优先: every reason has a Chinese and an English wording, the Chinese catalogue has every
word the code and the pages use, a Chinese page shows no English sentence of ours, and reasons
stored before codes still show."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import sqlite_utils
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from watchdog.i18n import EN, ZH, catalogue_path, first_language, from_accept_language, when_words
from watchdog.publish.datasette import build_datasette
from watchdog.reasons import MESSAGES, WORDS, Reason, loads, words
from watchdog.records import ProbeRecord

from .conftest import datasette_get, run_cli

PACKAGE = Path(__file__).parent.parent / "watchdog"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# A value of each name a reason takes: numbers, page text, nested reasons, lists.
SAMPLES = {
    "seconds": 21.25,
    "passed": 30.0,
    "waited": 300.0,
    "count": 2,
    "kinds": ["auto", "bot"],
    "notice": "queue",
    "status": "online",
    "moment": "load",
    "changes": [Reason("status_at", status="online", moment="load")],
    "evidence": Reason("template_crowd", probes=1000),
    "platforms": Reason("platforms", count=3),
    "days": Reason("days", count=1),
    "why": Reason("input_missing", selector="#msg"),
    "was": ["human"],
    "now": ["auto_only", "fake_online"],
}


def sample(code: str) -> Reason:
    message = MESSAGES[code]
    names = PLACEHOLDER.findall(message if isinstance(message, str) else message[1])
    return Reason(code, **{name: SAMPLES.get(name, "页面文字") for name in names})


def catalogue() -> dict:
    """The Chinese catalogue's messages by id (a plural by its singular)."""
    with catalogue_path(ZH).open("rb") as po:
        return {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(po) if m.id}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_reason_has_a_chinese_and_an_english_wording(code):
    reason = sample(code)
    english, chinese = words(reason, EN), words(reason, ZH)
    assert english == str(reason) and "%(" not in english
    assert chinese != english and "%(" not in chinese
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese
    # what the values say is in both (numbers, page text), worded each language's way
    assert ("页面文字" in english) == ("页面文字" in chinese)


def test_a_stored_reason_comes_back_with_its_code_and_values():
    reason = Reason("fake_online_nobody", claimed="在线", waited=300.0)
    probe = ProbeRecord(id="p1", platform="p", started_at="2026-12-07T13:27:01Z", question="q")
    probe.reasons = [reason, "a reason written before codes"]
    row = probe.to_row()
    assert row["reasons"].startswith('[{"code": "fake_online_nobody", "claimed": "在线", "waited": 300.0}')
    back = ProbeRecord.from_row(row).reasons
    assert back == [str(reason), "a reason written before codes"]
    assert isinstance(back[0], Reason) and (back[0].code, back[0].values) == (reason.code, reason.values)
    assert words(back[0], ZH) == "伪在线：挂件声称在线（在线），但 5分钟内无人回答"
    assert words(back[1], ZH) == "a reason written before codes"  # as it was written
    assert loads('["old", {"code": "from_a_newer_watchdog", "n": 1}]') == ["old", 'from_a_newer_watchdog {"n": 1}']


def test_the_catalogue_has_every_word_of_the_code_and_the_pages_in_chinese():
    config = PACKAGE / "locale" / "babel.cfg"
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    assert config.is_file()
    found = {
        message[2] if isinstance(message[2], str) else tuple(message[2])
        for message in extract_from_dir(
            PACKAGE, method_map, keywords={"N_": None, "NP_": (1, 2), "_": None}, comment_tags=()
        )
    }
    # the ids as pybabel stores them: a plural by its singular
    have = catalogue()
    ids = {m if isinstance(m, str) else m[0] for m in found}
    assert ids - set(have) == set(), "not in the catalogue: run `make locale`, then translate"
    assert set(have) - ids == set(), "in the catalogue but used nowhere: run `make locale`"
    untranslated = [
        i for i, m in have.items() if m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert untranslated == []
    for source, message in have.items():  # the values a wording needs are the values it shows
        target = message.string if isinstance(message.string, str) else message.string[0]
        assert set(PLACEHOLDER.findall(source)) == set(PLACEHOLDER.findall(target)), source
    assert all(name in WORDS for name in ("outcome.human", "flag.fake_online", "status.online"))


def english_of_ours() -> list[str]:
    """Every English phrase of ours long enough to tell (the catalogue's ids, without their
    placeholders)."""
    phrases = []
    for message in catalogue().values():
        for source in (message.id,) if isinstance(message.id, str) else message.id:
            phrases += [p.strip(" ,.;:()“”") for p in PLACEHOLDER.split(source) if p not in PLACEHOLDER.findall(source)]
    return sorted({p for p in phrases if len(p) >= 12 and re.search(r"[a-z]{3} [a-z]{2,}", p)})


def page_text(html: str) -> str:
    body = html.split('<section class="content">', 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.fixture(scope="module")
def datasette(demo_db):
    return build_datasette(demo_db)


CASES = ("fake-online", "bot-loop", "misconfigured", "prompt-human")


@pytest.mark.parametrize("platform", CASES)
def test_a_probe_page_reads_entirely_in_chinese_and_entirely_in_english(datasette, demo_db, platform):
    """Fake online, a bot loop, a blind probe, a human: no English sentence of ours on the
    Chinese page, and the English page in English."""
    probe = next(sqlite_utils.Database(demo_db)["probes"].rows_where("platform = ?", [platform], limit=1))
    chinese = page_text(datasette_get(datasette, f"/-/probe/{probe['id']}").text)
    left = [phrase for phrase in english_of_ours() if phrase in chinese]
    assert left == [], left
    assert "为什么" in chinese and "对话" in chinese
    english = page_text(datasette_get(datasette, f"/-/probe/{probe['id']}?_lang=en").text)
    assert "Why" in english and "The conversation" in english
    assert not re.search(r"为什么|对话|提问后|北京时间", english)


@pytest.mark.parametrize("path", ["/-/leaderboard", "/-/platform/fake-online", "/-/charts"])
def test_the_other_pages_read_in_chinese(datasette, path):
    chinese = page_text(datasette_get(datasette, path).text)
    left = [phrase for phrase in english_of_ours() if phrase in chinese]
    assert left == [], left


def test_a_database_written_before_reason_codes_shows_its_old_reasons(demo_copy):
    """Rows of an older watchdog hold English sentences: they show as written, on every page."""
    db = sqlite_utils.Database(demo_copy)
    probe = next(db["probes"].rows_where("platform = 'fake-online'", limit=1))
    old = '["no reply within 5 min", "fake online: the widget claimed online (在线) but nobody answered within 5 min"]'
    db.execute("update probes set reasons = ? where id = ?", [old, probe["id"]])
    db.execute(
        "update messages set reasons = '[\"appeared before our first message\"]' where probe_id = ?", [probe["id"]]
    )
    db.conn.commit()
    datasette = build_datasette(demo_copy)
    for lang in ("", "?_lang=en"):
        page = datasette_get(datasette, f"/-/probe/{probe['id']}{lang}")
        assert page.status_code == 200 and "but nobody answered within 5 min" in page.text
    feed = datasette_get(datasette, "/-/platform/fake-online/feed.atom")
    assert feed.status_code == 200 and "but nobody answered within 5 min" in feed.text
    table = datasette_get(datasette, f"/demo/probes/{probe['id']}")
    assert table.status_code == 200 and "no reply within 5 min" in table.text


def test_languages_as_people_and_browsers_name_them():
    assert first_language([None, "", "fr"]) == ZH
    assert first_language(["en_US.UTF-8"]) == EN and first_language(["zh_TW"]) == ZH
    assert from_accept_language("fr-FR, en;q=0.8, zh;q=0.9") == ZH
    assert from_accept_language("de") is None
    assert when_words("2026-12-07T13:27:01.500Z", ZH) == "2026-12-07 21:27 北京时间"
    assert when_words("2026-12-07T13:27:01.500Z", EN) == "2026-12-07 13:27 UTC"


def test_the_extraction_config_names_what_make_locale_reads():
    text = (PACKAGE / "locale" / "babel.cfg").read_text(encoding="utf-8")
    assert "[python: watchdog/**.py]" in text and "[jinja2: watchdog/publish/templates/**.html]" in text


def test_the_cli_speaks_the_locales_language_and_json_stays_english(demo_copy, monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    chinese = run_cli("ratings", "--db", demo_copy)
    assert chinese.exit_code == 0 and "排名" in chinese.stdout and "伪在线" in chinese.stdout
    monkeypatch.setenv("LANG", "C.UTF-8")  # no language of ours: English
    english = run_cli("ratings", "--db", demo_copy)
    assert "rank" in english.stdout and "fake online" in english.stdout and "排名" not in english.stdout
    probe = ProbeRecord(id="p1", platform="shop", started_at="2026-12-07T13:27:01Z", question="q")
    probe.outcome, probe.reasons = "no_reply", [Reason("no_reply", waited=300.0)]
    assert probe.line() == "shop: no_reply (no reply within 5 min)"
    assert probe.line(ZH) == "shop：无人回复（5分钟内无人回复）"
    assert probe.as_json()["reasons"] == ["no reply within 5 min"]
