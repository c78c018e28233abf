"""The service's database: SQLAlchemy 2 tables, engines and sessions (SQLite or PostgreSQL).

SQLite gets two engines on the same file: writes begin with BEGIN IMMEDIATE (the database's write
lock, taken before the chain head is read, so appends from several processes serialise), reads
with a plain deferred BEGIN. On PostgreSQL one engine serves both; appends lock the chain head row
with SELECT … FOR UPDATE.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # Windows: threads still queue; processes rely on SQLite's busy handler
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import (
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    make_url,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

GENESIS_HASH = "0" * 64
CHECKPOINT_SECONDS = 1.0


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)  # the public prefix of the token
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated
    secret_hash: Mapped[str] = mapped_column(String(200))  # argon2id of the whole token
    created_at: Mapped[str] = mapped_column(String(32))
    revoked_at: Mapped[str | None] = mapped_column(String(32), nullable=True)


class ChainHead(Base):
    """One row (id 1): the last record's sequence number and hash; the lock appends take."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    record_hash: Mapped[str] = mapped_column(String(64))


class Decision(Base):
    """One logged decision: never updated, never deleted (the chain would show it)."""

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("key_id", "idempotency_key", name="uq_decisions_idempotency"),
        Index("ix_decisions_created_at", "created_at"),
        Index("ix_decisions_commune", "commune"),
        Index("ix_decisions_outcome", "outcome"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # evaluation | review
    created_at: Mapped[str] = mapped_column(String(32))  # UTC, ISO 8601 with microseconds and Z
    key_id: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    commune: Mapped[str] = mapped_column(String(300))
    province: Mapped[str] = mapped_column(String(300))
    packs: Mapped[str] = mapped_column(Text)  # JSON list of {id, version, sha256, chain}
    pack_ids: Mapped[str] = mapped_column(Text)  # ",id1,id2," for filtering
    outcome: Mapped[str] = mapped_column(String(32))  # verdict, or keep/revoke/incomplete for a review
    factset_json: Mapped[str] = mapped_column(Text)  # the input fact set, replayable JSON
    factset_canonical: Mapped[str] = mapped_column(Text)  # the canonical form that is hashed
    factset_sha256: Mapped[str] = mapped_column(String(64))
    params_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    options: Mapped[str] = mapped_column(Text)  # JSON: derive_prerequisites, lang, pack ids asked for
    engine: Mapped[str] = mapped_column(String(100))
    ntmcert_version: Mapped[str] = mapped_column(String(50))
    result_json: Mapped[str] = mapped_column(Text)  # the CLI's --format json output, byte for byte
    prev_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))


class Batch(Base):
    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed
    key_id: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[str] = mapped_column(String(64))
    pack: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(4))
    filename: Mapped[str] = mapped_column(String(300))
    input: Mapped[bytes] = mapped_column(LargeBinary)
    params_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    problems: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON errors list when failed
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))


class BatchResult(Base):
    __tablename__ = "batch_results"

    batch_id: Mapped[str] = mapped_column(String(32), ForeignKey("batches.id"), primary_key=True)
    format: Mapped[str] = mapped_column(String(8), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Database:
    """Engines and sessions for one database URL."""

    def __init__(self, url: str, *, pool_size: int = 8):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.write_engine = _sqlite_engine(url, "BEGIN IMMEDIATE")
            self.read_engine = _sqlite_engine(url, "BEGIN")
            self._checkpointer: threading.Thread | None = None
            self._closed = threading.Event()
        else:
            self.write_engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
            self.read_engine = self.write_engine
        self._thread_lock = threading.Lock()
        self._lock_file = None
        path = make_url(url).database if self.is_sqlite else None
        if path and path != ":memory:" and fcntl is not None:
            self._lock_file = open(path + ".lock", "a+b")  # noqa: SIM115 - held for the Database's life
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any exception."""
        with self._writer_turn(), self._write() as session, session.begin():
            yield session

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A write transaction on a bare Core connection (no ORM session: the append path)."""
        with self._writer_turn(), self.write_engine.begin() as conn:
            yield conn

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """On SQLite, writers queue on a lock (threads) and an flock (processes) before BEGIN
        IMMEDIATE: SQLite's own busy handler sleeps and retries, which puts tens of milliseconds
        in the tail under contention; a blocked flock wakes as soon as the writer before it ends."""
        if not self.is_sqlite:
            yield
            return
        if self._checkpointer is None:
            self._start_checkpointer()
        with self._thread_lock:
            if self._lock_file is None:
                yield
                return
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    def ping(self) -> None:
        with self.read_engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def _start_checkpointer(self) -> None:
        """Copy the WAL into the database file from a thread of its own, every second, without
        blocking writers (PASSIVE). SQLite's automatic checkpoint runs inside a committing writer
        instead, and its fsync of megabytes held every other writer for seconds on a slow disk."""

        def run() -> None:
            while not self._closed.wait(CHECKPOINT_SECONDS):
                try:
                    with self.read_engine.connect() as conn:
                        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
                except Exception:  # noqa: S110 - the next round tries again; commits stay in the WAL
                    pass

        self._checkpointer = threading.Thread(target=run, name="ntmcert-wal-checkpoint", daemon=True)
        self._checkpointer.start()

    def dispose(self) -> None:
        if self.is_sqlite:
            self._closed.set()
            if self._checkpointer is not None:
                self._checkpointer.join(timeout=30)
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        # NORMAL in WAL mode: a commit survives a crash of the process (kill -9), not of the machine
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA wal_autocheckpoint=0")  # Database._start_checkpointer does it, off the write path
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql(begin)

    return engine
