"""Where the bundled rule packs are: inside the installed package, or beside it in a checkout."""

from __future__ import annotations

from pathlib import Path


def rules_dir() -> Path:
    """`ntmcert/rules` in an installed wheel; the repository's top-level `rules/` in a checkout."""
    here = Path(__file__).resolve().parent.parent  # the ntmcert package folder
    for candidate in (here / "rules", here.parent / "rules"):
        if (candidate / "facts.yaml").is_file():
            return candidate
    raise FileNotFoundError("the bundled rules/ folder was not found next to the ntmcert package")
