"""Follow-ups on the pages people read (issue 28; Datasette's test client, no browser): the
leaderboard's 留言 column, a platform's messages left, a probe's form as submitted with the
page's confirmation and the replies; in Chinese and English; on the public copy our tagged
address, the tags and the numbers in replies masked, the form's screenshot not shown."""

from __future__ import annotations

import re

import pytest
import sqlite_utils

from watchdog.publish.datasette import build_datasette
from watchdog.publish.ratings import compute_ratings
from watchdog.records import FormProblem
from watchdog.store import open_store

from .conftest import datasette_get
from .left_messages import ADDRESS, add_platform, leave
from .simulate import png
from .test_i18n import english_of_ours, page_text

ANSWER = "您好，话费充值一般10分钟到账，失败会原路退回。有问题请加QQ 12345678 或致电 13812345678。"


@pytest.fixture(scope="module")
def left_db(tmp_path_factory):
    """Two platforms: one with messages answered, waiting and not left; one with none."""
    path = tmp_path_factory.mktemp("left") / "left.db"
    with open_store(path) as store:
        add_platform(store, "shop", "话费卡盟")
        add_platform(store, "quiet", "安静卡盟")
        screenshot = store.evidence_dir / "probe-1-form.png"
        screenshot.parent.mkdir()
        screenshot.write_bytes(png())
        receipt = (0.5, "auto", "已收到您（watchdog+a1b2c3d4@watchdog.test）的留言，我们将在24小时内回复。")
        leave(store, "a1b2c3d4", hours_ago=50, replies=(receipt, (2, "human", ANSWER)), promise_h=24,
              screenshot=str(screenshot))  # fmt: skip
        leave(store, "e5f6a7b8", hours_ago=30)  # waiting, 24 h missed
        leave(store, "c9d0e1f2", hours_ago=3, problem=FormProblem.NEEDS_PHONE, detail="手机号")
        compute_ratings(store)
    return path


@pytest.fixture(scope="module")
def private(left_db):
    return build_datasette(left_db)


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("public")


@pytest.fixture(scope="module")
def public(left_db, snapshot_dir):
    return build_datasette(left_db, public=True, snapshot_dir=snapshot_dir)


def row_of(html: str, slug: str) -> str:
    return html.split(f'href="/-/platform/{slug}"', 1)[1].split("</tr>", 1)[0]


def test_the_leaderboard_has_a_column_for_messages_left(private):
    english = datasette_get(private, "/-/leaderboard?_lang=en").text
    assert "<th>Messages left</th>" in english
    assert '<td data-label="Messages left">24 h 1/2 · 48 h 1/1</td>' in row_of(english, "shop")
    assert '<td data-label="Messages left">—</td>' in row_of(english, "quiet")
    assert "never part of the score" in english
    chinese = datasette_get(private, "/-/leaderboard").text
    assert "<th>留言</th>" in chinese
    assert '<td data-label="留言">24小时 1/2 · 48小时 1/1</td>' in row_of(chinese, "shop")


def test_a_platform_page_lists_its_messages_left(private):
    english = datasette_get(private, "/-/platform/shop?_lang=en").text
    left = english.split("<h2>Messages left</h2>", 1)[1].split("<h2>", 1)[0]
    assert "24 h 1/2 · 48 h 1/1" in left and "2 h" in left  # the median delay
    assert "within 24 h (“24小时内回复”)" in left
    assert left.count('href="/-/probe/probe-') == 3
    assert ">answered by a person</span>" in left and "after 2 h" in left
    assert ">waiting for an answer</span>" in left
    assert ">could not be left</span>" in left and "needs a phone number (“手机号”)" in left
    chinese = datasette_get(private, "/-/platform/shop").text
    assert "需要手机号" in chinese and "真人已回复" in chinese and "24小时内" in chinese
    assert "本期没有留言" in datasette_get(private, "/-/platform/quiet").text


def test_a_probe_page_shows_the_form_as_submitted_and_the_replies(private):
    html = datasette_get(private, "/-/probe/probe-1?_lang=en").text
    left = html.split("<h2>The message left</h2>", 1)[1]
    assert ">answered by a person</span>" in left and "after 2 h" in left
    assert re.search(r"<th>留言内容 \*</th><td>你好，请问你们的话费充值", left)
    assert '<th>手机号</th><td class="small">left empty</td>' in left
    assert "watchdog+a1b2c3d4@watchdog.test" in left  # the operator's own copy: unmasked
    assert "<q>留言成功！我们将在24小时内回复您。</q>" in left
    assert 'href="/evidence/probe-1-form.png"' in left
    assert "automatic receipt</span> +30 min" in left and "a person&#39;s answer</span> +2 h" in left
    assert ANSWER in left
    chinese = datasette_get(private, "/-/probe/probe-1").text
    assert "留言内容" in chinese and "自动回执" in chinese and "+2小时" in chinese
    not_left = datasette_get(private, "/-/probe/probe-3?_lang=en").text
    assert "needs a phone number" in not_left and "Replies" not in not_left


def test_a_probe_without_a_message_left_shows_none(private):
    html = datasette_get(private, "/-/platform/quiet?_lang=en").text
    assert "No message left" in html


def test_the_public_pages_mask_our_address_the_tags_and_the_numbers_in_replies(public):
    pages = [
        datasette_get(public, path).text
        for path in (
            "/-/leaderboard",
            "/-/platform/shop",
            "/-/probe/probe-1",
            "/-/probe/probe-1?_lang=en",
            "/left/follow_ups.json?_shape=array",
            "/left/follow_up_replies.json?_shape=array",
            "/left/follow_ups.csv",
            "/left/follow_up_replies.csv",
            "/left/follow_up_replies",
        )
    ]
    for page in pages:
        assert ADDRESS.partition("@")[2] not in page and "a1b2c3d4" not in page and "e5f6a7b8" not in page
        assert "12345678" not in page and "13812345678" not in page
        assert "/evidence/" not in page
    probe = pages[3]
    assert "留言内容" in probe and "你好，请问你们的话费充值" in probe  # what is not personal stays
    assert "+2 h" in probe and "话费充值一般10分钟到账" in probe
    assert "24小时 1/2 · 48小时 1/1" in pages[0]


def test_the_public_copy_holds_no_address_no_tag_and_nothing_credential_like(public, snapshot_dir):
    """Every cell of every table of the public copy: our address and the tags nowhere (the
    follow-ups' ids hashed, consistently, so that replies still name their follow-up); no
    column that could hold a credential."""
    copy = sqlite_utils.Database(snapshot_dir / "left.db")
    cells = [str(value) for table in copy.tables for row in table.rows for value in row.values()]
    assert cells and not [c for c in cells if "watchdog.test" in c or "a1b2c3d4" in c or "e5f6a7b8" in c]
    columns = [f"{table.name}.{column}" for table in copy.tables for column in table.columns_dict]
    columns.remove("platforms.url")  # the platform's page, as configured: the only address published
    assert not [c for c in columns if re.search(r"pass|secret|token|credential|auth|cookie|address|url\b", c)]
    assert {"follow_ups", "follow_up_replies"} <= set(copy.table_names())
    ids = {row["id"] for row in copy["follow_ups"].rows}
    assert {row["follow_up"] for row in copy["follow_up_replies"].rows} <= ids


@pytest.mark.parametrize("path", ["/-/leaderboard", "/-/platform/shop", "/-/probe/probe-1", "/-/probe/probe-3"])
def test_the_follow_up_pages_read_in_chinese(private, path):
    chinese = page_text(datasette_get(private, path).text)
    assert [phrase for phrase in english_of_ours() if phrase in chinese] == []
