"""The tests must exercise the working tree. With an editable install (`pip install -e '.[test]'`)
they do; with a plain install (`pip install '.[test]'`, as the README's quick start and CI do) the
installed copy must be byte-identical to the checkout, else the run stops before any test with
the list of files that differ: editing a pack and testing the old one is never silent."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def stale_files(installed: Path | None = None) -> list[str]:
    """Checkout files (engine/, rules/) whose installed copy differs or is missing."""
    if installed is None:
        import ntmcert

        installed = Path(ntmcert.__file__).resolve().parent
    if installed == (ROOT / "engine").resolve():
        return []  # an editable install: the tests import the working tree itself
    pairs = [(p, installed / p.relative_to(ROOT / "engine")) for p in (ROOT / "engine").rglob("*.py")]
    pairs += [(p, installed / "rules" / p.relative_to(ROOT / "rules")) for p in (ROOT / "rules").rglob("*.yaml")
              if "tests" not in p.relative_to(ROOT / "rules").parts]
    return sorted(str(src.relative_to(ROOT)) for src, dst in pairs
                  if not dst.is_file() or dst.read_bytes() != src.read_bytes())
