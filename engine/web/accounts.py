"""Officer accounts, browser sessions and reviewers' sign-offs (tables of migration 0002).

Passwords are argon2id hashes. A session is a random token in an HttpOnly cookie; the database
keeps only its SHA-256, with the session's CSRF token. After MAX_FAILURES wrong passwords in a
row an account is locked for LOCK_MINUTES; a sign-in to an unknown name costs the same argon2
check, so timing does not tell which names exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, Index, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from ..service.db import Base, Database
from ..service.store import utc_now

ROLES = ("officer", "reviewer", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,26}$")  # the decision log's key_id is "web:" + this (≤ 32)
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 10
_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not a password of anyone")


class WebUser(Base):
    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(32))
    disabled_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[str | None] = mapped_column(String(32), nullable=True)


class WebSession(Base):
    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("web_users.id"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str] = mapped_column(String(32))


class SignOff(Base):
    """A reviewer's "đã kiểm tra" beside a decision; the decision itself is never touched."""

    __tablename__ = "decision_signoffs"
    __table_args__ = (Index("ix_decision_signoffs_decision", "decision_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(String(32))
    username: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str

    def can(self, action: str) -> bool:
        """evaluate/batch: officers; signoff: reviewers; read: everyone; admin can do all."""
        allowed = {"evaluate": ("officer",), "batch": ("officer",), "signoff": ("reviewer",),
                   "read": ("officer", "reviewer")}
        return self.role == "admin" or self.role in allowed.get(action, ())

    @property
    def key_id(self) -> str:
        return f"web:{self.username}"


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


class AccountError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _later(**delta: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _user(row: WebUser) -> User:
    return User(row.id, row.username, row.display_name, row.role)


class Accounts:
    def __init__(self, db: Database):
        self.db = db

    # -- administration (the CLI) ------------------------------------------------------------
    def create(self, username: str, display_name: str, role: str, password: str) -> User:
        if not USERNAME.match(username):
            raise AccountError("user_bad_name", "a user name is 2 to 27 characters: a-z, 0-9, '.', '_', '-'")
        if role not in ROLES:
            raise AccountError("user_bad_role", f"role is one of {', '.join(ROLES)}")
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise AccountError("user_bad_password", f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        with self.db.writing() as s:
            if s.execute(select(WebUser.id).where(WebUser.username == username)).first() is not None:
                raise AccountError("user_exists", f"user {username!r} exists")
            row = WebUser(username=username, display_name=display_name[:200] or username, role=role,
                          password_hash=_hasher.hash(password), created_at=utc_now(), disabled_at=None,
                          failed_count=0, locked_until=None)
            s.add(row)
            s.flush()
            return _user(row)

    def all_users(self) -> list[WebUser]:
        with self.db.reading() as s:
            return list(s.execute(select(WebUser).order_by(WebUser.id)).scalars())

    def disable(self, username: str) -> bool:
        with self.db.writing() as s:
            row = s.execute(select(WebUser).where(WebUser.username == username)).scalar_one_or_none()
            if row is None:
                return False
            row.disabled_at = row.disabled_at or utc_now()
            s.execute(delete(WebSession).where(WebSession.user_id == row.id))
        return True

    # -- signing in ---------------------------------------------------------------------------
    def sign_in(self, username: str, password: str) -> tuple[str, Session]:
        """A new session (its cookie token and CSRF token); AccountError 'signin_failed' or
        'signin_locked' otherwise, the same message for a wrong name and a wrong password."""
        now = utc_now()
        with self.db.writing() as s:
            s.execute(delete(WebSession).where(WebSession.expires_at <= now))  # the table stays small
            row = s.execute(select(WebUser).where(WebUser.username == username[:64].lower())).scalar_one_or_none()
            if row is None or row.disabled_at is not None:
                _verify(_DUMMY, password)
                raise AccountError("signin_failed", "wrong user name or password")
            if row.locked_until and row.locked_until > now:
                _verify(_DUMMY, password)  # as slow as any other answer
                raise AccountError("signin_locked", "too many failed attempts: the account is locked for a while")
            if not _verify(row.password_hash, password[:MAX_PASSWORD]):
                row.failed_count += 1
                if row.failed_count >= MAX_FAILURES:
                    row.failed_count, row.locked_until = 0, _later(minutes=LOCK_MINUTES)
                failed = True
            else:
                row.failed_count, row.locked_until, failed = 0, None, False
                token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                s.add(WebSession(token_sha256=_sha(token), user_id=row.id, csrf=csrf, created_at=now,
                                 expires_at=_later(hours=SESSION_HOURS)))
                user = _user(row)
        if failed:  # committed above: the failure counts even though the caller gets an error
            raise AccountError("signin_failed", "wrong user name or password")
        return token, Session(user, csrf)

    def session(self, token: str | None) -> Session | None:
        if not token or len(token) > 100:
            return None
        with self.db.reading() as s:
            found = s.execute(select(WebSession, WebUser).join(WebUser, WebUser.id == WebSession.user_id)
                              .where(WebSession.token_sha256 == _sha(token))).first()
        if found is None:
            return None
        sess, row = found
        if sess.expires_at <= utc_now() or row.disabled_at is not None:
            return None
        return Session(_user(row), sess.csrf)

    def sign_out(self, token: str | None) -> None:
        if token:
            with self.db.writing() as s:
                s.execute(delete(WebSession).where(WebSession.token_sha256 == _sha(token)))

    # -- sign-offs -----------------------------------------------------------------------------
    def sign_off(self, decision_id: str, user: User, comment: str) -> None:
        with self.db.writing() as s:
            s.add(SignOff(decision_id=decision_id, username=user.username, comment=comment[:2000],
                          created_at=utc_now()))

    def sign_offs(self, decision_ids: list[str]) -> dict[str, list[SignOff]]:
        out: dict[str, list[SignOff]] = {}
        if not decision_ids:
            return out
        with self.db.reading() as s:
            rows = s.execute(select(SignOff).where(SignOff.decision_id.in_(decision_ids)).order_by(SignOff.id))
            for row in rows.scalars():
                out.setdefault(row.decision_id, []).append(row)
        return out


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
