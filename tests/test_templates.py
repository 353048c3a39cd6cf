"""Template evidence kept in the database: the same answers as comparing every pair, kept up to
date as probes end, filled from earlier probes by the migration, carried by merge."""

from __future__ import annotations

import random

import sqlite_utils

from watchdog.near_duplicates import MIN_TEMPLATE_CHARS, normalize, similar
from watchdog.store import open_store
from watchdog.store.merge import merge
from watchdog.store.schema import MIGRATIONS
from watchdog.store.templates import TemplateIndex

from .conftest import counts

BASES = [
    "您好，您的订单已提交至售后专员处理，工单编号{n}，请耐心等待。",
    "亲，充值类问题一般会在十分钟内处理完毕，如未到账请提供订单号{n}。",
    "尊敬的客户，当前咨询人数较多正在排队中，您前面还有{n}位。",
    "话费充值一般两分钟到账，失败的话原路退回，{n}小时内到您账户",
]


def variants(rng: random.Random, count: int) -> list[str]:
    """Texts of the bases with numbers changed, a character dropped or swapped, or a tail added."""
    texts = []
    for _ in range(count):
        text = rng.choice(BASES).replace("{n}", str(rng.randint(1, 99999)))
        change = rng.random()
        if change < 0.25:
            cut = rng.randrange(len(text))
            text = text[:cut] + text[cut + 1 :]
        elif change < 0.5:
            cut = rng.randrange(len(text))
            text = text[:cut] + rng.choice("的了是在有") + text[cut + 1 :]
        elif change < 0.6:
            text += "祝您生活愉快，再见！"
        texts.append(text)
    return texts


def brute_force(rows: list[tuple[str, str, str]], text: str, exclude: str) -> tuple[int, int]:
    """Every stored text compared with this one: what the index must answer."""
    key = normalize(text)
    if len(key) < MIN_TEMPLATE_CHARS:
        return 0, 0
    matching = [
        (probe, platform)
        for other, probe, platform in rows
        if probe != exclude and len(normalize(other)) >= MIN_TEMPLATE_CHARS and similar(key, normalize(other))
    ]
    return len({probe for probe, _ in matching}), len({platform for _, platform in matching})


def test_the_index_answers_as_comparing_every_pair():
    rng = random.Random(5)
    rows = [(text, f"probe{i // 3}", f"site{i % 7}") for i, text in enumerate(variants(rng, 300))]
    index = TemplateIndex.in_memory(rows)
    asked = variants(rng, 60) + [text for text, _, _ in rows[:20]] + ["在的，一般5分钟到账"]
    for text in asked:
        for exclude in ("probe3", "new-probe"):
            assert counts(index.evidence(text, exclude, "elsewhere")) == brute_force(rows, text, exclude), text


def test_numbers_spacing_and_punctuation_do_not_make_another_text():
    index = TemplateIndex.in_memory([("您好，工单编号 12345 已受理，请耐心等待处理结果。", "a", "site-a")])
    assert counts(index.evidence("您好 工单编号67890已受理 请耐心等待处理结果", "b", "elsewhere")) == (1, 1)
    assert counts(index.evidence("您好，工单编号 12345 已受理，请耐心等待处理结果。", "a", "elsewhere")) == (
        0,
        0,
    )  # itself


def test_a_probe_that_ends_is_evidence_for_the_next_and_asking_again_sees_it():
    index = TemplateIndex.in_memory()
    text = "您好，当前咨询人数较多正在排队中，请耐心等待人工客服。"
    assert counts(index.evidence(text, "new", "elsewhere")) == (0, 0)
    for number in range(3):
        index.add_probe(f"p{number}", "site-a", [text, "好的"])
    assert counts(index.evidence(text, "new", "elsewhere")) == (3, 1)  # the answer kept before was dropped
    assert index.probes_with(text, at_most=5) == {"p0", "p1", "p2"}
    assert index.probes_with(text, at_most=2) is None  # too many to revise: a template for all
    assert index.probes_with("好的", at_most=5) == set()  # too short ever to be a template


def test_the_migration_fills_the_evidence_from_earlier_probes(tmp_path):
    """A database from before the evidence tables (schema 5) gets them filled when opened."""
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:5]:
        migration(db)
    db.execute("PRAGMA user_version = 5")
    db.conn.commit()
    text = "您好，您的订单已提交至售后专员处理，请耐心等待。"
    db["platforms"].insert_all([{"slug": "a", "name": "A", "url": "https://a.example/", "path": ""}])
    db["probes"].insert_all({"id": f"p{n}", "platform": "a", "state": "finished"} for n in range(4))
    db["messages"].insert_all(
        {"probe_id": f"p{n}", "seq": seq, "side": side, "text": text if side == "platform" else "你好，多久到账？"}
        for n in range(4)
        for seq, side in enumerate(("visitor", "platform"))
    )
    db.close()
    with open_store(path) as store:
        assert counts(store.templates.evidence(text, "p0", "elsewhere")) == (3, 1)
        assert store.db["template_sightings"].count == 4


def test_merge_brings_the_evidence_of_the_probes_it_takes(tmp_path):
    text = "亲，充值类问题一般会在十分钟内处理完毕，请留意短信通知。"
    sources = []
    for name in ("east", "west"):
        path = tmp_path / f"{name}.db"
        with open_store(path) as store:
            store.db["platforms"].insert({"slug": name, "name": name, "url": "https://x.example/", "path": ""})
            store.db["probes"].insert({"id": f"{name}-1", "platform": name, "state": "finished"})
            store.db["messages"].insert({"probe_id": f"{name}-1", "seq": 0, "side": "platform", "text": text})
            store.templates.add_probe(f"{name}-1", name, [text])
        sources.append(path)
    with open_store(tmp_path / "central.db") as central:
        merge(sources, central)
        merge(sources, central)  # again: nothing counted twice
        assert counts(central.templates.evidence(text, "new", "elsewhere")) == (2, 2)
        assert central.db["template_sightings"].count == 2


def _evidence_rows(conn) -> tuple[set[tuple], set[tuple]]:
    """The evidence by key text (ids differ between databases): sightings and prefix shingles."""
    sightings = conn.execute(
        "select k.key, s.probe_id, s.platform from template_sightings s join template_keys k on k.id = s.key_id"
    ).fetchall()
    prefixes = conn.execute(
        "select k.key, p.shingle, p.length from template_prefixes p join template_keys k on k.id = p.key_id"
    ).fetchall()
    return set(sightings), set(prefixes)


def test_merge_copies_evidence_as_reading_the_texts_afresh_would_record_it(tmp_path):
    """Set-based copy from sources with the template tables, and reading the texts for a
    source from before them: both give the evidence of the merged messages themselves."""
    rng = random.Random(5)
    sources = []
    for name in ("east", "west", "old"):
        path = tmp_path / f"{name}.db"
        with open_store(path) as store:
            store.db["platforms"].insert({"slug": name, "name": name, "url": "https://x.example/", "path": ""})
            for n in range(30):
                probe_id = f"{name}-{n}"
                texts = variants(rng, 2) + ["好的"]
                store.db["probes"].insert({"id": probe_id, "platform": name, "state": "finished"})
                store.db["messages"].insert_all(
                    {"probe_id": probe_id, "seq": seq, "side": "platform", "text": text}
                    for seq, text in enumerate(texts)
                )
                store.templates.add_probe(probe_id, name, texts)
            if name == "old":  # as a database from before schema 6 would be
                for table in ("template_sightings", "template_prefixes", "template_keys"):
                    store.db[table].drop()
        sources.append(path)
    with open_store(tmp_path / "central.db") as central:
        merge(sources, central)
        merged = _evidence_rows(central.db.conn)
        rows = central.db.execute(
            "select m.text, m.probe_id, p.platform from messages m join probes p on p.id = m.probe_id"
        ).fetchall()
    assert merged == _evidence_rows(TemplateIndex.in_memory(rows).conn)
    assert len({probe_id for _, probe_id, _ in merged[0]}) == 90  # every probe of all three
    assert not any(key == normalize("好的") for key, _, _ in merged[0])  # too short to count
