"""The pages people read (Datasette's test client, no browser): the leaderboard, a platform's
page and a probe's page say their figures in words and units, in Chinese by default and in
English with the switch, link to each other, escape what platforms wrote, and in public mode
show the masked transcript without screenshots."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import sqlite_utils

from watchdog.publish.datasette import build_datasette
from watchdog.publish.views import since_question

from .conftest import datasette_get


@pytest.fixture(scope="module")
def datasette(demo_db):
    return build_datasette(demo_db)


@pytest.fixture(scope="module")
def public(demo_db, tmp_path_factory):
    return build_datasette(demo_db, public=True, snapshot_dir=tmp_path_factory.mktemp("public"))


def probe_of(demo_db, platform: str, **where) -> dict:
    clauses = " ".join(f"and {column} = :{column}" for column in where)
    rows = sqlite_utils.Database(demo_db).query(
        f"select * from probes where platform = :platform {clauses} order by started_at limit 1",
        {"platform": platform, **where},
    )
    return next(iter(rows))


def test_the_home_pages_first_link_is_the_leaderboard(datasette):
    html = datasette_get(datasette, "/").text
    first = re.search(r'<a href="([^"]+)"', html.split('class="content"', 1)[1])
    assert first and first.group(1) == "/-/leaderboard"


def row_of(html: str, slug: str) -> str:
    return html.split(f'href="/-/platform/{slug}"', 1)[1].split("</tr>", 1)[0]


def test_leaderboard_in_words(datasette):
    html = datasette_get(datasette, "/-/leaderboard?_lang=en").text
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row_of(html, "prompt-human"), re.S)
    assert cells[1:] == ["100", "100% (57–100%)", "25 s", "0 of 5", "0 of 5", "100% (≤ 1 min)", "—"], cells
    assert 'class="badge grade-a">A<' in row_of(html, "prompt-human")
    fake = row_of(html, "fake-online")
    assert "no human reply" in fake and "5 of 5" in fake and "grade-f" in fake
    broken = row_of(html, "broken-widget")
    assert "not enough data" in broken and "5 probe(s) need review: chat not found or not seen" in broken
    assert "<th>Rank</th>" in html and "<th>Human reached</th>" in html
    assert "human_rate_low" not in html


def test_leaderboard_in_chinese_by_default(datasette):
    html = datasette_get(datasette, "/-/leaderboard").text
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row_of(html, "prompt-human"), re.S)
    assert cells[1:] == ["100", "100% (57–100%)", "25秒", "5 次中 0 次", "5 次中 0 次", "100% (≤ 1分钟)", "—"], cells
    assert "<th>已读不回</th>" in html
    fake = row_of(html, "fake-online")
    assert "没有真人回复" in fake and "5 次中 5 次" in fake
    broken = row_of(html, "broken-widget")
    assert "数据不足" in broken and "5 次探测待人工核查" in broken
    assert "<th>排名</th>" in html and "<th>真人触达</th>" in html and "谁真的有人回复" in html
    assert 'href="/-/leaderboard?_lang=en"' in html  # the switch


def test_the_language_follows_the_browser_and_the_switch_is_remembered(datasette):
    english = datasette_get(datasette, "/-/leaderboard", accept_language="en-GB,en;q=0.9,zh-CN;q=0.5")
    assert "<th>Rank</th>" in english.text
    chinese = datasette_get(datasette, "/-/leaderboard", accept_language="zh-CN,zh;q=0.9,en;q=0.8")
    assert "<th>排名</th>" in chinese.text
    switched = datasette_get(datasette, "/-/leaderboard?_lang=en")
    assert "watchdog_lang=en" in switched.headers["set-cookie"]
    kept = datasette_get(datasette, "/-/platform/prompt-human", cookie="watchdog_lang=en", accept_language="zh-CN")
    assert "Human reached" in kept.text and "真人触达" not in kept.text


def test_platform_page_in_words(datasette, demo_db):
    html = datasette_get(datasette, "/-/platform/bot-then-human?_lang=en").text
    assert "机智卡盟" in html and "1 min 31 s" in html and "100% (57–100%)" in html
    assert "promises a first response within 1 min" in html
    assert "<svg" in html and "Human reached, per day" in html
    probe = probe_of(demo_db, "bot-then-human")
    assert f'href="/-/probe/{probe["id"]}"' in html
    incidents = datasette_get(datasette, "/-/platform/fake-online?_lang=en").text.split("Incidents", 1)[1]
    assert ">fake online<" in incidents and 'src="/evidence/' in incidents  # thumbnails, private mode
    chinese = datasette_get(datasette, "/-/platform/bot-then-human").text
    assert "1分钟31秒" in chinese and "承诺 1分钟内首次回复" in chinese and "真人触达率（每日）" in chinese
    assert "北京时间" in chinese  # probe times in Asia/Shanghai


def test_probe_page_is_a_chat_with_reasons(datasette, demo_db):
    probe = probe_of(demo_db, "bot-then-human")
    html = datasette_get(datasette, f"/-/probe/{probe['id']}?_lang=en").text
    assert ">a human replied</span>" in html
    bubbles = re.findall(r'<li class="(ours|theirs)">', html)
    assert bubbles[:2] == ["ours", "theirs"] and "ours" in bubbles[2:]
    assert "bot</span> +1.0 s" in html  # the bot, a second after our question
    assert re.search(r"human</span> \+9\d\.\d s", html)  # the person, in the reasons' units
    assert "a human replied 9" in html  # the verdict's reasons on top
    assert 'src="/evidence/' in html and "from test-vantage" in html
    chinese = datasette_get(datasette, f"/-/probe/{probe['id']}").text
    assert ">真人回复</span>" in chinese and "机器人</span> +1.0 秒" in chinese
    assert re.search(r"提问后 9\d\.\d 秒有真人回复", chinese) and "探测地点 test-vantage" in chinese


def test_probe_page_shows_when_our_question_turned_read_and_the_queue(datasette, demo_db):
    """已读不回 as the page shows it: the read mark beside our question at its time, how it
    showed in the reasons, the queue's places as they went."""
    html = datasette_get(datasette, f"/-/probe/{probe_of(demo_db, 'read-icon')['id']}").text
    assert re.search(r'<li class="ours">\s*<div class="meta">[^<]*<span[^>]*>提问</span> \+0\.0 秒 · '
                     r'<span class="read-mark">已读 \+8\.0 秒</span>', html)  # fmt: skip
    assert ">已读不回</span>" in html and "依据 .msg-status--seen" in html
    queue = datasette_get(datasette, f"/-/probe/{probe_of(demo_db, 'kefu-queue')['id']}?_lang=en").text
    assert "read +2.0 s · queue 3 → 5" in queue
    assert datasette_get(datasette, f"/-/probe/{probe_of(demo_db, 'delivered-tick')['id']}").text.count("已读") == 0


def test_times_are_from_our_question():
    assert since_question(1500.0, 2000.0, 1.0) == "before our question"
    assert since_question(27_300.0, 2000.0, 1.0) == "+25.3 s"
    assert since_question(None, 2000.0, 1.0) == "seen at the end"


def test_unknown_pages_are_404(datasette):
    assert datasette_get(datasette, "/-/platform/no-such").status_code == 404
    assert datasette_get(datasette, "/-/probe/no-such").status_code == 404


def test_public_pages_are_masked_and_have_no_screenshots(public, demo_db):
    probe = probe_of(demo_db, "leaky")
    texts = [m["text"] for m in sqlite_utils.Database(demo_db)["messages"].rows_where("probe_id = ?", [probe["id"]])]
    planted = [re.sub(r"\D", "", m) for t in texts for m in re.findall(r"(?:QQ|电话) ?\d{8,11}", t)]
    html = datasette_get(public, f"/-/probe/{probe['id']}").text
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html  # markup shown as text
    for number in planted:
        assert number not in html
    assert "客服-小红" not in html and "/evidence/" not in html
    for path in ("/-/leaderboard", "/-/platform/leaky", "/-/platform/fake-online"):
        response = datasette_get(public, path)
        assert response.status_code == 200 and "/evidence/" not in response.text


def test_incidents_feeds_are_atom_and_announced(datasette, demo_db):
    atom = "{http://www.w3.org/2005/Atom}"
    overall = datasette_get(datasette, "/-/feed.atom")
    assert overall.headers["content-type"].startswith("application/atom+xml")
    entries = ET.fromstring(overall.text).findall(f"{atom}entry")
    flagged = (
        sqlite_utils.Database(demo_db)
        .execute("select count(*) from probes where fake_online = 1 or bot_loop = 1")
        .fetchone()[0]
    )
    assert len(entries) == min(50, flagged) and flagged
    first = entries[0]
    assert first.find(f"{atom}link").get("href").startswith("http://localhost/-/probe/")
    assert "伪在线" in first.find(f"{atom}title").text and "伪在线" in first.find(f"{atom}summary").text
    english = ET.fromstring(datasette_get(datasette, "/-/feed.atom?_lang=en").text).findall(f"{atom}entry")[0]
    assert "fake online" in english.find(f"{atom}title").text
    queue = ET.fromstring(datasette_get(datasette, "/-/platform/kefu-queue/feed.atom").text).findall(f"{atom}entry")
    assert queue and all("排队不动" in e.find(f"{atom}title").text for e in queue)  # the flags of issue 27 too
    assert all("转接落空" in e.find(f"{atom}summary").text for e in queue)
    one = ET.fromstring(datasette_get(datasette, "/-/platform/fake-online/feed.atom").text)
    assert {e.find(f"{atom}title").text.split(":")[0] for e in one.findall(f"{atom}entry")} == {"假在线卡盟"}
    assert (
        ET.fromstring(datasette_get(datasette, "/-/platform/prompt-human/feed.atom").text).findall(f"{atom}entry") == []
    )
    assert datasette_get(datasette, "/-/platform/no-such/feed.atom").status_code == 404
    for path, feed in (
        ("/", "/-/feed.atom"),
        ("/demo/probes", "/-/feed.atom"),
        ("/-/leaderboard", "/-/feed.atom"),
        ("/-/platform/leaky", "/-/platform/leaky/feed.atom"),
    ):
        assert 'type="application/atom+xml" title="' in datasette_get(datasette, path).text
        assert f'href="{feed}"' in datasette_get(datasette, path).text, path
