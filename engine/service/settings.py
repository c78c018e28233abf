"""Service settings: where the data lives and the limits, from options and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ENV_URL = "NTMCERT_DATABASE_URL"
ENV_DATA_DIR = "NTMCERT_DATA_DIR"


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ntmcert", appauthor=False))


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path | None = None
    max_body_bytes: int = 2 * 1024 * 1024  # a fact set request (the loader reads at most 5 MB anyway)
    max_upload_bytes: int = 20 * 1024 * 1024  # a batch workbook or CSV
    engine: str = "durable"
    key_cache_seconds: float = 2.0  # how soon another server sees a revoked key
    page_limit: int = field(default=200)  # the largest page of GET /v1/decisions

    @classmethod
    def from_env(cls, data_dir: Path | None = None, **overrides) -> Settings:
        """NTMCERT_DATABASE_URL if set, else a SQLite file in the data folder (created)."""
        url = os.environ.get(ENV_URL)
        folder = data_dir or (Path(os.environ[ENV_DATA_DIR]) if os.environ.get(ENV_DATA_DIR) else None)
        if not url:
            folder = folder or default_data_dir()
            folder.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{folder / 'ntmcert.sqlite3'}"
        return cls(database_url=url, data_dir=folder, **overrides)
