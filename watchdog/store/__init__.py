"""Storage: the SQLite schema and its migrations (schema), every read and write (db), the run
lock (claims) and combining databases (merge). Only this package touches the database."""

from .db import ProbeRange, Store, evidence_dir, open_store, process_alive, remove_database, utc_now

__all__ = ["ProbeRange", "Store", "evidence_dir", "open_store", "process_alive", "remove_database", "utc_now"]
