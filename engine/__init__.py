"""ntmcert: rule-engine certification checker for Vietnam's New Rural Development programme (NTM).

Fact set in, verdict out::

    from ntmcert import evaluate
    verdict = evaluate("seeds/thanh-phu-2024.yaml", "tra-vinh/smart-commune")
    print(verdict.verdict)      # certified | not_certified | incomplete
    print(verdict.to_json())    # stable JSON, schema ntmcert/verdict/v1
"""

from ntmcert.core.version import __version__
# the indicator kinds register themselves with the pack schema before any pack is read
import ntmcert.kinds  # noqa: F401
from ntmcert.api import applicable_packs, default_library, evaluate
from ntmcert.core.errors import InputError, NtmcertError, PackNotFoundError, Problem
from ntmcert.inputs.factset import FactSet, FactSetInput, load_factset
from ntmcert.packs.library import Pack, PackLibrary
from ntmcert.evaluation.verdict import Verdict
from ntmcert.parallel import evaluate_many

__all__ = ["FactSet", "FactSetInput", "InputError", "NtmcertError", "Pack", "PackLibrary",
           "PackNotFoundError", "Problem", "Verdict", "__version__", "applicable_packs",
           "default_library", "evaluate", "evaluate_many", "load_factset"]
