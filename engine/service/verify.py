"""`ntmcert decisions verify`: walk the decision log, check every link of the hash chain and every
record's own hash, and replay records (a sample or all) to check the stored result still comes out
byte for byte."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from . import _core
from .db import GENESIS_HASH, Database, Decision
from .store import DecisionLog, record_hash, row_fields


@dataclass(frozen=True)
class Finding:
    seq: int | None
    decision_id: str | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"decision {self.decision_id} (#{self.seq})" if self.decision_id else "log"
        return f"{where}: {self.code}: {self.message}"


@dataclass
class Report:
    records: int = 0
    replayed: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _rows(db: Database, chunk: int = 500) -> Iterator[Decision]:
    last = 0
    while True:
        with db.reading() as s:
            rows = list(s.execute(select(Decision).where(Decision.seq > last).order_by(Decision.seq).limit(chunk))
                        .scalars())
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def replay(row: Decision, engine: str = "durable") -> Finding | None:
    """Evaluate the stored input again with the stored packs; a finding when the result differs."""
    try:
        packs = json.loads(row.packs)
        for p in packs:
            current = _core.get_pack(p["id"])
            if current.sha256 != p["sha256"]:
                return Finding(row.seq, row.id, "pack_changed", f"pack {p['id']} is now sha256 {current.sha256}, "
                               f"the decision used {p['sha256']}: it cannot be replayed with the bundled packs")
        result = replay_result(row, engine)
    except _core.InputError as exc:
        return Finding(row.seq, row.id, "replay_failed", "; ".join(str(p) for p in exc.problems))
    except _core.NtmcertError as exc:
        return Finding(row.seq, row.id, "replay_failed", f"{exc.code}: {exc}")
    if result != row.result_json:
        return Finding(row.seq, row.id, "result_mismatch", "the stored result differs from a new evaluation of "
                       "the stored input")
    return None


def replay_objects(row: Decision, engine: str = "durable"):
    """The stored decision's input evaluated again: a list of verdicts, or a review."""
    doc = _core.load_json_document(row.factset_json, f"decision {row.id}")
    factset = _core.parse_factset(doc, None)
    officer = (_core.parse_params(_core.load_json_document(row.params_json, f"decision {row.id} params"), None)
               if row.params_json else None)
    options = json.loads(row.options)
    packs = [_core.get_pack(p["id"]) for p in json.loads(row.packs)]
    if row.kind == "review":
        return _core.review(factset, packs[0].id, officer, engine)
    return _core.evaluate(factset, packs, officer, bool(options.get("derive_prerequisites")), engine)


def replay_result(row: Decision, engine: str = "durable") -> str:
    """The result JSON a stored decision's input gives now."""
    out = replay_objects(row, engine)
    return out.to_json() if isinstance(out, _core.Review) else _core.verdict_json(out)


def verify(db: Database, *, sample: int | None = None, seed: int | None = None,
           engine: str = "durable") -> Report:
    """Check the whole chain; replay every record (sample None) or `sample` records drawn at random."""
    report = Report()
    findings = report.findings
    head_seq, head_hash = DecisionLog(db).head()
    total = DecisionLog(db).count()
    chosen: set[int] | None = None
    if sample is not None and sample < total:  # which records to replay: not a secret, hence random.Random
        rng = random.Random(seed)  # noqa: S311
        chosen = set(rng.sample(range(1, head_seq + 1), sample)) if head_seq else set()
    prev_hash, expected_seq = GENESIS_HASH, 1
    for row in _rows(db):
        report.records += 1
        if row.seq != expected_seq:
            findings.append(Finding(row.seq, row.id, "seq_gap", f"expected record #{expected_seq} next, found "
                                    f"#{row.seq}: records are missing"))
        if row.prev_hash != prev_hash:
            findings.append(Finding(row.seq, row.id, "chain_broken", "its prev_hash does not match the hash of "
                                    "the record before it"))
        if record_hash(row_fields(row)) != row.record_hash:
            findings.append(Finding(row.seq, row.id, "record_altered", "its content no longer matches its hash"))
        if chosen is None or row.seq in chosen:
            report.replayed += 1
            found = replay(row, engine)
            if found is not None:
                findings.append(found)
        prev_hash, expected_seq = row.record_hash, row.seq + 1
    if head_seq != expected_seq - 1 or head_hash != prev_hash:
        findings.append(Finding(None, None, "head_mismatch", f"the chain head says #{head_seq} "
                                f"{head_hash[:12]}…, the last record is #{expected_seq - 1} {prev_hash[:12]}…"))
    return report
