"""The only module that talks to durable-rules (see shared/durable-rules-notes.md for why so careful).

- A Host subclass whose `_run` does nothing: no timer threads, every action runs on the caller.
- One ruleset per pack content hash, compiled once per process (rulesets can't be replaced).
- One batch per commune on a single reused sid, a sentinel message that always fires (so the
  batch is handled and `delete_state` is safe), and the state deleted after every commune, which
  keeps memory flat.
- Exceptions inside actions are swallowed by the engine into the state: they are raised here.
"""

from __future__ import annotations

import threading
from typing import Sequence

from .checks import Check
from .compiler import OUTCOMES, SENTINEL, compile_ruleset, encode
from .errors import EngineError

try:  # durable-rules does not import on Python 3.13+ (PyEval_CallObject was removed)
    import durable.engine as _durable

    IMPORT_ERROR: str | None = None
except Exception as exc:  # noqa: BLE001 - any import failure means: use the reference evaluator
    _durable = None
    IMPORT_ERROR = f"{type(exc).__name__}: {exc}"

SID = "commune"
MAX_CHECKS = 300_000  # message ids '0'…'299999' are proven hash-distinct (tests/test_exact.py)


def available() -> bool:
    return _durable is not None


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("durable-rules")
    except Exception:  # noqa: BLE001
        return "unknown"


class DurableEngine:
    """Decides checks with durable-rules; one instance per process is enough."""

    name = "durable-rules"

    def __init__(self) -> None:
        if _durable is None:
            raise EngineError(f"durable-rules cannot be imported here ({IMPORT_ERROR})")

        class _QuietHost(_durable.Host):
            def _run(self):  # no background dispatch threads
                pass

        self.version = _version()
        self._host = _QuietHost()
        self._lock = threading.Lock()  # the engine keeps per-ruleset state: one commune at a time
        self._rulesets: dict[str, str] = {}  # pack sha256 → ruleset name
        self._fired: list[tuple[str, str]] = []

    def _ruleset_for(self, pack) -> str:
        name = self._rulesets.get(pack.sha256)
        if name is not None:
            return name
        name = f"ntmcert-{len(self._rulesets)}-{pack.sha256[:16]}"
        definition = compile_ruleset(pack)
        for rule_name, rule in definition.items():
            rule["run"] = self._action(rule_name)
        self._host.set_rulesets({name: definition})
        self._rulesets[pack.sha256] = name
        return name

    def _action(self, rule_name: str):
        outcome = rule_name.rsplit("|", 1)[-1] if rule_name != SENTINEL else SENTINEL
        fired = self._fired

        def act(c):  # durable-rules requires exactly one positional parameter
            fired.append((c.m["id"], outcome))

        return act

    def decide(self, pack, checks: Sequence[Check]) -> dict[str, str]:
        if len(checks) > MAX_CHECKS:
            raise EngineError(f"{len(checks):,} comparisons in one fact set; at most {MAX_CHECKS:,} are supported")
        with self._lock:
            ruleset = self._ruleset_for(pack)
            messages = [encode(check, str(i), SID) for i, check in enumerate(checks)]
            messages.append({"sid": SID, "id": SENTINEL, "t": SENTINEL})
            self._fired.clear()
            try:
                state = self._host.post_batch(ruleset, messages)
            except Exception as exc:  # noqa: BLE001 - report the engine's failure as ours
                raise EngineError(f"durable-rules rejected the batch: {type(exc).__name__}: {exc}") from exc
            finally:
                try:
                    self._host.delete_state(ruleset, SID)
                except Exception:  # noqa: BLE001 - nothing left to delete is fine
                    pass
            if isinstance(state, dict) and "exception" in state:
                raise EngineError(f"a durable-rules action failed: {state['exception']}")
            fired = list(self._fired)
            self._fired.clear()
        results: dict[str, str] = {}
        for message_id, outcome in fired:
            if outcome == SENTINEL:
                continue
            check = checks[int(message_id)]
            if check.key in results or outcome not in OUTCOMES:
                raise EngineError(f"check {check.key!r} fired more than one outcome")
            results[check.key] = outcome
        if len(results) != len(checks):
            lost = sorted(c.key for c in checks if c.key not in results)
            raise EngineError(f"durable-rules decided no outcome for {lost[:5]}")
        return results
