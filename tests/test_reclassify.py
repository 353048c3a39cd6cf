"""`watchdog reclassify` streams: the finished probes in id order, a batch at a time, each batch
committed; --platform, --since and --after choose them, and Ctrl-C says where to resume."""

from __future__ import annotations

import io
import os
import signal

import pytest
import sqlite_utils

import watchdog.progress
import watchdog.verdicts.revisions as revisions
from watchdog.progress import Progress
from watchdog.records import Claimed, Kind, MessageRecord, Outcome, ProbeRecord, Side, State
from watchdog.store import Store, open_store

from .conftest import run_cli

QUESTION = "你好，请问你们的话费充值一般多久到账？如果充值失败了怎么退款？"
# (day of December 2026, platform): five finished probes, in the order of their ids.
PROBES = [(1, "site-a"), (2, "site-b"), (3, "site-a"), (4, "site-b"), (5, "site-a")]


def probe_id(day: int, slug: str) -> str:
    return f"202612{day:02d}T101500Z-{slug}-{day:06x}"


def fill(path, probes=PROBES) -> list[str]:
    """Finished probes in which a person answered our question, each stored with a wrong
    verdict (nobody answered, fake online), as rules that have since improved would have left
    them; and one interrupted probe, never recomputed. Returns the finished ones' ids."""
    with open_store(path) as store:
        for day, slug in probes:
            probe = ProbeRecord(
                probe_id(day, slug),
                slug,
                f"2026-12-{day:02d}T10:15:00.000Z",
                question=QUESTION,
                question_at_ms=1000.0,
                claimed_status=Claimed.ONLINE,
                claimed_status_text="在线",
                screen_checked=True,
                state=State.FINISHED,
                finished_at=f"2026-12-{day:02d}T10:25:00.000Z",
                outcome=Outcome.NO_REPLY,
                fake_online=True,
                reasons=["an old rule"],
            )
            store.start_probe(probe)
            store.save_messages(
                [
                    MessageRecord(probe.id, 1, Side.VISITOR, 1000.0, QUESTION, kind=Kind.QUESTION),
                    MessageRecord(probe.id, 2, Side.PLATFORM, 9000.0, f"在的，一般{day}分钟到账", kind=Kind.AUTO),
                ]
            )
        left = ProbeRecord(
            "20261203T000000Z-site-a-gone", "site-a", "2026-12-03T00:00:00.000Z", state=State.INTERRUPTED
        )
        left.outcome = Outcome.PROBE_ERROR
        store.start_probe(left)
    return [probe_id(day, slug) for day, slug in probes]


def outcomes(path) -> dict[str, tuple[str, int]]:
    db = sqlite_utils.Database(path)
    return {row["id"]: (row["outcome"], row["fake_online"]) for row in db.query("select * from probes order by id")}


def recomputed(path) -> list[str]:
    """The ids of the probes whose verdict was recomputed (a person answered, not faked)."""
    return [probe for probe, verdict in outcomes(path).items() if verdict == ("human", 0)]


@pytest.fixture
def history(db_path) -> list[str]:
    return fill(db_path)


def test_reclassify_recomputes_stored_verdicts_and_says_how_many_changed(db_path, history):
    result = run_cli("reclassify", "--db", db_path)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == "reclassified 5 probe(s); 5 changed outcome or flags"
    assert recomputed(db_path) == history
    assert outcomes(db_path)["20261203T000000Z-site-a-gone"] == ("probe_error", 0)  # interrupted: left alone
    kinds = sqlite_utils.Database(db_path).query("select kind from messages where side = 'platform'")
    assert {row["kind"] for row in kinds} == {"human"}
    again = run_cli("reclassify", "--db", db_path)
    assert again.stderr.splitlines()[-1] == "reclassified 5 probe(s); 0 changed outcome or flags"


def test_platform_since_and_after_choose_the_probes(tmp_path):
    ids = [probe_id(day, slug) for day, slug in PROBES]
    cases = [
        (["--platform", "site-b"], [ids[1], ids[3]]),
        (["--since", "2026-12-03"], ids[2:]),
        (["--since", "2026-12-03T10:15:00Z"], ids[2:]),  # at or after
        (["--since", "2026-12-03T11:15:00+01:00"], ids[2:]),  # another time zone, in UTC
        (["--since", "2026-12-03T10:15:01"], ids[3:]),
        (["--after", ids[1]], ids[2:]),  # exactly after that id
        (["--after", ids[1], "--platform", "site-a", "--since", "2026-12-04"], [ids[4]]),
        (["--after", ids[-1]], []),
    ]
    for number, (options, expected) in enumerate(cases):
        path = tmp_path / f"{number}.db"
        fill(path)
        result = run_cli("reclassify", "--db", path, *options)
        assert result.exit_code == 0, (options, result.output)
        assert recomputed(path) == expected, options
        assert f"reclassified {len(expected)} probe(s); {len(expected)} changed" in result.stderr


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "12/03/2026"])
def test_since_that_is_no_date_is_refused_in_one_line(db_path, history, since):
    result = run_cli("reclassify", "--db", db_path, "--since", since)
    assert result.exit_code == 2
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: Invalid value for '--since':") and "give YYYY-MM-DD" in error
    assert recomputed(db_path) == []


def test_ctrl_c_keeps_what_was_done_and_says_where_to_resume(db_path, history, monkeypatch):
    monkeypatch.setattr(revisions, "BATCH", 2)
    judge = revisions.judge
    judged: list[str] = []

    def interrupted_at_the_fourth(probe, messages, templates):
        if len(judged) == 3:
            raise KeyboardInterrupt
        judged.append(probe.id)
        return judge(probe, messages, templates)

    monkeypatch.setattr(revisions, "judge", interrupted_at_the_fourth)
    result = run_cli("reclassify", "--db", db_path)
    assert result.exit_code == 130
    # The third probe was in the second batch, still open: it is committed all the same.
    assert recomputed(db_path) == history[:3]
    assert f"interrupted after {history[2]}; resume with --after {history[2]}" in result.stderr
    assert "reclassified 3 probe(s); 3 changed outcome or flags" in result.stderr

    monkeypatch.setattr(revisions, "judge", judge)
    resumed = run_cli("reclassify", "--db", db_path, "--after", history[2])
    assert resumed.stderr.splitlines()[-1] == "reclassified 2 probe(s); 2 changed outcome or flags"
    assert recomputed(db_path) == history


def test_a_probe_stopped_while_being_saved_is_not_half_written(db_path, history, monkeypatch):
    """Its messages' kinds were written, its verdict not yet: both are left as they were."""
    save_probe = Store.save_probe

    def stopped_at_the_third(self, probe):
        if probe.id == history[2]:
            raise KeyboardInterrupt
        save_probe(self, probe)

    monkeypatch.setattr(Store, "save_probe", stopped_at_the_third)
    result = run_cli("reclassify", "--db", db_path)
    assert result.exit_code == 130 and f"resume with --after {history[1]}" in result.stderr
    assert recomputed(db_path) == history[:2]
    kinds = sqlite_utils.Database(db_path).query("select probe_id, kind from messages where side = 'platform'")
    assert {row["probe_id"]: row["kind"] for row in kinds} == {
        probe: "human" if probe in history[:2] else "auto" for probe in history
    }


def test_sigterm_stops_as_ctrl_c_does(db_path, history, monkeypatch):
    judge = revisions.judge

    def terminated_in_the_second(probe, messages, templates):
        if probe.id == history[1]:
            os.kill(os.getpid(), signal.SIGTERM)  # its handler raises here, in this thread
        return judge(probe, messages, templates)

    monkeypatch.setattr(revisions, "judge", terminated_in_the_second)
    before = signal.getsignal(signal.SIGTERM)
    result = run_cli("reclassify", "--db", db_path)
    assert result.exit_code == 130
    assert f"interrupted after {history[0]}; resume with --after {history[0]}" in result.stderr
    assert recomputed(db_path) == history[:1]
    assert signal.getsignal(signal.SIGTERM) == before  # put back


def test_ctrl_c_before_any_probe_says_so(db_path, history, monkeypatch):
    def at_once(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(revisions, "judge", at_once)
    result = run_cli("reclassify", "--db", db_path)
    assert result.exit_code == 130 and "nothing to resume from" in result.stderr
    resumed = run_cli("reclassify", "--db", db_path, "--after", history[1])  # stopped at once again
    assert resumed.exit_code == 130
    assert f"interrupted after {history[1]}; resume with --after {history[1]}" in resumed.stderr


def test_probes_are_read_a_batch_at_a_time_and_nothing_is_kept_per_probe(db_path, history, monkeypatch):
    """Never every probe in one list: batches of BATCH, read after the last id done."""
    monkeypatch.setattr(revisions, "BATCH", 2)

    def every_probe_at_once(*args, **kwargs):
        raise AssertionError("reclassify must not read every probe at once")

    monkeypatch.setattr(Store, "probes", every_probe_at_once)
    read: list[list[str]] = []
    finished_after = Store.finished_after

    def recorded(self, *args, **kwargs):
        for batch in finished_after(self, *args, **kwargs):
            read.append([probe.id for probe in batch])
            yield batch

    monkeypatch.setattr(Store, "finished_after", recorded)
    told: list[tuple[int, str, int]] = []
    each: list[str] = []
    with open_store(db_path) as store:
        revision = revisions.reclassify(
            store,
            on_batch=lambda done: told.append((done.probes, done.last, len(store.templates.answers))),
            on_probe=lambda done: each.append(done.last),
        )
    assert read == [history[:2], history[2:4], history[4:]]
    assert told == [(2, history[1], 0), (4, history[3], 0), (5, history[4], 0)]  # no answers kept
    assert each == history
    assert (revision.probes, revision.changed, revision.last) == (5, 5, history[-1])
    assert recomputed(db_path) == history


def test_progress_lines_without_a_terminal(db_path, history, monkeypatch):
    monkeypatch.setattr(revisions, "BATCH", 2)
    monkeypatch.setattr(watchdog.progress, "LOG_EVERY_S", 0.0)
    result = run_cli("reclassify", "--db", db_path)
    assert result.stderr.splitlines() == [
        f"2/5 done (up to {history[1]})",
        f"4/5 done (up to {history[3]})",
        f"5/5 done (up to {history[4]})",
        "reclassified 5 probe(s); 5 changed outcome or flags",
    ]


def test_progress_on_a_terminal_is_a_bar():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    progress = Progress(Terminal(), total=4)
    progress.reached(2, "up to x")
    progress.reached(3)  # at once: not drawn again
    progress.reached(4)  # the end: drawn
    progress.close()
    output = progress.stream.getvalue()
    assert "[##########----------] 2/4 done" in output and "up to x" not in output
    assert "3/4" not in output and "[####################] 4/4 done" in output
    assert output.endswith("\r\x1b[K")


def test_help_names_the_options():
    result = run_cli("reclassify", "--help")
    assert all(option in result.output for option in ("--platform SLUG", "--since DATE", "--after PROBE_ID"))
