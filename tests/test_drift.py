"""Verdicts that do not drift as history grows (issue 25): the template rule is a rate, so a
person's words do not turn into a template because a long history happens to hold them, and a
person's quick reply that answers the question is an answer, never silence."""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from watchdog.config import load_catalog
from watchdog.records import FLAGS, Kind, ProbeRecord
from watchdog.sandbox import SCENARIOS
from watchdog.sandbox.scenarios import ANSWER, Line, scenario_by_slug
from watchdog.store import open_store
from watchdog.verdicts.revisions import revise_after

from .conftest import bench_history
from .simulate import simulate_probe

START = datetime(2026, 12, 1, 2, tzinfo=UTC)


def probe_rounds(db: Path, rounds: int, scenarios=SCENARIOS) -> dict[tuple[str, int], tuple[object, ...]]:
    """Every scenario probed `rounds` times into `db`, as a run does (each probe's end revises
    earlier ones): the outcome and flags of each (slug, round), as they stand at the end."""
    probes: dict[tuple[str, int], str] = {}
    with open_store(db) as store:
        for number in range(rounds):
            started = (START + timedelta(hours=number)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            for index, scenario in enumerate(scenarios):
                seed = number * 1000 + index
                probe = simulate_probe(store, scenario, store.templates, started_at=started, seed=seed)
                revise_after(store, store.templates, probe)
                probes[(scenario.slug, number)] = probe.id
        return {key: verdict(store.probe(probe_id)) for key, probe_id in probes.items()}


def verdict(probe: ProbeRecord) -> tuple[object, ...]:
    return (str(probe.outcome), *(getattr(probe, flag) for flag in FLAGS))


def test_a_person_answering_in_the_same_stock_words_every_time_is_never_fake_online(tmp_path):
    """The quick reply answers every question of the set (as a shop's FAQ paragraph does), asked
    in turn as probes ask them: human every time, in stock words once three other probes sent
    them, and never fake online, the earlier probes' revisions included."""
    stock = scenario_by_slug()["stock-human"]
    (tmp_path / "probes").mkdir()
    questions = load_catalog(tmp_path / "probes").question_sets["presale-zh"]
    with open_store(tmp_path / "watchdog.db") as store:
        for number in range(8):
            started = (START + timedelta(hours=number)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            asked = questions.pick(number)
            probe = simulate_probe(store, stock, store.templates, started_at=started, seed=number, question=asked)
            revise_after(store, store.templates, probe)
        probes = store.probes()
        assert [(p.outcome, p.fake_online) for p in probes] == [("human", False)] * 8
        assert [p.stock_answer for p in probes] == [True] * 8  # the first three revised by the later ones
        answer = next(m for m in store.messages(probes[-1].id) if m.kind == Kind.STOCK_ANSWER)
    assert "in stock words: same text as replies in 7 other probes on 1 platform" in answer.reasons[0]
    assert "it addresses the question" in answer.reasons[1]
    assert "answered in stock words" in probes[-1].reasons[0]
    assert (
        "revised after probe" in probes[0].reasons[-1] and "from human to human + stock_answer" in probes[0].reasons[-1]
    )


def test_the_sandbox_is_judged_against_a_long_varied_history_as_against_an_empty_database(tmp_path):
    """Every sandbox platform, probed 3 times against a copy of a varied history (the benchmark's
    generator, smaller) and 3 times against an empty database: the same outcome and flags. The
    history also holds what made the count rule drift: the sandbox's people's words, answered
    in 12,000 probes on 400 other platforms (as they would come up now and then in 1.1 M
    messages), each a 1 in 30 share of those platforms' probes."""
    history = tmp_path / "history.db"
    bench_history().build(history, platforms=40, days=20)
    rng = random.Random(3)
    with open_store(history) as store:
        slugs = [f"other{n:03d}" for n in range(400)]
        store.db["platforms"].insert_all({"slug": slug, "name": slug, "url": "", "path": ""} for slug in slugs)
        for n in range(12_000):
            started = START - timedelta(days=1 + n % 60, minutes=n)
            probe = ProbeRecord(
                f"{started:%Y%m%dT%H%M%SZ}-{slugs[n % 400]}-{n:06x}", slugs[n % 400], "", state="finished"
            )
            store.start_probe(probe)
            people = Line(ANSWER, "human", 0).compose(rng)
            store.templates.add_probe(
                probe.id, probe.platform, [people, f"亲，这是第{n}条别的回复内容，讲的是其他的事情"]
            )
    against_history = tmp_path / "against-history.db"
    shutil.copy(history, against_history)
    assert probe_rounds(against_history, 3) == probe_rounds(tmp_path / "empty.db", 3)
