"""ntmcert: rule-engine certification checker for Vietnam's New Rural Development programme (NTM).

Fact set in, verdict out::

    from ntmcert import evaluate
    verdict = evaluate("seeds/thanh-phu-2024.yaml", "tra-vinh/smart-commune")
    print(verdict.verdict)      # certified | not_certified | incomplete
    print(verdict.to_json())    # stable JSON, schema ntmcert/verdict/v1
"""

from typing import TYPE_CHECKING, Any

# the indicator kinds register themselves with the pack schema before any pack is read
import ntmcert.kinds  # noqa: F401
from ntmcert.api import applicable_packs, default_library, default_packs, evaluate
from ntmcert.core.errors import InputError, NtmcertError, PackNotFoundError, Problem
from ntmcert.core.version import __version__
from ntmcert.evaluation.verdict import Verdict
from ntmcert.inputs.factset import FactSet, FactSetInput, load_factset
from ntmcert.packs.library import Pack, PackLibrary

if TYPE_CHECKING:
    from ntmcert.parallel import evaluate_many

__all__ = ["FactSet", "FactSetInput", "InputError", "NtmcertError", "Pack", "PackLibrary",
           "PackNotFoundError", "Problem", "Verdict", "__version__", "applicable_packs",
           "default_library", "default_packs", "evaluate", "evaluate_many", "load_factset"]


def __getattr__(name: str) -> Any:
    # evaluate_many is imported when first asked for: its pool brings multiprocessing and
    # concurrent.futures, which a single evaluation (and the CLI's cold start) never needs
    if name == "evaluate_many":
        from ntmcert.parallel import evaluate_many

        globals()[name] = evaluate_many
        return evaluate_many
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
