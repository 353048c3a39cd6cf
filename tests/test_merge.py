"""`watchdog merge`: databases of several probing machines combine idempotently, ratings
recomputed over the union."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from watchdog.publish.ratings import rate_platform
from watchdog.records import ProbeRecord
from watchdog.sandbox import SCENARIOS, scenario_by_slug
from watchdog.store import open_store

from .conftest import run_cli
from .simulate import fill

RATING_COLUMNS = (
    "platform",
    "probes",
    "human_reached",
    "human_rate",
    "fake_online_rate",
    "bot_loop_rate",
    "first_human_median_s",
    "score",
    "grade",
    "rank",
)


def copy_db(source, target):
    """As a user copies a database from another machine: the file after its run has ended."""
    wal = source.with_name(source.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # closing the store checkpointed it
    shutil.copy(source, target)
    evidence = source.parent / f"{source.stem}-evidence"
    if evidence.is_dir():
        shutil.copytree(evidence, target.parent / f"{target.stem}-evidence")
    return target


def dump(db_path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db_path) as conn:
        return {
            table: conn.execute(f"select * from {table} order by 1, 2").fetchall()
            for table in ("platforms", "probes", "messages", "runs")
        } | {"ratings": conn.execute(f"select {', '.join(RATING_COLUMNS)} from ratings order by platform").fetchall()}


def rows(db_path, sql: str, args=()) -> list[dict]:
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, args)]


@pytest.fixture
def two_machines(demo_db, tmp_path):
    """Machine A: the demo's 80 probes. Machine B: two more platforms probed from elsewhere."""
    a = copy_db(demo_db, tmp_path / "a.db")
    scenarios = scenario_by_slug()
    b = fill(tmp_path / "b.db", rounds=1, scenarios=(scenarios["down"], scenarios["fast-human"]), vantage="machine-b")
    return a, b


def test_merging_twice_equals_merging_once_and_ratings_match_the_union(two_machines, tmp_path):
    a, b = two_machines
    central = tmp_path / "central.db"
    first = run_cli("merge", a, b, "-o", central)
    assert first.exit_code == 0, first.output
    assert f"{b}: 2 new probe(s), 0 updated, 0 already there" in first.stderr
    once = dump(central)
    again = run_cli("merge", a, b, "-o", central)
    assert f"{a}: 0 new probe(s), 0 updated, {5 * len(SCENARIOS)} already there" in again.stderr
    assert dump(central) == once

    union = rows(a, "select * from probes") + rows(b, "select * from probes")
    assert sorted(p["id"] for p in rows(central, "select id from probes")) == sorted(p["id"] for p in union)
    assert {p["vantage"] for p in rows(central, "select vantage from probes where platform = 'down'")} >= {"machine-b"}
    messages = len(rows(a, "select seq from messages")) + len(rows(b, "select seq from messages"))
    assert len(rows(central, "select seq from messages")) == messages

    ratings = {r["platform"]: r for r in rows(central, "select * from ratings")}
    for platform in rows(central, "select * from platforms"):
        probes = [
            ProbeRecord.from_row(p) for p in union if p["platform"] == platform["slug"] and p["state"] == "finished"
        ]
        expected = rate_platform(platform, probes)
        for column in RATING_COLUMNS[1:-1]:
            assert ratings[platform["slug"]][column] == expected[column], (platform["slug"], column)
    assert ratings["down"]["probes"] == 6 and ratings["fast-human"]["probes"] == 6

    for probe in rows(central, "select screenshot from probes where screenshot is not null"):
        assert probe["screenshot"].startswith(str(tmp_path / "central-evidence"))
        assert (tmp_path / "central-evidence" / probe["screenshot"].rsplit("/", 1)[1]).is_file()


def test_a_probe_still_running_in_one_copy_is_taken_when_it_has_ended(two_machines, tmp_path):
    _, b = two_machines
    snapshot = copy_db(b, tmp_path / "snapshot.db")  # as copied from machine B mid-probe
    with sqlite3.connect(snapshot) as conn:
        conn.execute("update probes set state = 'running', outcome = null where platform = 'fast-human'")
        conn.execute("delete from messages where side = 'platform'")
    central = tmp_path / "central.db"
    assert run_cli("merge", snapshot, "-o", central).exit_code == 0
    later = run_cli("merge", b, snapshot, "-o", central)
    assert f"{b}: 0 new probe(s), 1 updated, 1 already there" in later.stderr
    assert f"{snapshot}: 0 new probe(s), 0 updated, 2 already there" in later.stderr
    assert dump(central)["messages"] == dump(b)["messages"]
    assert {p["state"] for p in rows(central, "select state from probes")} == {"finished"}


def test_merge_refuses_what_it_cannot_merge(tmp_path, two_machines):
    a, _ = two_machines
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table x (y)")
    refused = run_cli("merge", a, other, "-o", tmp_path / "central.db")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == f"Error: {other}: not a watchdog database (no probes table)"
    assert not (tmp_path / "central.db").exists()
    itself = run_cli("merge", a, "-o", a)
    assert itself.exit_code == 1 and "is also the output" in itself.stderr


def test_merge_copies_only_files_inside_the_sources_evidence_folder(two_machines, tmp_path):
    a, _ = two_machines
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not evidence")
    outside = tmp_path / "outside.txt"
    outside.write_text("private")
    evidence = tmp_path / "a-evidence"
    (evidence / "linked.png").symlink_to(secret)
    planted = {"planted-1": str(outside), "planted-2": str(evidence / "linked.png"), "planted-3": "../../secret.png"}
    with sqlite3.connect(a) as conn:
        ids = [row[0] for row in conn.execute("select id from probes where screenshot is not null limit 3")]
        for probe_id, path in zip(ids, planted.values(), strict=True):
            conn.execute("update probes set screenshot = ? where id = ?", [path, probe_id])
    central = tmp_path / "central.db"
    assert run_cli("merge", a, "-o", central).exit_code == 0
    copied = {p.name for p in (tmp_path / "central-evidence").iterdir()}
    assert not copied & {"outside.txt", "linked.png", "secret.png"}
    for probe_id in ids:
        assert rows(central, "select screenshot from probes where id = ?", [probe_id])[0]["screenshot"] is None
    assert len(rows(central, "select id from probes where screenshot is not null")) > 0  # the honest ones


def test_merge_links_or_copies_the_screenshots_and_never_writes_through_an_earlier_copy(
    two_machines, tmp_path, monkeypatch
):
    """Where links work (one file system) a screenshot is linked, else copied; a copy already in
    the target is replaced, never written into (it may be a link to another database's file)."""
    a, b = two_machines
    central = tmp_path / "central.db"
    evidence = tmp_path / "central-evidence"
    evidence.mkdir()
    (tmp_path / "elsewhere.png").write_bytes(b"another database's screenshot")
    name = rows(b, "select screenshot from probes where screenshot is not null")[0]["screenshot"].rsplit("/", 1)[1]
    (evidence / name).hardlink_to(tmp_path / "elsewhere.png")
    assert run_cli("merge", b, "-o", central).exit_code == 0
    assert (tmp_path / "elsewhere.png").read_bytes() == b"another database's screenshot"
    assert (evidence / name).read_bytes() == (tmp_path / "b-evidence" / name).read_bytes()
    assert (evidence / name).samefile(tmp_path / "b-evidence" / name)  # linked

    def no_links(*args, **kwargs):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr("os.link", no_links)
    assert run_cli("merge", a, "-o", central).exit_code == 0
    screenshots = rows(central, "select screenshot from probes where screenshot is not null and vantage != 'machine-b'")
    assert screenshots
    for probe in screenshots:
        copy = evidence / probe["screenshot"].rsplit("/", 1)[1]
        assert probe["screenshot"] == str(copy) and copy.is_file() and copy.stat().st_nlink == 1  # copied


def test_a_link_inside_the_evidence_folder_is_no_screenshot(two_machines, tmp_path):
    """Only regular files are evidence: a link is not followed, even to a file beside it."""
    a, _ = two_machines
    first, second = [row["id"] for row in rows(a, "select id from probes where screenshot is not null limit 2")]
    evidence = tmp_path / "a-evidence"
    (evidence / "alias.png").symlink_to(evidence / f"{second}.png")
    with sqlite3.connect(a) as conn:
        conn.execute("update probes set screenshot = ? where id = ?", [str(evidence / "alias.png"), first])
    central = tmp_path / "central.db"
    assert run_cli("merge", a, "-o", central).exit_code == 0
    assert rows(central, "select screenshot from probes where id = ?", [first])[0]["screenshot"] is None
    assert not (tmp_path / "central-evidence" / "alias.png").exists()
    assert rows(central, "select screenshot from probes where id = ?", [second])[0]["screenshot"] == str(
        tmp_path / "central-evidence" / f"{second}.png"
    )


def test_merged_probes_get_revisions_above_the_targets_and_the_triggers_are_back(two_machines, tmp_path):
    """The revision triggers are set aside while copying: each taken probe still gets a revision
    of its own above every earlier one (a public snapshot copies it again), and later changes
    raise revisions as before."""
    a, b = two_machines
    central = tmp_path / "central.db"
    assert run_cli("merge", b, "-o", central).exit_code == 0
    before = rows(central, "select max(revision) as top from probes")[0]["top"]
    assert run_cli("merge", a, "-o", central).exit_code == 0
    taken = rows(central, "select revision from probes where vantage != 'machine-b'")
    revisions = [row["revision"] for row in taken]
    assert len(set(revisions)) == len(revisions) == 5 * len(SCENARIOS) and min(revisions) > before
    with sqlite3.connect(central) as conn:
        names = {row[0] for row in conn.execute("select name from sqlite_master where type = 'trigger'")}
        assert {"probes_inserted", "probes_changed", "messages_inserted", "messages_changed"} <= names
        probe_id = conn.execute("select probe_id from messages limit 1").fetchone()[0]
        conn.execute("update messages set kind = kind where probe_id = ?", [probe_id])
        top = conn.execute("select max(revision) from probes").fetchone()[0]
        assert (
            conn.execute("select revision from probes where id = ?", [probe_id]).fetchone()[0] == top > max(revisions)
        )


def test_the_page_cache_and_temp_store_are_as_before_after_a_merge(two_machines, tmp_path):
    from watchdog.store import open_store
    from watchdog.store.merge import merge

    with open_store(tmp_path / "central.db") as central:
        conn = central.db.conn
        before = [conn.execute(f"pragma {name}").fetchone()[0] for name in ("cache_size", "temp_store")]
        merge(list(two_machines), central)
        assert [conn.execute(f"pragma {name}").fetchone()[0] for name in ("cache_size", "temp_store")] == before


def test_a_new_file_is_written_without_a_journal_and_left_in_wal_mode(two_machines, tmp_path):
    central = tmp_path / "central.db"
    assert run_cli("merge", *two_machines, "-o", central).exit_code == 0
    with sqlite3.connect(central) as conn:
        assert conn.execute("pragma journal_mode").fetchone() == ("wal",)
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)


def test_a_merge_that_fails_into_a_new_file_leaves_no_file(two_machines, tmp_path, monkeypatch):
    def fail(conn):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("watchdog.store.merge._copy_messages", fail)
    central = tmp_path / "central.db"
    with pytest.raises(sqlite3.OperationalError):
        run_cli("merge", *two_machines, "-o", central)
    assert not central.exists() and not (tmp_path / "central-evidence").exists()
    existing = copy_db(two_machines[0], tmp_path / "existing.db")
    before = dump(existing)
    with pytest.raises(sqlite3.OperationalError):
        run_cli("merge", two_machines[1], "-o", existing)
    assert dump(existing) == before  # a database with probes in it: journaled, rolled back


def test_a_new_file_gets_what_a_database_with_rows_gets(two_machines, tmp_path):
    """Into a new file (written without a journal) the merge gives the same rows and evidence
    as into a database that has rows already, and nothing a merge does not carry (the
    source's alerts)."""
    a, b = two_machines
    with sqlite3.connect(a) as conn:
        conn.execute("insert into events (platform, kind, change, at) values ('down', 'fake_online', 'started', 'x')")
    fresh, older = tmp_path / "fresh.db", tmp_path / "older.db"
    assert run_cli("merge", a, b, "-o", fresh).exit_code == 0
    with open_store(older) as store:  # a target with a row already: merged source by source
        store.db["platforms"].insert({"slug": "zz-other", "name": "other", "url": "", "path": ""})
    assert run_cli("merge", a, b, "-o", older).exit_code == 0
    theirs = {table: [r for r in found if "zz-other" not in r] for table, found in dump(older).items()}
    assert dump(fresh) | {"probes": []} == theirs | {"probes": []}

    def probes(db):  # their own revisions and evidence folders apart
        found = rows(db, "select * from probes order by id")
        return [p | {"revision": 0, "screenshot": p["screenshot"] and Path(p["screenshot"]).name} for p in found]

    assert probes(fresh) == probes(older)
    folder = str(tmp_path / "fresh-evidence")
    assert all(
        p["screenshot"] is None or p["screenshot"].startswith(folder) for p in rows(fresh, "select * from probes")
    )
    assert rows(fresh, "select count(*) as n from events")[0]["n"] == 0
    evidence = [{p.name for p in (tmp_path / f"{name}-evidence").iterdir()} for name in ("fresh", "older")]
    assert evidence[0] == evidence[1] and evidence[0]
