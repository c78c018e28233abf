"""ntmcert: rule-engine certification checker for Vietnam's New Rural Development programme (NTM).

Fact set in, verdict out::

    from ntmcert import evaluate
    verdict = evaluate("seeds/thanh-phu-2024.yaml", "tra-vinh/smart-commune")
    print(verdict.verdict)      # certified | not_certified | incomplete
    print(verdict.to_json())    # stable JSON, schema ntmcert/verdict/v1
"""

__version__ = "0.1.0"

from .api import applicable_packs, default_library, evaluate  # noqa: E402
from .parallel import evaluate_many  # noqa: E402
from .errors import InputError, NtmcertError, PackNotFoundError, Problem  # noqa: E402
from .factset import FactSet, FactSetInput, load_factset  # noqa: E402
from .pack import Pack, PackLibrary  # noqa: E402
from .verdict import Verdict  # noqa: E402

__all__ = ["FactSet", "FactSetInput", "InputError", "NtmcertError", "Pack", "PackLibrary",
           "PackNotFoundError", "Problem", "Verdict", "__version__", "applicable_packs",
           "default_library", "evaluate", "evaluate_many", "load_factset"]
