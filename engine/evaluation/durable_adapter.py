"""The only module that talks to durable-rules (careful because of what was measured about it, below).

- Rulesets are registered through a Host whose `_run` does nothing (no timer threads); one
  ruleset per pack content hash, compiled once per process and reused (they can't be replaced).
- Per commune: one batch of facts (one per criterion / hamlet group, see compiler.py) plus a
  sentinel that always fires, on a single reused sid whose state is deleted afterwards, which
  keeps memory flat and makes `delete_state` safe (an action always started).
- Facts are written as JSON text directly (compiler.encode), not built as dicts and dumped.
- Firings are read at the engine's C level: `start_action_for_state` / `complete_and_start_action`,
  taking the rule name and fact id from the action's text. This skips the Python bridge's per-firing
  JSON decoding of the whole state, which measured as most of durable-rules' time; no action code
  runs, so no exception can be swallowed.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, NoReturn

from ntmcert.core.errors import EngineError
from ntmcert.core.exact import Decision
from ntmcert.evaluation.checks import Check
from ntmcert.packs.compiler import SENTINEL, CheckLike, compile_ruleset, encode, placements, slots

if TYPE_CHECKING:
    from ntmcert.packs.library import Pack

try:  # durable-rules does not import on Python 3.13+ (PyEval_CallObject was removed)
    import durable.engine as _durable

    _core = _durable.durable_rules_engine
    IMPORT_ERROR: str | None = None
except Exception as exc:
    _durable = None
    _core = None
    IMPORT_ERROR = f"{type(exc).__name__}: {exc}"

SID = "commune"
MAX_FACTS = 300_000  # fact ids '0'…'299999' are proven hash-distinct (tests/test_exact.py)
_SENTINEL_FACT = json.dumps({"id": SENTINEL, "sid": SID, "t": SENTINEL})
_ACTION = re.compile(r'^\{"([^"]+)":\s*\{"m":\s*\{"id":\s*"([^"]*)"')


def available() -> bool:
    return _durable is not None


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("durable-rules")
    except Exception:
        return "unknown"


def _never_called(c: object) -> NoReturn:
    """Rules need an action to register; firings are read at the C level instead."""
    raise EngineError("a durable-rules action ran through the Python bridge unexpectedly")


class _Compiled:
    """A pack's ruleset as registered, with what encoding its facts needs."""

    def __init__(self, handle: object, pack: Pack) -> None:
        self.handle = handle  # durable-rules' ruleset handle (an opaque integer)
        self.placed = placements(slots(pack))


class DurableEngine:
    """Decides checks with durable-rules; one instance per process is enough."""

    name = "durable-rules"

    def __init__(self) -> None:
        if _durable is None:
            raise EngineError(f"durable-rules cannot be imported here ({IMPORT_ERROR})")

        class _QuietHost(_durable.Host):  # type: ignore[misc]  # durable-rules is untyped: Host is Any
            def _run(self) -> None:  # no background dispatch threads
                pass

        self.version = _version()
        self._host = _QuietHost()
        self._lock = threading.Lock()  # one commune at a time per ruleset state
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, pack: Pack) -> _Compiled:
        compiled = self._compiled.get(pack.sha256)
        if compiled is None:
            name = f"ntmcert-{len(self._compiled)}-{pack.sha256[:16]}"
            definition = compile_ruleset(pack)
            for rule in definition.values():
                rule["run"] = _never_called
            self._host.set_rulesets({name: definition})
            compiled = _Compiled(self._host.get_ruleset(name)._handle, pack)
            self._compiled[pack.sha256] = compiled
        return compiled

    def point_deciders(self, comparisons: Sequence[tuple[str, Fraction]]) -> None:
        return None  # every comparison is decided by durable-rules

    def decide(self, pack: Pack, checks: Sequence[Check]) -> dict[str, Decision]:
        with self._lock:
            compiled = self._compile(pack)
            facts, members = encode(checks, compiled.placed, SID)
            if len(facts) > MAX_FACTS:
                raise EngineError(f"{len(facts):,} groups of comparisons in one fact set; at most {MAX_FACTS:,}")
            facts.append(_SENTINEL_FACT)
            fired = self._run(compiled.handle, "[" + ",".join(facts) + "]")
        return _outcomes(checks, members, [(rule, int(n)) for rule, n in fired if rule != SENTINEL])

    @staticmethod
    def _run(handle: object, facts: str) -> list[tuple[str, str]]:
        """Assert the batch (a JSON array), collect (rule name, fact id) of every firing, delete the state."""
        fired: list[tuple[str, str]] = []
        try:
            result = _core.assert_facts(handle, facts)
            if result[0] != 0:  # 1: not handled, 2: observed (see durable.engine._handle_result)
                raise EngineError(f"durable-rules did not handle the batch (code {result[0]})")
            state_handle = result[1]
            started = _core.start_action_for_state(handle, state_handle)
            action = started[1] if started else None
            while action:
                match = _ACTION.match(action)
                if match is None:  # not the shape we send; fall back to reading it whole
                    (rule, body), = json.loads(action).items()
                    fired.append((rule, str(body["m"]["id"])))
                else:
                    fired.append((match.group(1), match.group(2)))
                action = _core.complete_and_start_action(handle, state_handle)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"durable-rules failed: {type(exc).__name__}: {exc}") from exc
        finally:
            # the state may already be gone; a failure to delete it must not hide the outcome
            with contextlib.suppress(Exception):
                _core.delete_state(handle, SID)
        return fired


# the outcome a firing names (the last part of a slot rule's name, see compiler.compile_ruleset)
_FIRED: dict[str, Decision] = {"fail": "fail", "undecidable": "undecidable"}


def _outcomes(checks: Sequence[Check], members: list[list[CheckLike | None]],
              fired: list[tuple[str, int]]) -> dict[str, Decision]:
    """Each check's outcome from the firings: `all` passes every present slot of its fact; `fail`
    and `undecidable` name their slot; a present slot with neither passed."""
    results: dict[str, Decision] = {}
    seen_facts: set[int] = set()
    all_passed: set[int] = set()
    for rule, n in fired:
        seen_facts.add(n)
        parts = rule.split("|")
        if parts[-1] == "all":
            all_passed.add(n)
            continue
        check = members[n][int(parts[-2])]
        outcome = _FIRED.get(parts[-1])
        if check is None or check.key in results or outcome is None:
            raise EngineError(f"durable-rules fired {rule!r} for a slot it should not have")
        results[check.key] = outcome
    if len(seen_facts) != len(members):
        raise EngineError("durable-rules fired no rule for some facts of the batch")
    for n in all_passed:
        if any(c is not None and c.key in results for c in members[n]):
            raise EngineError("durable-rules said a group passes and that one of its comparisons does not")
    for slot_checks in members:
        for check in slot_checks:
            if check is not None and check.key not in results:
                results[check.key] = "pass"
    if len(results) != len(checks):
        raise EngineError("durable-rules left some comparisons without an outcome")
    return results
