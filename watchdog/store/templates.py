"""Template evidence kept in the database: every platform-side text long enough to be a
template (normalised: its key), the probes and platforms that sent it, and an inverted index of
the keys' prefix shingles for near-duplicates (near_duplicates.py says why that finds them
all). A lookup is a few indexed queries that read at most MAX_SIGHTINGS rows, and nothing
holds all texts in memory, so its cost does not grow with history; each probe adds its texts
as it ends (schema v6 filled the tables from the probes before it). What the evidence means is
verdicts/templates.py's rule."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable

from ..near_duplicates import MIN_TEMPLATE_CHARS, is_near, normalize, prefix_shingles, shingles_of
from ..records import Evidence

# What one lookup reads of the index and checks at most: a crowd of texts sharing common
# shingles is cut here (fewer matches, never a false one), so a lookup's cost has a ceiling.
# Measured on a 1.2 M-message history (121,000 keys): 1,000 postings keep one lookup under
# 10 ms; a near-duplicate whose shared prefix shingles are all common words can be missed then
# (the exact text never is), which only lowers the evidence.
MAX_POSTINGS = 1_000
MAX_CANDIDATES = 50
# A text sent in more other probes than this is a template whatever the rates (no person's
# free-form sentence recurs so often): a lookup reads no more of its sightings.
MAX_SIGHTINGS = 1_000

TABLES = (
    "create table if not exists template_keys (id integer primary key, key text not null unique, "
    "length integer not null)",
    # key_id's prefix shingles, by length: candidates are found only among keys of a near length.
    "create table if not exists template_prefixes (shingle text not null, length integer not null, "
    "key_id integer not null, primary key (shingle, length, key_id)) without rowid",
    "create table if not exists template_sightings (key_id integer not null, probe_id text not null, "
    "platform text not null, primary key (key_id, probe_id)) without rowid",
    "create index if not exists template_sightings_probe on template_sightings (probe_id)",
    # Each platform's probes that sent any text: the denominators of the template rule's rates.
    "create index if not exists template_sightings_platform on template_sightings (platform, probe_id)",
)


def create_tables(conn: sqlite3.Connection) -> None:
    for statement in TABLES:
        conn.execute(statement)


class TemplateIndex:
    """The template evidence in the database behind `conn`, asked and added to as probes run."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        # Live classification asks about the same texts again: answers are kept until this
        # index adds texts (at the end of each probe).
        self.answers: dict[tuple[str, str, str], Evidence] = {}
        # Per platform, its probes that sent any text: read at the start (a fraction of a second
        # for a million messages), so that no lookup pays for it; counted again as probes add.
        self.platform_probes: dict[str, int] = dict(
            conn.execute("select platform, count(distinct probe_id) from template_sightings group by platform")
        )

    @classmethod
    def in_memory(cls, rows: Iterable[tuple[str, str, str]] = ()) -> TemplateIndex:
        """An index of its own (no store): for the conversation core without a database."""
        conn = sqlite3.connect(":memory:")
        create_tables(conn)
        index = cls(conn)
        with conn:
            index.record(rows)
        return index

    def add_probe(self, probe_id: str, platform: str, texts: Iterable[str]) -> None:
        """A probe's platform-side texts, in one transaction."""
        with self.conn:
            self.record((text, probe_id, platform) for text in texts)

    def record(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """(text, probe id, platform) rows, inside the caller's transaction."""
        self.answers.clear()
        keys: dict[str, int] = {}
        sightings = []
        for text, probe_id, platform in rows:
            key = normalize(text)
            if len(key) < MIN_TEMPLATE_CHARS:
                continue
            if key not in keys:
                keys[key] = self._key_id(key)
            sightings.append((keys[key], probe_id, platform))
        self.conn.executemany("insert or ignore into template_sightings values (?, ?, ?)", sightings)
        for _, _, platform in sightings:
            self.platform_probes.pop(platform, None)

    def record_stored(self, probe_ids: str = "select id from probes") -> None:
        """The platform-side texts of the stored probes whose ids `probe_ids` (a query)
        selects, their earlier sightings replaced; inside the caller's transaction."""
        self.conn.execute(f"delete from template_sightings where probe_id in ({probe_ids})")
        rows = self.conn.execute(
            "select m.text, m.probe_id, p.platform from messages m join probes p on p.id = m.probe_id "
            f"where m.side = 'platform' and m.probe_id in ({probe_ids})"
        )
        while batch := rows.fetchmany(10_000):
            self.record(batch)

    def evidence(self, text: str, exclude_probe: str, platform: str) -> Evidence:
        """Where else the same or a near-duplicate text was sent, for a probe of `platform`."""
        key = normalize(text)
        if len(key) < MIN_TEMPLATE_CHARS:
            return Evidence()
        asked = (key, exclude_probe, platform)
        if asked not in self.answers:
            self.answers[asked] = self._evidence(key, exclude_probe, platform)
        return self.answers[asked]

    def _evidence(self, key: str, exclude_probe: str, platform: str) -> Evidence:
        ids = self._near(key)
        marks = ", ".join("?" * len(ids))
        sightings = set(
            self.conn.execute(
                "select probe_id, platform from template_sightings "
                f"where key_id in ({marks}) and probe_id != ? limit ?",
                [*ids, exclude_probe, MAX_SIGHTINGS + 1],
            )
        )
        if len(sightings) > MAX_SIGHTINGS:
            return Evidence(probes=MAX_SIGHTINGS, crowd=True)
        by_platform = Counter(name for _, name in sightings)
        # The asking probe is no evidence for itself, nor a probe in the rates' denominators.
        mine = self.conn.execute("select 1 from template_sightings where probe_id = ? limit 1", [exclude_probe])
        itself = 1 if mine.fetchone() else 0
        totals = {
            name: self._probes_of(name) - (itself if name == platform else 0) for name in {*by_platform, platform}
        }
        return Evidence(
            probes=len({probe_id for probe_id, _ in sightings}),
            here=by_platform.get(platform, 0),
            platforms=len(by_platform),
            # Probe ids start with their UTC date: the days among the sightings, without a join.
            days=len({probe_id[:8] for probe_id, _ in sightings}),
            their_probes=sum(totals[name] for name in by_platform),
            own_probes=totals[platform],
        )

    def _probes_of(self, platform: str) -> int:
        """The probes of `platform` that sent any text long enough to be a template."""
        if platform not in self.platform_probes:
            (count,) = self.conn.execute(
                "select count(distinct probe_id) from template_sightings where platform = ?", [platform]
            ).fetchone()
            self.platform_probes[platform] = count
        return self.platform_probes[platform]

    def probes_with(self, text: str, at_most: int) -> set[str] | None:
        """Every probe that sent this text or a near-duplicate of it; None when more than
        `at_most` did."""
        key = normalize(text)
        if len(key) < MIN_TEMPLATE_CHARS:
            return set()
        ids = self._near(key)
        marks = ", ".join("?" * len(ids))
        rows = self.conn.execute(
            f"select distinct probe_id from template_sightings where key_id in ({marks}) limit ?", [*ids, at_most + 1]
        ).fetchall()
        return {probe_id for (probe_id,) in rows} if len(rows) <= at_most else None

    def _key_id(self, key: str) -> int:
        row = self.conn.execute("select id from template_keys where key = ?", [key]).fetchone()
        if row:
            return int(row[0])
        key_id = self.conn.execute("insert into template_keys (key, length) values (?, ?)", [key, len(key)]).lastrowid
        assert key_id is not None
        self.conn.executemany(
            "insert into template_prefixes values (?, ?, ?)",
            [(shingle, len(key), key_id) for shingle in prefix_shingles(shingles_of(key))],
        )
        return key_id

    def _near(self, key: str) -> list[int]:
        """Ids of the stored keys that are `key` or near-duplicates of it."""
        found = [row[0] for row in self.conn.execute("select id from template_keys where key = ?", [key])]
        mine = shingles_of(key)
        prefix = prefix_shingles(mine)
        # is_near needs the shorter at least 0.8 of the longer: a superset of those lengths.
        shortest, longest = int(0.8 * len(key)), int(len(key) / 0.8) + 1
        # Candidates sharing the most prefix shingles first (near-duplicates share nearly all);
        # each shingle's postings read up to its part of MAX_POSTINGS, so a rare shingle's are
        # read whole and a common one's ("充值", "分钟") cut.
        each = max(1, MAX_POSTINGS // len(prefix))
        shared: Counter[int] = Counter()
        for shingle in prefix:
            shared.update(
                key_id
                for (key_id,) in self.conn.execute(
                    "select key_id from template_prefixes where shingle = ? and length between ? and ? limit ?",
                    [shingle, shortest, longest, each],
                )
            )
        for key_id in found:
            shared.pop(key_id, None)
        ids = [key_id for key_id, _ in shared.most_common(MAX_CANDIDATES)]
        candidates = self.conn.execute(
            f"select id, key from template_keys where id in ({', '.join('?' * len(ids))})", ids
        )
        found += [key_id for key_id, other in candidates if is_near(key, other, mine, shingles_of(other))]
        return found
