"""The package version, written once (in pyproject.toml) and read from the installed metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ntmcert")
except PackageNotFoundError:  # pragma: no cover - only when the sources are used without installing
    __version__ = "0+unknown"
