"""Datasette pages on a database filled by real sandbox probes (Datasette's test client)."""

from __future__ import annotations

import re
import signal

import pytest
import sqlite_utils

from watchdog.publish.datasette import QUERIES, build_datasette, public_snapshot
from watchdog.records import MessageRecord, Outcome, ProbeRecord, Side, State
from watchdog.store import open_store

from .conftest import datasette_get, watchdog_process


@pytest.fixture(scope="module")
def datasette(demo_db):
    return build_datasette(demo_db)


@pytest.fixture(scope="module")
def public(demo_db, tmp_path_factory):
    return build_datasette(demo_db, public=True, snapshot_dir=tmp_path_factory.mktemp("public"))


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_canned_queries_answer(datasette, query):
    params = "?platform=prompt-human" if query == "platform_history" else ""
    response = datasette_get(datasette, f"/demo/{query}.json{params}&_shape=array".replace(".json&", ".json?"))
    assert response.status_code == 200, response.text
    rows = response.json()
    assert rows, query


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/demo",
        "/demo/ratings",
        "/demo/probes",
        "/demo/messages",
        "/demo/leaderboard",
        "/demo/incidents",
        "/-/charts",
        "/-/watchdog/charts.js",
    ],
)
def test_main_pages_answer(datasette, path):
    response = datasette_get(datasette, path)
    assert response.status_code == 200, (path, response.text[:300])


def test_home_page_has_bilingual_metadata_and_formula(datasette):
    html = datasette_get(datasette, "/").text
    assert "客服看门狗" in html and "Do 卡盟 platforms really answer?" in html
    assert "score = 40 × reach" in html and "CC BY 4.0" in html


def test_leaderboard_order_matches_behaviour(datasette):
    rows = datasette_get(datasette, "/demo/leaderboard.json?_shape=array").json()
    ranked = [r["platform"] for r in rows if r["rank"] is not None]
    assert ranked.index("prompt-human") < ranked.index("slow-human") < ranked.index("bot-loop")
    assert ranked.index("slow-human") < ranked.index("fake-online")


def test_incidents_link_to_evidence(datasette, demo_db):
    html = datasette_get(datasette, "/demo/incidents").text
    screenshot = re.search(r'href="(/evidence/[^"]+\.png)"', html).group(1)
    assert datasette_get(datasette, screenshot).content.startswith(b"\x89PNG")
    transcript = re.search(r'href="(/demo/messages\?probe_id=[^"]+)"', html).group(1)
    assert datasette_get(datasette, transcript.replace("&amp;", "&")).status_code == 200


def leaky_texts(demo_db) -> list[str]:
    db = sqlite_utils.Database(demo_db)
    return [
        m["text"]
        for m in db.query(
            "select m.text from messages m join probes p on p.id = m.probe_id "
            "where p.platform = 'leaky' and m.side = 'platform'"
        )
    ]


def test_agent_markup_is_shown_as_text(datasette, demo_db):
    assert any("<script>alert(1)</script>" in t or "<img src=x onerror=alert(1)>" in t for t in leaky_texts(demo_db))
    for path in (
        "/demo/messages?_search=&_size=max",
        "/demo/incidents",
        "/demo/platform_history?platform=leaky",
        "/-/charts",
    ):
        html = datasette_get(datasette, path).text
        assert "<script>alert(1)</script>" not in html and "<img src=x onerror" not in html, path
    html = datasette_get(datasette, "/demo/messages?_size=max").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;img src=x onerror=alert(1)&gt;" in html


def test_public_mode_rejects_sql(public):
    response = datasette_get(public, "/demo.json?sql=select+1")
    assert response.status_code == 403
    assert "公开版已关闭任意 SQL 查询" in response.json()["error"]
    page = datasette_get(public, "/demo?sql=select+1")
    assert page.status_code == 403 and "公开版已关闭任意 SQL 查询" in page.text
    assert datasette_get(public, "/demo/leaderboard.json").status_code == 200  # canned queries stay


def test_public_mode_masks_personal_data(public, demo_db, sandbox):
    planted = [re.sub(r"\D", "", m) for t in leaky_texts(demo_db) for m in re.findall(r"(?:QQ|电话) ?\d{8,11}", t)]
    assert planted, "the sandbox planted contacts in the transcript"
    pages = [
        datasette_get(public, p).text
        for p in (
            "/demo/messages?_size=max",
            "/demo/messages.json?_size=max",
            "/demo/incidents",
            "/demo/platform_history?platform=leaky",
            "/demo/probes?_size=max",
        )
    ]
    for number in planted:
        assert not any(number in page for page in pages), number
    assert "客服-小红" not in pages[0]  # staff names masked
    probes = datasette_get(public, "/demo/probes.json?_size=max&_shape=array").json()
    assert "host" not in probes[0] and "pid" not in probes[0] and "notes" not in probes[0]
    assert all(p["screenshot"] is None for p in probes)  # a screenshot shows the unmasked chat


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_public_serve_stops_on_sigterm_as_on_ctrl_c_and_keeps_its_masked_snapshot(stop, demo_copy):
    """SIGTERM (systemd, docker stop) stops `serve --public` cleanly as Ctrl-C does; the masked
    snapshot next to the database stays, whole, for the next start to bring up to date."""
    snapshot = demo_copy.parent / "demo-public" / "demo.db"
    with watchdog_process("serve", "--public", "--db", demo_copy, "--port", "0") as process:
        address = process.stdout.readline()  # printed once it listens
        assert address.startswith("http://127.0.0.1:")
        process.send_signal(stop)
        assert process.wait(timeout=15) == 0
    published = sqlite_utils.Database(snapshot)
    assert published["probes"].count == sqlite_utils.Database(demo_copy)["probes"].count
    assert published["probes"].count_where("screenshot is not null") == 0


def test_the_public_snapshot_copies_only_what_changed_and_the_site_shows_it(demo_copy, tmp_path):
    folder = tmp_path / "public"
    public = build_datasette(demo_copy, public=True, snapshot_dir=folder)
    with open_store(demo_copy) as store:
        total = store.db["probes"].count
        assert public_snapshot(demo_copy, folder) == 0  # up to date since the start
        probe = store.probes(platform="leaky", finished=True)[0]
        probe.outcome, probe.reasons = Outcome.NO_REPLY, ["revised: call 13812345678"]
        store.save_probe(probe)
        new = ProbeRecord(id="new-probe", platform="leaky", started_at="2026-11-24T10:00:00.000Z", state=State.FINISHED)
        store.start_probe(new)
        store.save_message(
            MessageRecord(probe_id="new-probe", seq=0, side=Side.PLATFORM, at_ms=1.0, text="加V信 kf_abc123")
        )
    assert public_snapshot(demo_copy, folder) == 2  # the revised probe and the new one, nothing else
    shown = datasette_get(public, f"/demo/probes/{probe.id}.json?_shape=array").json()[0]
    assert shown["outcome"] == "no_reply" and "13812345678" not in shown["reasons"]
    (message,) = datasette_get(public, "/demo/messages.json?probe_id=new-probe&_shape=array").json()
    assert "kf_abc123" not in message["text"]
    assert sqlite_utils.Database(folder / "demo.db")["probes"].count == total + 1


def test_a_first_snapshot_cut_short_is_never_served(demo_copy, tmp_path):
    """The first copy is written aside and put in place whole: a leftover of one cut short
    (the process killed) is thrown away, and the snapshot made is complete, in WAL mode."""
    folder = tmp_path / "public"
    folder.mkdir()
    (folder / "demo.db.building").write_bytes(b"half a database")
    assert public_snapshot(demo_copy, folder) == sqlite_utils.Database(demo_copy)["probes"].count
    assert sorted(path.name for path in folder.iterdir()) == ["demo.db"]
    published = sqlite_utils.Database(folder / "demo.db")
    assert published.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert published["messages"].count == sqlite_utils.Database(demo_copy)["messages"].count
