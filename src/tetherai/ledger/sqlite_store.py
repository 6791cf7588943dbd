"""The ledger's SQLite store (DESIGN.md §3, "Storage").

One database file per peer and channel, in WAL mode with ``synchronous=FULL``: a block, its
envelopes, their results, the state and history writes and the new Merkle nodes are written
in one SQLite transaction, so after a crash a block is either wholly there or not at all, and a
tx is acknowledged only after that transaction is durable. Blocks, envelopes, history and
Merkle nodes are append-only; triggers refuse updates and deletes so a bug cannot rewrite
them (someone editing the file directly is the verifier's job to catch).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from tetherai.crypto.jcs import JSONValue, canonicalize, dumps_plain, loads_stored
from tetherai.ledger.block import BlockCommit, BlockHeader
from tetherai.ledger.changes import ChangeLog
from tetherai.ledger.errors import StoreError
from tetherai.ledger.executor import BlockOutcome, TxResult
from tetherai.ledger.replays import StateKeys

__all__ = [
    "WRITER_SETTINGS",
    "SqliteLedgerStore",
    "StoredBlock",
    "StoredTx",
    "encode_value",
    "write_text",
]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY, value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    header BLOB NOT NULL,
    orderer_sig BLOB NOT NULL,
    first_seq INTEGER NOT NULL,
    results_hash TEXT NOT NULL,
    state_root TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS txs (
    seq INTEGER PRIMARY KEY,
    tx_id TEXT NOT NULL,
    block INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    envelope BLOB NOT NULL,
    valid INTEGER NOT NULL,
    code TEXT,
    message TEXT,
    contract_version TEXT,
    result TEXT
);
CREATE INDEX IF NOT EXISTS txs_by_id ON txs (tx_id);
CREATE INDEX IF NOT EXISTS txs_by_block ON txs (block, idx);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY, value TEXT NOT NULL, seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
    key TEXT NOT NULL, seq INTEGER NOT NULL, value TEXT,
    PRIMARY KEY (key, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS history_by_seq ON history (seq);
CREATE TABLE IF NOT EXISTS merkle (
    level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
    size INTEGER NOT NULL, block INTEGER PRIMARY KEY, note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS block_counts (
    number INTEGER PRIMARY KEY, txs INTEGER NOT NULL, invalid INTEGER NOT NULL
);
"""
# Each block's tx counts, written with the block, so a list of blocks reads no txs. Ledgers
# made before this table get the counts of their existing blocks when first opened to write.
_FILL_COUNTS = """
INSERT INTO block_counts
SELECT b.number, COUNT(t.seq), COALESCE(SUM(t.valid = 0), 0)
FROM blocks b LEFT JOIN txs t ON t.block = b.number
WHERE b.number > (SELECT COALESCE(MAX(number), -1) FROM block_counts)
GROUP BY b.number
"""

WRITER_SETTINGS = ("page_size=8192", "journal_mode=WAL", "synchronous=FULL", "cache_size=-32768")
"""How the one writer of a ledger file opens it. A block dirties pages all over the tx-id,
state-key and history indexes, and each dirty page is written to the WAL (two system calls:
frame header, page) and again at the checkpoint. Measured by block size (a notary tx's rows,
CPU per tx) against SQLite's defaults (4 KiB pages, 2 MiB of cache, which a 1,000-tx block
spills to the WAL before its commit): 8 KiB pages and 32 MiB of cache cost ~25 % less from
100 txs a block up and the same below; 16 KiB pages cost ~30 % less at 1,000 but ~25 % more
for a block of one tx, where every dirty page is a random index page. New ledger files only:
a file keeps the page size it was made with."""
_MISSING = object()
_CACHE_ENTRIES = 100_000
_BATCH_TXS = 4096
_APPEND_ONLY = ("blocks", "txs", "history", "merkle", "checkpoints", "block_counts")


def encode_value(value: JSONValue) -> str:
    """Storage form of a state or history value: its canonical JSON (RFC 8785).

    Stores made before ledger format 2 may also hold plain ``json.dumps`` text (``1.0``);
    values are read with :func:`~tetherai.crypto.jcs.loads_stored`, which reads both forms as
    the canonical one.
    """
    return canonicalize(value).decode()


def write_text(result: TxResult, value: JSONValue) -> str:
    """:func:`encode_value` of one of ``result``'s writes, without a second canonicalization
    when the result is plain (orjson then writes every value of it canonically)."""
    if result.plain:
        return dumps_plain(value)
    return encode_value(value)


@dataclass(frozen=True, slots=True)
class StoredTx:
    seq: int
    tx_id: str
    block: int
    index: int
    envelope: bytes
    valid: bool
    code: str | None
    message: str | None
    contract_version: str | None
    result: str | None


@dataclass(frozen=True, slots=True)
class StoredBlock:
    number: int
    hash: str
    header: bytes
    orderer_sig: bytes
    first_seq: int
    results_hash: str
    state_root: str
    txs: list[StoredTx]


_MAX_SEQ = 2**63 - 1
_V = TypeVar("_V", int, str)


def _in_lists(values: Iterable[_V]) -> Iterator[tuple[list[_V], str]]:
    """``values`` (each once, sorted) 500 at a time, each with its "?" marks: for the queries
    that read listed rows with ``IN (...)``, within SQLite's limit on a statement's variables."""
    wanted = sorted(set(values))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        yield chunk, ",".join("?" * len(chunk))


def _under(roots: Sequence[str]) -> tuple[str, list[object]]:
    """A WHERE clause for the keys ``root`` and ``root/…`` of each root, and its arguments."""
    clauses: list[str] = []
    args: list[object] = []
    for root in roots:
        clauses.append("key = ? OR (key >= ? AND key < ?)")
        args += [root, root + "/", root + "/\U0010ffff"]
    return " OR ".join(clauses), args


class SqliteLedgerStore:
    """A peer's durable copy of one channel's ledger."""

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = str(path)
        self.readonly = readonly
        self._local = threading.local()
        self._cache: dict[str, str | object | None] = {}
        self._owner = self  # the writer whose cache and key filter a reader shares
        self._keys: StateKeys | None = None
        self._readers: list[SqliteLedgerStore] = []
        self._readers_lock = threading.Lock()
        self._ledger_format: int | None = None
        self._counts: bool | None = None  # whether the file has the block_counts table
        self.version = 0
        """Bumped after every committed write through this store (blocks, checkpoints), so a
        cache of something derived from the ledger can tell whether it is still current."""
        self.changes = ChangeLog()
        """The state keys each recent version's commit wrote (shared with the readers)."""
        try:
            if readonly:
                if self.path != ":memory:" and not Path(self.path).exists():
                    raise StoreError(f"no ledger at {self.path}", hint="run 'tether init' first")
                uri = f"file:{Path(self.path).resolve()}?mode=ro"
                self._db = sqlite3.connect(
                    uri, uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                for setting in WRITER_SETTINGS:
                    self._db.execute(f"PRAGMA {setting}")
                self._db.executescript(_SCHEMA)
                for table in _APPEND_ONLY:
                    for action in ("UPDATE", "DELETE"):
                        self._db.execute(
                            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} "
                            f"BEFORE {action} ON {table} BEGIN "
                            f"SELECT RAISE(ABORT, '{table} are append-only'); END"
                        )
                self._db.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
                self._db.execute(_FILL_COUNTS)
                # Ledgers made before format 2 say nothing of their format: it is 1.
                self._db.execute(
                    "INSERT INTO meta SELECT 'ledger_format', '1' WHERE EXISTS "
                    "(SELECT 1 FROM blocks) AND NOT EXISTS "
                    "(SELECT 1 FROM meta WHERE key = 'ledger_format')"
                )
            self._db.execute("PRAGMA foreign_keys=OFF")
            version = self._meta("schema_version")
        except sqlite3.DatabaseError as error:
            raise StoreError(f"cannot open the ledger at {self.path}: {error}") from error
        if version != str(SCHEMA_VERSION):
            raise StoreError(
                f"ledger at {self.path} has schema version {version}; this tetherai reads {SCHEMA_VERSION}"
            )

    def close(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers.clear()
        self._db.close()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees the same state of the ledger (one read transaction on this
        reader's connection). A writer's own view, or one already inside, reads as it is."""
        if not self.readonly or self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def reader(self) -> SqliteLedgerStore:
        """A read-only view for the calling thread, on its own connection.

        With WAL, readers see the last committed block and never wait for a commit in
        progress; each thread gets one connection, reused, closed with this store.
        """
        if self.path == ":memory:":
            return self
        reader: SqliteLedgerStore | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = SqliteLedgerStore(self.path, readonly=True)
            # Readers consult the writer's cache but never fill it: an entry there is always
            # a committed value, so no reader can leave a stale one behind.
            reader._cache = self._cache
            reader._owner = self
            reader.changes = self.changes
            self._local.reader = reader
            with self._readers_lock:
                self._readers.append(reader)
        return reader

    # -- writing -------------------------------------------------------------------------

    def append_block(
        self,
        header: BlockHeader,
        orderer_sig: bytes,
        envelopes: Sequence[bytes],
        outcome: BlockOutcome,
        commit: BlockCommit,
        merkle_nodes: Iterable[tuple[int, int, bytes]],
        *,
        meta: Mapping[str, str] | None = None,
        checkpoint: tuple[int, int, str] | None = None,
    ) -> None:
        """Write one executed block durably, all or nothing (with ``meta`` entries and the
        signed ``(size, block, note)`` checkpoint after it, if any)."""
        first_seq = header.log_size - header.tx_count
        tx_rows = []
        history_rows = []
        for index, (data, result) in enumerate(zip(envelopes, outcome.results, strict=True)):
            seq = first_seq + index
            tx_rows.append(
                (
                    seq,
                    result.tx_id,
                    header.number,
                    index,
                    data,
                    int(result.valid),
                    result.code,
                    result.message,
                    result.contract_version,
                    result.encoded.decode(),
                )
            )
            for key, value in result.writes.items():
                text = None if value is None else write_text(result, value)
                history_rows.append((key, seq, text))
        # The last write of each key in the block is its new state (history is in tx order).
        last: dict[str, tuple[int, str | None]] = {
            key: (seq, text) for key, seq, text in history_rows
        }
        state_rows = []
        deleted = []
        for key, (seq, text) in last.items():
            if text is None:
                deleted.append((key,))
            else:
                state_rows.append((key, text, seq))
        if self._keys is not None:
            # Before the commit: no reader may see a new key that the filter calls unwritten.
            self._keys.add_all(key for key, _, _ in state_rows)
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    header.number,
                    header.hash,
                    header.canonical_bytes(),
                    orderer_sig,
                    first_seq,
                    commit.results_hash,
                    commit.state_root,
                ),
            )
            db.executemany("INSERT INTO txs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tx_rows)
            invalid = sum(1 for result in outcome.results if not result.valid)
            db.execute(
                "INSERT INTO block_counts VALUES (?, ?, ?)", (header.number, len(tx_rows), invalid)
            )
            db.executemany("INSERT INTO history VALUES (?, ?, ?)", history_rows)
            db.executemany("INSERT OR REPLACE INTO state VALUES (?, ?, ?)", state_rows)
            db.executemany("DELETE FROM state WHERE key = ?", deleted)
            db.executemany("INSERT INTO merkle VALUES (?, ?, ?)", merkle_nodes)
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", (meta or {}).items())
            if checkpoint is not None:
                db.execute("INSERT OR IGNORE INTO checkpoints VALUES (?, ?, ?)", checkpoint)
            db.execute("COMMIT")
        except sqlite3.Error as error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise StoreError(f"could not write block {header.number}: {error}") from error
        for key, text, _ in state_rows:
            self._cache[key] = text
        for (key,) in deleted:
            self._cache[key] = None
        self.changes.add(self.version + 1, last)
        self.version += 1

    def track_state_keys(self) -> None:
        """Keep a filter of every key in the state, so that reading a key no tx wrote (every
        new record's existence check) needs no query, here and in this store's readers.

        Only for the one writer of the file: the keys come from :meth:`append_block`.
        """
        if self.readonly:
            raise StoreError("a read-only ledger store cannot track the keys it writes")
        self._keys = StateKeys(key for (key,) in self._db.execute("SELECT key FROM state"))

    def add_checkpoint(self, size: int, block: int, note: str) -> None:
        try:
            self._db.execute(
                "INSERT OR IGNORE INTO checkpoints VALUES (?, ?, ?)", (size, block, note)
            )
        except sqlite3.Error as error:
            raise StoreError(f"could not store the checkpoint of block {block}: {error}") from error
        self.changes.add(self.version + 1, ())
        self.version += 1

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- reading -------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def meta(self, key: str) -> str | None:
        return self._meta(key)

    @property
    def ledger_format(self) -> int:
        """The channel's ledger format, recorded when its genesis block was stored (see
        ``ledger.results``); 1 for a ledger made before formats were recorded."""
        if self._ledger_format is not None:
            return self._ledger_format
        value = self._meta("ledger_format")
        if value is None:
            return 1
        self._ledger_format = int(value)
        return self._ledger_format

    @property
    def height(self) -> int:
        """Number of blocks (the next block's number)."""
        row = self._db.execute("SELECT MAX(number) FROM blocks").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    @property
    def tx_count(self) -> int:
        row = self._db.execute("SELECT MAX(seq) FROM txs").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def get(self, key: str) -> JSONValue | None:
        text = self.text(key)
        return None if text is None else loads_stored(text)

    def text(self, key: str) -> str | None:
        """The stored text of ``key``'s value (``None``: no such key), undecoded."""
        # The stored text is cached (never the decoded value, which a caller could mutate).
        text = self._cache.get(key, _MISSING)
        if text is _MISSING:
            keys = self._owner._keys
            if keys is not None and not keys.maybe(key):
                return None
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
            text = None if row is None else str(row[0])
            if not self.readonly:
                if len(self._cache) >= _CACHE_ENTRIES:
                    self._cache.clear()
                self._cache[key] = text
        return text  # type: ignore[return-value]

    def scan(
        self, prefix: str, *, after: str = "", limit: int | None = None
    ) -> Iterator[tuple[str, JSONValue]]:
        for key, value in self.scan_texts(prefix, after=after, limit=limit):
            yield key, loads_stored(value)

    def keys(self, prefix: str) -> Iterator[str]:
        for (key,) in self._db.execute(
            "SELECT key FROM state WHERE key >= ? AND key < ? ORDER BY key",
            (prefix, prefix + "\U0010ffff"),
        ).fetchall():
            yield str(key)

    def scan_texts(
        self, prefix: str, *, after: str = "", limit: int | None = None
    ) -> list[tuple[str, str]]:
        """Every (key, stored text) whose key starts with ``prefix``, in key order, undecoded;
        with ``after`` only keys after it, with ``limit`` at most that many (read in one
        statement, so from one snapshot)."""
        if after < prefix:
            return self._db.execute(
                "SELECT key, value FROM state WHERE key >= ? AND key < ? ORDER BY key LIMIT ?",
                (prefix, prefix + "\U0010ffff", -1 if limit is None else max(limit, 0)),
            ).fetchall()
        return self._db.execute(
            "SELECT key, value FROM state WHERE key > ? AND key < ? ORDER BY key LIMIT ?",
            (after, prefix + "\U0010ffff", -1 if limit is None else max(limit, 0)),
        ).fetchall()

    def scan_texts_between(self, low: str, high: str) -> list[tuple[str, str]]:
        """Every (key, stored text) with ``low <= key < high``, in key order, undecoded."""
        return self._db.execute(
            "SELECT key, value FROM state WHERE key >= ? AND key < ? ORDER BY key", (low, high)
        ).fetchall()

    def state_rows(self) -> Iterator[tuple[str, str, int]]:
        """Every state row (key, stored value text, seq of the last write), in key order."""
        yield from self._db.execute("SELECT key, value, seq FROM state ORDER BY key")

    def history_rows(
        self, first_seq: int, last_seq: int, keys: Sequence[tuple[str, str]] = ()
    ) -> list[tuple[str, int, str | None]]:
        """The writes of the txs at positions ``first_seq`` to ``last_seq``, in (position, key)
        order; ``keys``: only the keys in one of these ``[low, high)`` ranges (the database
        skips the others, still read by position)."""
        if not keys:
            return self._db.execute(
                "SELECT key, seq, value FROM history WHERE seq BETWEEN ? AND ? ORDER BY seq, key",
                (first_seq, last_seq),
            ).fetchall()
        # "+key": the ranges filter rows found by position; they must not pick the key index.
        ranges = " OR ".join("(+key >= ? AND +key < ?)" for _ in keys)
        return self._db.execute(
            "SELECT key, seq, value FROM history "  # noqa: S608 - only "?" marks
            f"WHERE seq BETWEEN ? AND ? AND ({ranges}) ORDER BY seq, key",
            (first_seq, last_seq, *(bound for pair in keys for bound in pair)),
        ).fetchall()

    def history_under(self, key: str) -> list[tuple[str, int, str | None]]:
        """Every write of ``key`` and of the keys below it (``key/…``), in tx order."""
        return self._db.execute(
            "SELECT key, seq, value FROM history WHERE key = ? OR (key >= ? AND key < ?) "
            "ORDER BY seq, key",
            (key, key + "/", key + "/\U0010ffff"),
        ).fetchall()

    def positions_under(
        self, roots: Sequence[str], *, after: int | None = None, limit: int
    ) -> list[int]:
        """The log positions after ``after`` (exclusive; from the first when ``None``) of the
        txs that wrote any of ``roots`` or a key below one (``root/…``): at most ``limit``, in
        log order. A page of a history reads only its own positions' rows."""
        where, args = _under(roots)
        # "+seq" (twice): read the rows under the roots by key, their own rows only; on "seq"
        # SQLite would walk the seq index through the whole log after ``after`` instead (20 ms
        # on a 100k-row history). What it reads still grows with the rows under the roots, at
        # ~0.3 µs a row: only an index by version would make it flat.
        rows = self._db.execute(
            f"SELECT DISTINCT +seq AS position FROM history WHERE ({where}) AND +seq > ? "  # noqa: S608 - fixed text, "?" marks
            "ORDER BY position LIMIT ?",
            [*args, -1 if after is None else after, limit],
        )
        return [int(seq) for (seq,) in rows]

    def count_positions_under(
        self, roots: Sequence[str], *, after: int | None = None
    ) -> tuple[int, int]:
        """How many txs after log position ``after`` (all when ``None``) wrote any of ``roots``
        or a key below one (as ``positions_under``), and the last position the count covers:
        one statement, so both come from the same state of the log.

        From ``after``, the count reads only the history rows written since (the log's
        position index), so a count kept and brought up to date costs what is new, not what
        is under ``roots``; counting from the start reads every row under ``roots``."""
        where, args = _under(roots)
        if after is None:
            sql = f"SELECT COUNT(DISTINCT seq), (SELECT MAX(seq) FROM history) FROM history WHERE {where}"  # noqa: S608 - fixed text, "?" marks
        else:
            sql = (
                f"SELECT COUNT(DISTINCT CASE WHEN {where} THEN seq END), MAX(seq) "  # noqa: S608 - fixed text, "?" marks
                "FROM history INDEXED BY history_by_seq WHERE seq > ?"
            )
            args.append(after)
        count, last = self._db.execute(sql, args).fetchone()
        if last is None:  # no history row at all (from the start), or none since ``after``
            return int(count), -1 if after is None else after
        return int(count), int(last)

    def history_at(
        self, roots: Sequence[str], seqs: Collection[int]
    ) -> list[tuple[str, int, str | None]]:
        """The writes of ``roots`` (and the keys below them) by the txs at positions ``seqs``,
        in tx order."""
        if not seqs:
            return []
        where, args = _under(roots)
        rows: list[tuple[str, int, str | None]] = []
        # By the log's position index, each position's own rows: what it reads does not grow
        # with the rows under ``roots`` (a version's thousands of comments).
        for chunk, marks in _in_lists(seqs):
            rows += self._db.execute(
                "SELECT key, seq, value FROM history INDEXED BY history_by_seq "  # noqa: S608 - fixed text, "?" marks
                f"WHERE seq IN ({marks}) AND ({where}) ORDER BY seq, key",
                [*chunk, *args],
            ).fetchall()
        return rows

    def writes_under_since(
        self, prefix: str, after: int
    ) -> tuple[list[tuple[str, int, str | None]], int]:
        """The writes (key, log position, stored text; ``None``: deleted) of keys starting
        with ``prefix`` made after log position ``after``, oldest first, and the last position
        they were read up to: one statement, so both come from the same state of the log. Reads
        the log's rows since ``after`` (its position index), not the keys under ``prefix``."""
        rows = self._db.execute(
            # The first row (no key: history's keys are never NULL) carries the log's end.
            "SELECT NULL, (SELECT MAX(seq) FROM history), NULL UNION ALL "
            "SELECT key, seq, value FROM history INDEXED BY history_by_seq "
            "WHERE seq > ? AND key >= ? AND key < ?",
            (after, prefix, prefix + "\U0010ffff"),
        ).fetchall()
        last = next(seq for key, seq, _ in rows if key is None)
        writes = sorted(
            ((k, int(q), v) for k, q, v in rows if k is not None), key=lambda r: (r[1], r[0])
        )
        return writes, after if last is None else max(after, int(last))

    def written_before(self, keys: Collection[str], at: int) -> set[str]:
        """Which of ``keys`` had a write at log position ``at`` or before."""
        found: set[str] = set()
        for chunk, marks in _in_lists(keys):
            found.update(
                key
                for (key,) in self._db.execute(
                    f"SELECT DISTINCT key FROM history WHERE key IN ({marks}) AND seq <= ?",  # noqa: S608 - fixed text, "?" marks
                    [*chunk, at],
                )
            )
        return found

    def newest_under(
        self, prefix: str, *, before: int | None = None, limit: int
    ) -> list[tuple[str, str, int]]:
        """At most ``limit`` state rows (key, stored text, position of the last write) whose key
        starts with ``prefix``, last written first, written before position ``before``."""
        return self._db.execute(
            "SELECT key, value, seq FROM state WHERE key >= ? AND key < ? AND seq < ? "
            "ORDER BY seq DESC LIMIT ?",
            (prefix, prefix + "\U0010ffff", _MAX_SEQ if before is None else before, limit),
        ).fetchall()

    def count_under(self, prefix: str) -> int:
        """How many state keys start with ``prefix``."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM state WHERE key >= ? AND key < ?",
            (prefix, prefix + "\U0010ffff"),
        ).fetchone()
        return int(row[0])

    def history_count(self, from_seq: int = 0) -> int:
        """How many history rows there are from log position ``from_seq`` on."""
        row = self._db.execute("SELECT COUNT(*) FROM history WHERE seq >= ?", (from_seq,))
        return int(row.fetchone()[0])

    def value_before(self, key: str, below: int) -> str | None:
        """The stored text of the last write of ``key`` by a tx before position ``below``
        (``None``: never written, or deleted)."""
        row = self._db.execute(
            "SELECT value FROM history WHERE key = ? AND seq < ? ORDER BY seq DESC LIMIT 1",
            (key, below),
        ).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def values_before(self, prefix: str, below: int) -> Iterator[tuple[str, str]]:
        """Every key under ``prefix`` with the text of its last write before ``below``, in key
        order, leaving out deleted keys."""
        # SQLite takes the bare column (value) from the row where MAX(seq) is found.
        for key, _, value in self._db.execute(
            "SELECT key, MAX(seq), value FROM history WHERE key >= ? AND key < ? AND seq < ? "
            "GROUP BY key ORDER BY key",
            (prefix, prefix + "\U0010ffff", below),
        ):
            if value is not None:
                yield str(key), str(value)

    def last_writes(self) -> Iterator[tuple[str, int, str | None]]:
        """Every key ever written, in key order, with the position and text of its last write
        (``None`` text: deleted)."""
        for key, seq, value in self._db.execute(
            "SELECT key, MAX(seq), value FROM history GROUP BY key ORDER BY key"
        ):
            yield str(key), int(seq), None if value is None else str(value)

    def merkle_range(self, level: int, first: int, last: int) -> list[tuple[int, bytes]]:
        """Stored Merkle nodes ``(index, hash)`` of ``level`` from index ``first`` to ``last``."""
        rows = self._db.execute(
            "SELECT idx, hash FROM merkle WHERE level = ? AND idx BETWEEN ? AND ? ORDER BY idx",
            (level, first, last),
        )
        return [(int(index), bytes(node)) for index, node in rows]

    def checkpoints_after(self, block: int) -> Generator[tuple[int, int, str], None, None]:
        """(size, block, note) of each stored checkpoint after ``block``, oldest first, read
        as the caller goes (a ledger holds one per block)."""
        for size, number, note in self._db.execute(
            "SELECT size, block, note FROM checkpoints WHERE block > ? ORDER BY block", (block,)
        ):
            yield int(size), int(number), str(note)

    def tx_ids_before(self, seq: int) -> Iterator[str]:
        """The ids of the txs before log position ``seq``."""
        for (tx_id,) in self._db.execute("SELECT tx_id FROM txs WHERE seq < ?", (seq,)):
            yield str(tx_id)

    def known_before(self, tx_ids: Iterable[str], seq: int) -> set[str]:
        """Which of ``tx_ids`` a tx before log position ``seq`` already has."""
        return {
            tx_id
            for tx_id in tx_ids
            if self._db.execute(
                "SELECT 1 FROM txs WHERE tx_id = ? AND seq < ? LIMIT 1", (tx_id, seq)
            ).fetchone()
        }

    def history(self, key: str) -> list[dict[str, JSONValue]]:
        """``GetHistoryForKey``: every write of ``key`` with its tx, block and time, oldest first."""
        rows = self._db.execute(
            "SELECT h.seq, h.value, t.tx_id, t.block, b.header FROM history h "
            "JOIN txs t ON t.seq = h.seq JOIN blocks b ON b.number = t.block "
            "WHERE h.key = ? ORDER BY h.seq",
            (key,),
        ).fetchall()
        return [
            {
                "seq": seq,
                "tx_id": tx_id,
                "block": block,
                "ts": json.loads(header)["ts"],
                "deleted": value is None,
                "value": None if value is None else loads_stored(value),
            }
            for seq, value, tx_id, block, header in rows
        ]

    def tx_ids(self) -> Iterator[str]:
        """Every tx id on the ledger, in log order."""
        for (tx_id,) in self._db.execute("SELECT tx_id FROM txs ORDER BY seq"):
            yield str(tx_id)

    def known_tx_ids(self, tx_ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk, marks in _in_lists(tx_ids):
            found.update(
                row[0]
                for row in self._db.execute(
                    f"SELECT tx_id FROM txs WHERE tx_id IN ({marks})",  # noqa: S608 - only "?" marks
                    chunk,
                )
            )
        return found

    def node(self, level: int, index: int) -> bytes:
        """A stored Merkle node, for ``merkle.NodeReader``."""
        row = self._db.execute(
            "SELECT hash FROM merkle WHERE level = ? AND idx = ?", (level, index)
        ).fetchone()
        if row is None:
            raise StoreError(f"Merkle node ({level}, {index}) is missing from the store")
        return bytes(row[0])

    def nodes(self, positions: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored Merkle nodes at ``positions`` (``(level, index)``), in one query per 400
        (``merkle.read_at_once``); a position with no node is left out."""
        unique = list(dict.fromkeys(positions))
        found: dict[tuple[int, int], bytes] = {}
        for start in range(0, len(unique), 400):
            chunk = unique[start : start + 400]
            # A join on the listed positions searches the primary key for each; "(level, idx)
            # IN (VALUES ...)" would scan the table.
            rows = self._db.execute(
                "SELECT m.level, m.idx, m.hash FROM (VALUES "  # noqa: S608 - only "?" marks
                + ",".join(["(?, ?)"] * len(chunk))
                + ") AS w JOIN merkle AS m ON m.level = w.column1 AND m.idx = w.column2",
                [number for position in chunk for number in position],
            )
            found.update(((level, index), bytes(node)) for level, index, node in rows)
        return found

    def merkle_rows(self) -> Iterator[tuple[int, int, bytes]]:
        yield from self._db.execute("SELECT level, idx, hash FROM merkle ORDER BY level, idx")

    def merkle_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM merkle").fetchone()[0])

    def results_hashes(self, start: int, stop: int) -> list[str]:
        """Each block's results commitment, for blocks ``start`` to ``stop - 1``, in order."""
        rows = self._db.execute(
            "SELECT results_hash FROM blocks WHERE number >= ? AND number < ? ORDER BY number",
            (start, stop),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def head_row(self) -> tuple[int, str, bytes, str] | None:
        """The last block's number, hash, header and state root, without its txs."""
        row = self._db.execute(
            "SELECT number, hash, header, state_root FROM blocks ORDER BY number DESC LIMIT 1"
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]), bytes(row[2]), str(row[3]))

    def block_rows(self, start: int, stop: int) -> list[tuple[int, str, bytes, str, int, int]]:
        """Blocks ``start`` to ``stop - 1`` without their txs: number, hash, header, state
        root, tx count and invalid tx count (a read-only view of a ledger that predates the
        stored counts counts them)."""
        counts = (
            "block_counts"
            if self._has_counts()
            else "(SELECT NULL AS number, NULL AS txs, NULL AS invalid)"
        )
        rows = self._db.execute(
            "SELECT b.number, b.hash, b.header, b.state_root, c.txs, c.invalid FROM blocks b "  # noqa: S608 - a fixed table name
            f"LEFT JOIN {counts} c ON c.number = b.number "
            "WHERE b.number >= ? AND b.number < ? ORDER BY b.number",
            (start, stop),
        ).fetchall()
        found = []
        for number, block_hash, header, state_root, txs, invalid in rows:
            if txs is None:
                txs, invalid = self._db.execute(
                    "SELECT COUNT(*), COALESCE(SUM(valid = 0), 0) FROM txs WHERE block = ?",
                    (number,),
                ).fetchone()
            found.append(
                (
                    int(number),
                    str(block_hash),
                    bytes(header),
                    str(state_root),
                    int(txs),
                    int(invalid),
                )
            )
        return found

    def _has_counts(self) -> bool:
        if self._counts is None:
            self._counts = bool(
                self._db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'block_counts'"
                ).fetchone()
            )
        return self._counts

    def block(self, number: int) -> StoredBlock | None:
        if number >= self.height:  # also keeps number + 1 within SQLite's 64-bit integers
            return None
        blocks = list(self.blocks(number, number + 1))
        return blocks[0] if blocks else None

    def blocks(self, start: int = 0, stop: int | None = None) -> Iterator[StoredBlock]:
        """Stored blocks with their txs, in order, read in batches of up to 64 blocks and
        about ``_BATCH_TXS`` txs (a reader of a long ledger holds one batch at a time)."""
        end = self.height if stop is None else stop
        cursor = start
        while cursor < end:
            block_rows = self._db.execute(
                "SELECT number, hash, header, orderer_sig, first_seq, results_hash, state_root "
                "FROM blocks WHERE number >= ? AND number < ? ORDER BY number",
                (cursor, min(cursor + 64, end)),
            ).fetchall()
            if not block_rows:
                return
            # Cut the batch where it reaches _BATCH_TXS txs (always keep its first block).
            first = block_rows[0][4]
            kept = [block_rows[0]]
            for row in block_rows[1:]:
                if row[4] - first >= _BATCH_TXS:
                    break
                kept.append(row)
            batch_end = kept[-1][0] + 1
            tx_rows: dict[int, list[StoredTx]] = {}
            for row in self._db.execute(
                "SELECT seq, tx_id, block, idx, envelope, valid, code, message, contract_version, "
                "result FROM txs WHERE block >= ? AND block < ? ORDER BY block, idx",
                (cursor, batch_end),
            ):
                tx_rows.setdefault(row[2], []).append(
                    StoredTx(row[0], row[1], row[2], row[3], bytes(row[4]), bool(row[5]), *row[6:])
                )
            for number, block_hash, header, sig, first_seq, results_hash, state_root in kept:
                yield StoredBlock(
                    number,
                    block_hash,
                    bytes(header),
                    bytes(sig),
                    first_seq,
                    results_hash,
                    state_root,
                    tx_rows.get(number, []),
                )
            cursor = batch_end

    def tx(self, tx_id: str) -> StoredTx | None:
        row = self._db.execute(
            "SELECT seq, tx_id, block, idx, envelope, valid, code, message, contract_version, result "
            "FROM txs WHERE tx_id = ? ORDER BY seq LIMIT 1",
            (tx_id,),
        ).fetchone()
        if row is None:
            return None
        return StoredTx(row[0], row[1], row[2], row[3], bytes(row[4]), bool(row[5]), *row[6:])

    def tx_ids_starting_with(self, prefix: str, limit: int) -> list[str]:
        """Distinct tx ids that start with ``prefix`` (lowercase hex), in id order, at most
        ``limit`` (a range scan of the id index: ``'g'`` sorts after every hex digit)."""
        rows = self._db.execute(
            "SELECT DISTINCT tx_id FROM txs WHERE tx_id >= ? AND tx_id < ? ORDER BY tx_id LIMIT ?",
            (prefix, prefix + "g", limit),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def tx_at(self, seq: int) -> StoredTx:
        """The tx at position ``seq`` of the log."""
        row = self._db.execute(
            "SELECT seq, tx_id, block, idx, envelope, valid, code, message, contract_version, result "
            "FROM txs WHERE seq = ?",
            (seq,),
        ).fetchone()
        if row is None:
            raise StoreError(f"the ledger has no tx at position {seq}")
        return StoredTx(row[0], row[1], row[2], row[3], bytes(row[4]), bool(row[5]), *row[6:])

    def block_tx_heads(self, start: int, stop: int) -> list[tuple[int, str, int, bool]]:
        """The txs of blocks ``start`` to ``stop - 1`` without their bodies: log position, id,
        block and validity, in log order."""
        rows = self._db.execute(
            "SELECT seq, tx_id, block, valid FROM txs WHERE block >= ? AND block < ? ORDER BY seq",
            (start, stop),
        ).fetchall()
        return [
            (int(seq), str(tx_id), int(block), bool(valid)) for seq, tx_id, block, valid in rows
        ]

    def tx_ids_at(self, seqs: Iterable[int]) -> dict[int, str]:
        """The ids of the txs at positions ``seqs`` (one query per 500, no bodies read)."""
        return {seq: str(tx_id) for seq, tx_id in self._column_at("tx_id", seqs)}

    def tx_id_at(self, seq: int) -> str | None:
        """The id of the tx at log position ``seq`` (``None``: none there; -1, the empty log's
        end, has none)."""
        return self.tx_ids_at((seq,)).get(seq) if seq >= 0 else None

    def has_tx_at(self, seq: int, tx_id: str | None) -> bool:
        """Whether the tx at log position ``seq`` is ``tx_id`` (``seq`` -1: the empty log's
        end, always). What a reader keeps of a ledger file is used only while this holds: the
        log only grows, so the same tx at the same position means the same ledger."""
        return seq < 0 or self.tx_id_at(seq) == tx_id

    def envelopes_at(self, seqs: Iterable[int]) -> dict[int, bytes]:
        """The stored envelopes of the txs at positions ``seqs`` (one query per 500)."""
        return {seq: bytes(envelope) for seq, envelope in self._column_at("envelope", seqs)}

    def _column_at(
        self, column: Literal["tx_id", "envelope"], seqs: Iterable[int]
    ) -> Iterator[tuple[int, Any]]:
        """(position, ``column``) of the txs at positions ``seqs``, 500 positions a query."""
        for chunk, marks in _in_lists(seqs):
            for seq, value in self._db.execute(
                f"SELECT seq, {column} FROM txs WHERE seq IN ({marks})",  # noqa: S608 - a fixed column, "?" marks
                chunk,
            ):
                yield int(seq), value

    def txs_at(self, seqs: Iterable[int]) -> list[tuple[StoredTx, int]]:
        """The txs at positions ``seqs`` of the log, in log order, each with its block's time
        (ms): one query per 500 positions, each block's header parsed once."""
        found: list[tuple[StoredTx, int]] = []
        times: dict[int, int] = {}
        for chunk, marks in _in_lists(seqs):
            for row in self._db.execute(
                "SELECT t.seq, t.tx_id, t.block, t.idx, t.envelope, t.valid, t.code, t.message, "  # noqa: S608 - only "?" marks
                "t.contract_version, t.result, b.header FROM txs t "
                f"JOIN blocks b ON b.number = t.block WHERE t.seq IN ({marks}) ORDER BY t.seq",
                chunk,
            ):
                block = int(row[2])
                if block not in times:
                    times[block] = int(json.loads(row[10])["ts"])
                stored = StoredTx(
                    row[0], row[1], block, row[3], bytes(row[4]), bool(row[5]), *row[6:10]
                )
                found.append((stored, times[block]))
        return found

    def block_ts(self, number: int) -> int:
        row = self._db.execute("SELECT header FROM blocks WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise StoreError(f"the ledger has no block {number}")
        return int(json.loads(row[0])["ts"])

    def checkpoints(self, *, newest: int | None = None) -> list[tuple[int, int, str]]:
        """(size, block, note) of every stored checkpoint (or of the ``newest`` few), oldest first."""
        if newest is not None:
            rows = self._db.execute(
                "SELECT size, block, note FROM checkpoints ORDER BY block DESC LIMIT ?", (newest,)
            ).fetchall()
            return rows[::-1]
        return self._db.execute(
            "SELECT size, block, note FROM checkpoints ORDER BY block"
        ).fetchall()

    def latest_checkpoint(self) -> tuple[int, int, str] | None:
        row = self._db.execute(
            "SELECT size, block, note FROM checkpoints ORDER BY block DESC LIMIT 1"
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]), str(row[2]))
