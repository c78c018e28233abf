"""The decision log: an append-only hash chain of every decision the service gave.

Each record's hash covers every stored field and the previous record's hash; the chain head row
holds the last one. An append locks the head (BEGIN IMMEDIATE on SQLite, FOR UPDATE on
PostgreSQL), so records from several processes get consecutive sequence numbers and each links to
the one before it. A record is acknowledged to the client only after its transaction committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from .db import ChainHead, Database, Decision

# the fields a record's hash covers, in this order (record_hash itself excluded)
HASHED = ("seq", "id", "kind", "created_at", "key_id", "request_id", "idempotency_key", "request_sha256",
          "commune", "province", "packs", "pack_ids", "outcome", "factset_json", "factset_canonical",
          "factset_sha256", "params_json", "options", "engine", "ntmcert_version", "result_json", "prev_hash")


# built once: the statements every append runs (compiled once, cached)
_SELECT_HEAD = select(ChainHead.seq, ChainHead.record_hash).where(ChainHead.id == 1).with_for_update()
_INSERT = insert(Decision)
_UPDATE_HEAD = (update(ChainHead).where(ChainHead.id == 1)
                .values(seq=bindparam("new_seq"), record_hash=bindparam("new_hash")))


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(fields: dict[str, Any]) -> str:
    body = json.dumps([fields[k] for k in HASHED], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def row_fields(row: Decision) -> dict[str, Any]:
    return {k: getattr(row, k) for k in HASHED}


@dataclass(frozen=True)
class NewDecision:
    """Everything a decision holds except what the log assigns (seq, id, time, chain hashes)."""

    kind: str
    key_id: str
    request_id: str
    idempotency_key: str | None
    request_sha256: str
    commune: str
    province: str
    packs: list[dict]
    outcome: str
    factset_json: str
    factset_canonical: str
    factset_sha256: str
    params_json: str | None
    options: dict
    engine: str
    ntmcert_version: str
    result_json: str


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different request."""

    def __init__(self, decision_id: str):
        self.decision_id = decision_id


@dataclass(frozen=True)
class Appended:
    row: Decision
    replayed: bool  # True: the Idempotency-Key was seen; this is the first decision, nothing new logged


class DecisionLog:
    def __init__(self, db: Database):
        self.db = db

    def append(self, new: NewDecision) -> Appended:
        with self.db.write_connection() as s:
            # Core statements, not ORM objects: this runs once per logged decision
            head_seq, head_hash = s.execute(_SELECT_HEAD).one()
            if new.idempotency_key is not None:
                found = s.execute(select(Decision).where(Decision.key_id == new.key_id,
                                                         Decision.idempotency_key == new.idempotency_key)).first()
                earlier = Decision(**found._asdict()) if found is not None else None
                if earlier is not None:
                    if earlier.request_sha256 != new.request_sha256 or earlier.kind != new.kind:
                        raise IdempotencyConflict(earlier.id)
                    return Appended(earlier, True)
            fields: dict[str, Any] = {
                "seq": head_seq + 1, "id": uuid.uuid4().hex, "kind": new.kind, "created_at": utc_now(),
                "key_id": new.key_id, "request_id": new.request_id, "idempotency_key": new.idempotency_key,
                "request_sha256": new.request_sha256, "commune": new.commune, "province": new.province,
                "packs": json.dumps(new.packs, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                "pack_ids": "," + ",".join(p["id"] for p in new.packs) + ",", "outcome": new.outcome,
                "factset_json": new.factset_json, "factset_canonical": new.factset_canonical,
                "factset_sha256": new.factset_sha256, "params_json": new.params_json,
                "options": json.dumps(new.options, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                "engine": new.engine, "ntmcert_version": new.ntmcert_version, "result_json": new.result_json,
                "prev_hash": head_hash,
            }
            fields["record_hash"] = record_hash(fields)
            s.execute(_INSERT, fields)
            s.execute(_UPDATE_HEAD, {"new_seq": fields["seq"], "new_hash": fields["record_hash"]})
        return Appended(Decision(**fields), False)  # a detached copy of what was stored

    def get(self, decision_id: str) -> Decision | None:
        with self.db.reading() as s:
            return s.execute(select(Decision).where(Decision.id == decision_id)).scalar_one_or_none()

    def find(self, *, commune: str | None = None, pack: str | None = None, outcome: str | None = None,
             since: str | None = None, until: str | None = None, after_seq: int | None = None,
             limit: int = 50) -> list[Decision]:
        """Decisions matching every filter given, oldest first, from after `after_seq` (the page cursor)."""
        q = select(Decision).order_by(Decision.seq).limit(limit)
        if commune:
            q = q.where(Decision.commune == commune)
        if pack:
            q = q.where(Decision.pack_ids.contains("," + pack + ",", autoescape=True))
        if outcome:
            q = q.where(Decision.outcome == outcome)
        if since:
            q = q.where(Decision.created_at >= since)
        if until:
            q = q.where(Decision.created_at < until)
        if after_seq is not None:
            q = q.where(Decision.seq > after_seq)
        with self.db.reading() as s:
            return list(s.execute(q).scalars())

    def count(self) -> int:
        with self.db.reading() as s:
            return int(s.execute(select(func.count()).select_from(Decision)).scalar_one())

    def head(self) -> tuple[int, str]:
        with self.db.reading() as s:
            h = s.execute(select(ChainHead).where(ChainHead.id == 1)).scalar_one()
            return h.seq, h.record_hash
