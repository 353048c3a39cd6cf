"""CSV exports: a BOM for Excel, Chinese intact through Python's csv module, filters."""

from __future__ import annotations

import csv
import io

import sqlite_utils

from watchdog.store import open_store

from .conftest import run_cli


def read_csv(path) -> list[dict]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_messages_round_trip_with_chinese_when_unmasked(demo_db, tmp_path):
    out = tmp_path / "messages.csv"
    result = run_cli("export", "messages", "--lang", "en", "--db", demo_db, "-o", out, "--unmasked")
    assert result.exit_code == 0
    assert "warning: --unmasked: this file holds personal data" in result.stderr
    rows = read_csv(out)
    db = sqlite_utils.Database(demo_db)
    stored = {(m["probe_id"], str(m["seq"])): m["text"] for m in db["messages"].rows}
    assert len(rows) == len(stored)
    assert all(stored[(r["probe_id"], r["seq"])] == r["text"] for r in rows)
    assert any("欢迎光临闪电卡盟" in r["text"] for r in rows)


def test_filters_by_platform_and_since(demo_db, tmp_path):
    out = tmp_path / "probes.csv"
    run_cli("export", "probes", "--lang", "en", "--db", demo_db, "--platform", "prompt-human", "-o", out)
    rows = read_csv(out)
    assert len(rows) == 5 and {r["platform"] for r in rows} == {"prompt-human"}
    assert rows[0]["platform_name"] == "闪电卡盟" and rows[0]["outcome"] == "human"
    run_cli("export", "probes", "--lang", "en", "--db", demo_db, "--since", "2999-01-01", "-o", out)
    assert read_csv(out) == []


def test_ratings_export_and_no_bom(demo_db):
    result = run_cli("export", "ratings", "--lang", "en", "--db", demo_db, "--no-bom")
    assert result.exit_code == 0 and not result.stdout.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["rank"] == "1" and rows[0]["grade"] == "A"
    assert {"human_rate_low", "human_rate_high", "fake_online_rate", "score"} <= rows[0].keys()


def test_exports_are_masked_as_published_by_default(demo_db, tmp_path):
    out = tmp_path / "messages.csv"
    assert run_cli("export", "messages", "--lang", "en", "--db", demo_db, "-o", out).exit_code == 0
    rows = read_csv(out)
    db = sqlite_utils.Database(demo_db)
    planted = {m["text"] for m in db["messages"].rows if "QQ" in (m["text"] or "")}
    assert planted, "the sandbox's leaky platform gives contacts"
    assert not planted & {r["text"] for r in rows}
    assert {r["sender"] for r in rows} <= {"", "客服"}
    probes = tmp_path / "probes.csv"
    run_cli("export", "probes", "--lang", "en", "--db", demo_db, "-o", probes)
    assert all(r["screenshot"] == "" for r in read_csv(probes))


def test_an_unknown_platform_is_an_error(demo_db):
    result = run_cli("export", "probes", "--lang", "en", "--db", demo_db, "--platform", "no-such-site")
    assert result.exit_code == 1
    assert "--platform no-such-site: no such platform" in result.stderr


def test_cells_a_spreadsheet_would_run_are_escaped(tmp_path):
    db_path = tmp_path / "formulas.db"
    with open_store(db_path) as store:
        store.db["platforms"].insert({"slug": "eq", "name": "=1+1", "url": "https://eq.example/", "path": ""})
        store.db["probes"].insert({"id": "p1", "platform": "eq", "started_at": "2026-11-23T10:00:00.000Z",
                                   "state": "finished", "question": "-2+3", "reasons": '["@SUM(A1)"]'})  # fmt: skip
        store.db["messages"].insert(
            {
                "probe_id": "p1",
                "seq": 0,
                "side": "platform",
                "at_ms": -1.0,
                "text": '=HYPERLINK("http://x")',
                "sender": "+1",
                "kind": "human",
                "reasons": '["=2", "x"]',
            }  # fmt: skip
        )
    (message,) = csv.DictReader(
        io.StringIO(run_cli("export", "messages", "--lang", "en", "--db", db_path, "--unmasked").stdout[1:])
    )
    assert message["text"] == '\'=HYPERLINK("http://x")'
    assert (message["sender"], message["reasons"], message["at_s"]) == ("'+1", "'=2; x", "-0.001")
    (probe,) = csv.DictReader(io.StringIO(run_cli("export", "probes", "--lang", "en", "--db", db_path).stdout[1:]))
    assert (probe["platform_name"], probe["question"], probe["reasons"]) == ("'=1+1", "'-2+3", "'@SUM(A1)")


def test_a_long_history_exported_by_workers_is_the_same_file(demo_db, monkeypatch):
    """Slices of 3 probes make the demo a long history: the workers' file is the one-process
    file byte for byte (rows in order, masked alike), with every message once."""
    from watchdog.publish import export

    def exported(kind: str, **options) -> tuple[int, str]:
        out = io.StringIO()
        with open_store(demo_db, existing=True) as store:
            return export.export_csv(store, kind, out, **({"lang": "en"} | options)), out.getvalue()

    serial = exported("messages")
    monkeypatch.setattr(export, "SLICE", 3)
    monkeypatch.setattr(export.os, "cpu_count", lambda: 2)
    started = []
    real_pool = export.ProcessPoolExecutor
    monkeypatch.setattr(export, "ProcessPoolExecutor", lambda *a, **k: started.append(a) or real_pool(*a, **k))
    assert exported("messages") == serial
    assert started and started[0][0] == 2
    ended = "select count(*) from messages join probes on probes.id = probe_id where state != 'running'"
    assert serial[0] == next(sqlite_utils.Database(demo_db).execute(ended))[0] > 0
    monkeypatch.setattr(export, "SLICE", 1)  # its 5 probes in 5 slices
    count, text = exported("messages", platform="prompt-human", masked=False)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == count and {row["platform"] for row in rows} == {"prompt-human"}
    assert len(started) == 2


def test_the_default_export_speaks_chinese_and_en_gives_the_plain_names(demo_db, tmp_path):
    """Headers and reasons in Chinese by default (consumer groups open it in Excel); --lang en
    keeps the column names scripts rely on, with the reasons in English."""
    zh, en = tmp_path / "zh.csv", tmp_path / "en.csv"
    assert run_cli("export", "probes", "--db", demo_db, "-o", zh).exit_code == 0
    assert run_cli("export", "probes", "--db", demo_db, "-o", en, "--lang", "en").exit_code == 0
    chinese, english = read_csv(zh), read_csv(en)
    assert "探测编号" in chinese[0] and "理由" in chinese[0] and "probe_id" in english[0]
    by_id = {row["probe_id"]: row for row in english}
    human = next(row for row in chinese if row["结论"] == "human")
    assert "真人" in human["理由"] and "a human replied" in by_id[human["探测编号"]]["reasons"]
