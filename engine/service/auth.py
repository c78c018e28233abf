"""API keys: `ntm_<key id>_<secret>`, stored as an argon2id hash, with scopes.

The key id (the public part of the token) finds the row; argon2 then checks the whole token. An
argon2 check takes tens of milliseconds (and 64 MB) by design, so a process remembers the tokens
it verified, keyed by their SHA-256 (never the token itself), and checks only whether the key was
revoked, with a one-row lookup at most every `cache_seconds`: a revocation takes effect on every
server within that time.
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
        self._verified: dict[bytes, Principal] = {}  # SHA-256 of a token argon2 accepted -> its key
        self._status: dict[str, tuple[float, bool]] = {}  # key id -> (valid until, active)
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
        self._status.pop(key_id, None)  # this process knows at once; others within cache_seconds
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
        principal = self._verified.get(fingerprint)
        if principal is None:
            principal = self._verify_token(token)
            with self._lock:
                if len(self._verified) > 10_000:  # bounded: many distinct tokens only cost a re-verification
                    self._verified.clear()
                self._verified[fingerprint] = principal
        if not self._active(principal.key_id):
            raise AuthError(401, "auth_invalid", "the API key is not valid or was revoked")
        return principal

    def _verify_token(self, token: str) -> Principal:
        """The slow check (argon2), once per token and process."""
        match = TOKEN.fullmatch(token)
        if match is None:
            raise AuthError(401, "auth_invalid", "the API key is not valid")
        with self.db.reading() as s:
            row = s.execute(select(ApiKey).where(ApiKey.key_id == match.group(1))).scalar_one_or_none()
        if row is None or not _verify(row.secret_hash, token):
            raise AuthError(401, "auth_invalid", "the API key is not valid or was revoked")
        return Principal(row.key_id, row.name, frozenset(row.scopes.split()))

    def _active(self, key_id: str) -> bool:
        """Whether the key is still unrevoked: a one-row lookup at most every `cache_seconds`."""
        now = time.monotonic()
        known = self._status.get(key_id)
        if known is not None and known[0] > now:
            return known[1]
        with self.db.reading() as s:
            revoked = s.execute(select(ApiKey.revoked_at).where(ApiKey.key_id == key_id)).first()
        active = revoked is not None and revoked[0] is None
        self._status[key_id] = (now + self.cache_seconds, active)
        return active

    @staticmethod
    def require(principal: Principal, scope: str) -> None:
        if not principal.allows(scope):
            raise AuthError(403, "auth_scope", f"this API key lacks the {scope!r} scope")


def _verify(stored: str, token: str) -> bool:
    try:
        return _hasher.verify(stored, token)
    except (VerificationError, InvalidHashError):
        return False

