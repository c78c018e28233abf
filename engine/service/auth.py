"""API keys: `ntm_<key id>_<secret>`, stored as an argon2id hash, with scopes.

The key id (the public part of the token) finds the row; argon2 then checks the whole token. An
argon2 check takes tens of milliseconds by design, so a verified token is remembered in memory for
a short time, keyed by its SHA-256 (never the token itself): a revocation takes effect on every
server within `cache_seconds`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from .db import ApiKey, Database
from .store import utc_now

SCOPES = ("evaluate", "read", "batch", "admin")
TOKEN = re.compile(r"ntm_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    key_id: str
    name: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


@dataclass(frozen=True)
class CreatedKey:
    key_id: str
    name: str
    scopes: tuple[str, ...]
    token: str  # shown once, never stored


class AuthError(Exception):
    """401 (no or bad credentials) or 403 (a valid key without the scope)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class KeyStore:
    def __init__(self, db: Database, cache_seconds: float = 5.0):
        self.db = db
        self.cache_seconds = cache_seconds
        self._cache: dict[bytes, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def create(self, name: str, scopes: list[str]) -> CreatedKey:
        bad = [s for s in scopes if s not in SCOPES]
        if bad or not scopes:
            raise ValueError(f"scopes must be some of {', '.join(SCOPES)} (got {', '.join(scopes) or 'none'})")
        key_id = secrets.token_hex(6)
        token = f"ntm_{key_id}_{secrets.token_urlsafe(32)}"
        with self.db.writing() as s:
            s.add(ApiKey(key_id=key_id, name=name, scopes=" ".join(sorted(set(scopes))),
                         secret_hash=_hasher.hash(token), created_at=utc_now(), revoked_at=None))
        return CreatedKey(key_id, name, tuple(sorted(set(scopes))), token)

    def list(self) -> list[ApiKey]:
        with self.db.reading() as s:
            return list(s.execute(select(ApiKey).order_by(ApiKey.id)).scalars())

    def revoke(self, key_id: str) -> bool:
        with self.db.writing() as s:
            row = s.execute(select(ApiKey).where(ApiKey.key_id == key_id)).scalar_one_or_none()
            if row is None:
                return False
            if row.revoked_at is None:
                row.revoked_at = utc_now()
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if v[1].key_id != key_id}
        return True

    def has_keys(self) -> bool:
        with self.db.reading() as s:
            return s.execute(select(ApiKey.id).limit(1)).first() is not None

    def authenticate(self, authorization: str | None) -> Principal:
        if not authorization:
            raise AuthError(401, "auth_missing", "send an API key: Authorization: Bearer ntm_…")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthError(401, "auth_scheme", "use the Bearer scheme: Authorization: Bearer ntm_…")
        fingerprint = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        now = time.monotonic()
        cached = self._cache.get(fingerprint)
        if cached is not None and cached[0] > now:
            return cached[1]
        match = TOKEN.fullmatch(token)
        if match is None:
            raise AuthError(401, "auth_invalid", "the API key is not valid")
        with self.db.reading() as s:
            row = s.execute(select(ApiKey).where(ApiKey.key_id == match.group(1))).scalar_one_or_none()
        if row is None or row.revoked_at is not None or not _verify(row.secret_hash, token):
            raise AuthError(401, "auth_invalid", "the API key is not valid or was revoked")
        principal = Principal(row.key_id, row.name, frozenset(row.scopes.split()))
        with self._lock:
            if len(self._cache) > 10_000:  # bounded: many distinct tokens only cost a re-verification
                self._cache.clear()
            self._cache[fingerprint] = (now + self.cache_seconds, principal)
        return principal

    @staticmethod
    def require(principal: Principal, scope: str) -> None:
        if not principal.allows(scope):
            raise AuthError(403, "auth_scope", f"this API key lacks the {scope!r} scope")


def _verify(stored: str, token: str) -> bool:
    try:
        return _hasher.verify(stored, token)
    except (VerificationError, InvalidHashError):
        return False

