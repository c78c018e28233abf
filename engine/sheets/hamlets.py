"""Hamlet rows spooled to a temporary SQLite file, so memory stays flat however many there are;
each is claimed by the commune row it names (commune_row: a row number or a commune code)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import tempfile
from typing import Any

from ntmcert.sheets.cells import UNCOMPUTED, Uncomputed


def encode(value: Any, percent_format: bool) -> Any:
    """A cell value as JSON (dates and numbers tagged, numbers with their percent format)."""
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, float):
        return {"f": repr(value), "%": percent_format}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"i": str(value), "%": percent_format}
    if isinstance(value, (dt.time, dt.timedelta)):
        return str(value)
    if isinstance(value, Uncomputed):
        return {"uncomputed": True}
    return value




def decode(value: Any) -> Any:
    """The cell value `encode` stored."""
    if isinstance(value, dict):
        if "dt" in value:
            return dt.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        if "f" in value:
            return float(value["f"])
        if "i" in value:
            return int(value["i"])
        if "uncomputed" in value:
            return UNCOMPUTED
    return value



class HamletStore:
    """Hamlet rows on disk, keyed by commune_row; each is claimed by the commune it names."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="ntmcert-hamlets-")
        self.db = sqlite3.connect(os.path.join(self._dir.name, "hamlets.sqlite"))
        self.db.executescript("""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE hamlets (seq INTEGER PRIMARY KEY, key TEXT, row INTEGER, cells TEXT,
                                  matches INTEGER DEFAULT 0, claimed INTEGER DEFAULT 0);
            CREATE TABLE communes (row INTEGER, code TEXT);
        """)

    def add(self, key: str | None, row: int, cells: list) -> None:
        self.db.execute("INSERT INTO hamlets (key, row, cells) VALUES (?, ?, ?)",
                        (key, row, json.dumps(cells, ensure_ascii=False)))

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM hamlets").fetchone()[0]

    def add_commune(self, row: int, code: str | None) -> None:
        self.db.execute("INSERT INTO communes VALUES (?, ?)", (row, code))

    def count_matches(self) -> None:
        self.db.executescript("""
            CREATE INDEX hamlet_key ON hamlets (key);
            CREATE INDEX commune_row ON communes (row); CREATE INDEX commune_code ON communes (code);
            UPDATE hamlets SET matches = (SELECT COUNT(DISTINCT c.row) FROM communes c
                                          WHERE CAST(c.row AS TEXT) = hamlets.key OR c.code = hamlets.key)
            WHERE key IS NOT NULL;
        """)

    def claim(self, row: int, code: str | None):
        keys = [str(row)] + ([code] if code and code != str(row) else [])
        marks = ",".join("?" * len(keys))  # only placeholders are formatted in; the keys are parameters
        found = self.db.execute(
            f"SELECT seq, row, cells, matches FROM hamlets WHERE key IN ({marks}) ORDER BY seq",  # noqa: S608
            keys).fetchall()
        if found:
            self.db.executemany("UPDATE hamlets SET claimed = 1 WHERE seq = ?", [(f[0],) for f in found])
        for seq, h_row, cells, matches in found:
            yield seq, h_row, json.loads(cells), matches

    def describe(self, key: str) -> str:
        """Which communes a commune_row value matches: 'row 4; row 5 (code '4')'."""
        found = self.db.execute("SELECT row, code FROM communes WHERE CAST(row AS TEXT) = ? OR code = ? ORDER BY row",
                                (key, key)).fetchall()
        return "; ".join(f"row {row}" + (f" (code {code!r})" if code == key else "") for row, code in found)

    def unclaimed(self):
        yield from self.db.execute("SELECT row, key FROM hamlets WHERE claimed = 0 ORDER BY seq")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.db.close()
        self._dir.cleanup()



__all__ = ["HamletStore", "decode", "encode"]
