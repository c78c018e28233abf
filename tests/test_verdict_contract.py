"""The JSON contract `ntmcert/verdict/v1` is frozen: every YAML case's verdict, on both engines, hashes
to the value saved in tests/snapshots/verdict-json.sha256 (saved once, before the package was
reorganised). A change to the contract is a new format version, not an edit of this file.
`NTMCERT_WRITE_CONTRACT=1` rewrites the file, for a deliberate, reviewed change only.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ntmcert import evaluate
from ntmcert.inputs.yamlio import load_path

from tests.yaml_cases import RULES, build_factset, officer_params, pack_id_for

SNAPSHOT = Path(__file__).parent / "snapshots" / "verdict-json.sha256"


def current_hashes() -> list[str]:
    lines = []
    for path in sorted(RULES.rglob("tests/*.yaml")):
        if path.name == "edges.yaml":
            continue
        doc = load_path(path).data
        pack_id = doc.get("pack") or pack_id_for(path)
        where = path.relative_to(RULES).as_posix()
        for i, case in enumerate(doc["cases"]):
            facts = build_factset(case)
            for engine in ("durable", "reference"):
                verdict = evaluate(facts, case.get("pack", pack_id), engine=engine,
                                   params=officer_params(case.get("params")),
                                   derive_prerequisites=bool(case.get("derive_prerequisites")))
                digest = hashlib.sha256(verdict.to_json().encode("utf-8")).hexdigest()
                lines.append(f"{digest}  {where} #{i:02d} {engine}")
    return lines


def test_every_case_verdict_json_is_byte_identical_to_the_saved_contract():
    lines = current_hashes()
    if os.environ.get("NTMCERT_WRITE_CONTRACT") == "1":
        SNAPSHOT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    saved = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(saved), "the number of YAML cases changed: add new cases' hashes deliberately"
    changed = [now.split("  ", 1)[1] for now, was in zip(lines, saved, strict=True) if now != was]
    assert not changed, f"verdict JSON changed for {len(changed)} case(s): {changed[:10]}"
