"""What a cold `ntmcert evaluate` imports: only what evaluating needs.

Not a timed test (the machine's load decides the time): it checks the modules a fresh interpreter
holds, so an import that drags the web stack, the decision service, spreadsheets, the process pool
or the HTML dossier back into every start fails here, by name. `python bench/bench.py` measures
the time itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import ROOT, THANH_PHU

# never needed to evaluate a fact set and print its text report
HEAVY = [
    "fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "openpyxl", "jinja2", "argon2", "multipart",
    "multiprocessing", "concurrent.futures.process", "platformdirs",
    "ntmcert.parallel", "ntmcert.render.html", "ntmcert.render.markdown", "ntmcert.render.dossier",
    "ntmcert.cli.profile", "ntmcert.evaluation.whatif", "ntmcert.packs.params", "ntmcert.sheets.cells",
    "ntmcert.sheets.batch", "ntmcert.service.app", "ntmcert.service.db", "ntmcert.web.accounts",
]

REPORT = f"""
import json, sys
sys.stderr.write("\\nLOADED " + json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)) + "\\n")
"""


def _loaded(code: str, *args: str) -> list[str]:
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-c", code + REPORT, *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)
    line = next((x for x in proc.stderr.splitlines() if x.startswith("LOADED ")), None)
    assert line is not None, proc.stderr
    return json.loads(line.removeprefix("LOADED "))


def test_importing_the_cli_loads_nothing_heavy():
    assert _loaded("import ntmcert\nimport ntmcert.cli.main\n") == []


def test_a_text_evaluation_loads_nothing_heavy():
    code = ("import sys\nfrom ntmcert.cli.main import main\nsys.argv = ['ntmcert', 'evaluate', sys.argv[1]]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code == 3, exc.code\n")
    assert _loaded(code, str(THANH_PHU)) == []


def test_the_kinds_are_registered_when_ntmcert_is_imported():
    """Import side effects kept: every indicator kind is registered by `import ntmcert` alone, and the
    lazily imported `evaluate_many` is still the package's."""
    code = ("import ntmcert\nfrom ntmcert.packs.registry import kinds\n"
            "assert sorted(k.name for k in kinds()) == ['any_of', 'compare', 'hamlet_share', 'hamlets', "
            "'threshold_by_fact', 'unknown'], kinds()\n"
            "assert 'ntmcert.parallel' not in sys.modules\n"
            "from ntmcert import evaluate_many\nfrom ntmcert.parallel import evaluate_many as direct\n"
            "assert evaluate_many is direct and ntmcert.evaluate_many is direct\n"
            "import sys\n")
    assert _loaded("import sys\n" + code) == ["concurrent.futures.process", "multiprocessing", "ntmcert.packs.params",
                                              "ntmcert.parallel"]
