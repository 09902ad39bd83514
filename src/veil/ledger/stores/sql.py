"""The ledger's tables and the SQL both stores run, written once and rendered per dialect.

SQLite and PostgreSQL differ here only where they must: the parameter placeholder, the column
types, how checkpoint ids are numbered and returned, and how an append takes the write lock
(SQLite holds it from ``BEGIN IMMEDIATE``; PostgreSQL locks the head row ``FOR UPDATE``). Both
speak the same upsert (``ON CONFLICT``, SQLite 3.24 and later).
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA = """
CREATE TABLE IF NOT EXISTS veil_ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS veil_ledger_head (
  id INTEGER PRIMARY KEY CHECK (id = 1), size {bigint} NOT NULL, root {blob} NOT NULL);
CREATE TABLE IF NOT EXISTS veil_ledger_leaves (
  idx {bigint} PRIMARY KEY, hash {blob} NOT NULL, data {blob} NOT NULL, event_id {blob} UNIQUE,
  subject {blob}, subject_key {bigint});
CREATE INDEX IF NOT EXISTS veil_ledger_leaves_subject
  ON veil_ledger_leaves (subject_key) WHERE subject_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS veil_ledger_nodes (id {bigint} PRIMARY KEY, hash {blob} NOT NULL);
CREATE TABLE IF NOT EXISTS veil_ledger_checkpoints (
  id {serial}, size {bigint} NOT NULL, root {blob} NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS veil_ledger_cosignatures (
  checkpoint_id {bigint} NOT NULL REFERENCES veil_ledger_checkpoints (id), line TEXT NOT NULL,
  PRIMARY KEY (checkpoint_id, line));
"""

SUBJECT_INDEX = (
    "CREATE INDEX veil_ledger_leaves_subject ON veil_ledger_leaves (subject_key) "
    "WHERE subject_key IS NOT NULL"
)

LEAF_COLUMNS = "SELECT idx, data, event_id, subject, subject_key FROM veil_ledger_leaves"
CHECKPOINT_COLUMNS = "SELECT id, size, root, note FROM veil_ledger_checkpoints"


@dataclass(frozen=True)
class Dialect:
    """What differs between the databases in the ledger's SQL."""

    mark: str  # the parameter placeholder
    blob: str  # the binary column type
    bigint: str  # the 64-bit integer column type
    serial: str  # an auto-numbered primary key column
    lock_head: str  # what makes reading the head row take the append lock
    returning_id: bool  # whether an INSERT can return its new id (else: the cursor's lastrowid)


SQLITE = Dialect("?", "BLOB", "INTEGER", "INTEGER PRIMARY KEY AUTOINCREMENT", "", False)
POSTGRES = Dialect("%s", "BYTEA", "BIGINT", "BIGSERIAL PRIMARY KEY", " FOR UPDATE", True)


class Queries:
    """Every statement the stores share, rendered for one dialect (``?`` marks parameters)."""

    def __init__(self, dialect: Dialect) -> None:
        d = dialect

        def q(text: str) -> str:
            return text.replace("?", d.mark)

        self.returning_id = d.returning_id
        self.schema = SCHEMA.format(blob=d.blob, bigint=d.bigint, serial=d.serial)
        self.head = "SELECT size, root FROM veil_ledger_head WHERE id = 1"
        self.head_locked = self.head + d.lock_head
        self.set_head = q("UPDATE veil_ledger_head SET size = ?, root = ? WHERE id = 1")
        self.init_head = q(
            "INSERT INTO veil_ledger_head (id, size, root) VALUES (1, 0, ?) "
            "ON CONFLICT (id) DO NOTHING"
        )
        self.meta = "SELECT key, value FROM veil_ledger_meta"
        self.init_meta = q(
            "INSERT INTO veil_ledger_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"
        )
        self.set_meta = q(
            "INSERT INTO veil_ledger_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
        self.leaf_at = q(f"{LEAF_COLUMNS} WHERE idx = ?")
        self.leaf_of_event = q(f"{LEAF_COLUMNS} WHERE event_id = ?")
        self.leaves_of_subject = q(
            f"{LEAF_COLUMNS} WHERE subject_key = ? AND subject = ? ORDER BY idx"
        )
        self.leaves_from = q(f"{LEAF_COLUMNS} WHERE idx >= ? ORDER BY idx LIMIT ?")
        self.level_rows = {
            table: q(
                f"SELECT {key}, hash FROM {table} WHERE {key} >= ? AND {key} < ? "
                f"ORDER BY {key} LIMIT ?"
            )
            for table, key in (("veil_ledger_leaves", "idx"), ("veil_ledger_nodes", "id"))
        }
        self.count_nodes = q("SELECT COUNT(*) FROM veil_ledger_nodes WHERE id >= ? AND id < ?")
        self.add_checkpoint = q(
            "INSERT INTO veil_ledger_checkpoints (size, root, note) VALUES (?, ?, ?)"
        ) + (" RETURNING id" if d.returning_id else "")
        self.checkpoints = f"{CHECKPOINT_COLUMNS} ORDER BY id"
        self.latest_checkpoint = f"{CHECKPOINT_COLUMNS} ORDER BY id DESC LIMIT 1"
        self.checkpoint_by_id = q(f"{CHECKPOINT_COLUMNS} WHERE id = ?")
        self.all_cosignatures = (
            "SELECT checkpoint_id, line FROM veil_ledger_cosignatures ORDER BY checkpoint_id, line"
        )
        self.cosignatures_of = q(
            "SELECT line FROM veil_ledger_cosignatures WHERE checkpoint_id = ? ORDER BY line"
        )
        self.add_cosignature = q(
            "INSERT INTO veil_ledger_cosignatures (checkpoint_id, line) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING"
        )
        self.leaf_subjects = "SELECT idx, subject FROM veil_ledger_leaves WHERE subject IS NOT NULL"
        self.add_subject_key = f"ALTER TABLE veil_ledger_leaves ADD COLUMN subject_key {d.bigint}"
        self.set_subject_key = q("UPDATE veil_ledger_leaves SET subject_key = ? WHERE idx = ?")
