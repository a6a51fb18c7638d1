"""Gateway keys: issued once, stored only as a hash, verified through a short cache.

Cache invalidation: `verify_key` answers from an in-process cache for `ttl_s`
seconds (5 by default), remembering unknown keys as well as known ones, so the gateway
reads the database at most once per key per TTL. A revoke made through the same
`KeyStore` drops the entry at once; a revoke made by another process (the CLI, another
gateway worker) takes effect here within `ttl_s` seconds. A key created elsewhere may
likewise be refused for up to `ttl_s` seconds if it was tried here before it existed.

Known shortcoming: `verify_key` is synchronous, so on a cache miss (once per key per
TTL) it blocks the caller's event loop for one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tokenledger.ledger._engine import WRITE_OPTION
from tokenledger.ledger._errors import AmbiguousKeyError, InvalidUserError, KeyNotFoundError
from tokenledger.ledger._schema import api_keys_table, users_table

KEY_PREFIX = "tl-"
# Characters of a key kept in clear for display: "tl-" and 9 random characters
# (54 bits), enough to tell a user's keys apart, too few to help guess the rest.
DISPLAY_PREFIX_CHARS = 12
DEFAULT_CACHE_TTL_S = 5.0
_CACHE_MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """Who a verified key belongs to."""

    key_id: str
    user: str


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new key. `key` is shown once and never stored: only its hash is."""

    key_id: str
    user: str
    key: str

    def __repr__(self) -> str:
        # Keeps the key out of tracebacks and debug logs.
        return f"CreatedKey(key_id={self.key_id!r}, user={self.user!r}, key='***')"


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A key as listed: everything but the key."""

    key_id: str
    user: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def new_key() -> str:
    # 32 random bytes: 256 bits, encoded as 43 URL-safe characters.
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """SHA-256 of the key, hex.

    A slow salted hash (bcrypt, argon2) protects passwords, which people pick from a
    small space an attacker can search. These keys are 256 random bits: no search of
    that space is feasible however fast the hash, so a salt and work factor add
    nothing, and an unsalted hash lets us find the key by an indexed lookup.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def check_user_name(name: str) -> str:
    if not name or name != name.strip() or len(name) > 200:
        raise InvalidUserError(
            f"user name {name!r} cannot be used: give 1 to 200 characters with no "
            "leading or trailing spaces"
        )
    return name


class _TTLCache:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, KeyInfo | None]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> tuple[bool, KeyInfo | None]:
        with self._lock:
            entry = self._entries.get(key_hash)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, key_hash: str, info: KeyInfo | None) -> None:
        with self._lock:
            # A flood of made-up keys must not grow memory without end.
            if len(self._entries) >= _CACHE_MAX_ENTRIES:
                self._entries.clear()
            self._entries[key_hash] = (time.monotonic() + self.ttl_s, info)

    def drop(self, key_hash: str) -> None:
        with self._lock:
            self._entries.pop(key_hash, None)


class KeyStore:
    def __init__(self, engine: Engine, *, cache_ttl_s: float = DEFAULT_CACHE_TTL_S) -> None:
        self._engine = engine
        self._cache = _TTLCache(cache_ttl_s)

    def create_key(self, user: str) -> CreatedKey:
        check_user_name(user)
        key = new_key()
        key_id = secrets.token_hex(8)

        with self._write() as connection, connection.begin():
            user_id = _ensure_user(connection, user)
            connection.execute(
                api_keys_table.insert().values(
                    id=key_id,
                    user_id=user_id,
                    key_hash=hash_key(key),
                    prefix=key[:DISPLAY_PREFIX_CHARS],
                    created_at=datetime.now(UTC),
                )
            )

        self._cache.drop(hash_key(key))
        return CreatedKey(key_id=key_id, user=user, key=key)

    def verify_key(self, key: str) -> KeyInfo | None:
        key_hash = hash_key(key)
        hit, info = self._cache.get(key_hash)
        if hit:
            return info

        query = (
            _key_select()
            .where(api_keys_table.c.key_hash == key_hash)
            .where(api_keys_table.c.revoked_at.is_(None))
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).first()

        info = None if row is None else KeyInfo(key_id=row.id, user=row.user)
        self._cache.put(key_hash, info)
        return info

    def revoke_key(self, key_or_id_or_prefix: str) -> KeyRecord:
        """Revoke by the key itself, its key id, or its display prefix (or the start of
        it). Revoking a revoked key changes nothing and returns it."""
        with self._write() as connection, connection.begin():
            row = _find_one(connection, key_or_id_or_prefix)
            if row.revoked_at is None:
                connection.execute(
                    update(api_keys_table)
                    .where(api_keys_table.c.id == row.id)
                    .values(revoked_at=datetime.now(UTC))
                )
            record = _find_one(connection, row.id)

        self._cache.drop(row.key_hash)
        return record_from_row(record)

    def list_keys(self, user: str | None = None) -> list[KeyRecord]:
        query = _key_select().order_by(api_keys_table.c.created_at, api_keys_table.c.id)
        if user is not None:
            query = query.where(users_table.c.name == user)
        with self._engine.connect() as connection:
            return [record_from_row(row) for row in connection.execute(query)]

    def _write(self) -> Connection:
        return self._engine.connect().execution_options(**{WRITE_OPTION: True})


def _key_select() -> Any:
    return select(
        api_keys_table.c.id,
        api_keys_table.c.key_hash,
        api_keys_table.c.prefix,
        api_keys_table.c.created_at,
        api_keys_table.c.revoked_at,
        users_table.c.name.label("user"),
    ).join_from(api_keys_table, users_table, api_keys_table.c.user_id == users_table.c.id)


def record_from_row(row: Row[Any]) -> KeyRecord:
    return KeyRecord(
        key_id=row.id,
        user=row.user,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _find_one(connection: Connection, ident: str) -> Row[Any]:
    column = api_keys_table.c
    if ident.startswith(KEY_PREFIX) and len(ident) > DISPLAY_PREFIX_CHARS:
        condition = column.key_hash == hash_key(ident)
    elif ident.startswith(KEY_PREFIX):
        # autoescape: "_" and "-" occur in keys and "_" is a LIKE wildcard.
        condition = column.prefix.startswith(ident, autoescape=True)
    else:
        condition = column.id == ident

    rows = connection.execute(_key_select().where(condition)).all()
    if not rows:
        # Never echo what looks like a whole key back into a message.
        shown = ident[:DISPLAY_PREFIX_CHARS] + (
            "..." if len(ident) > DISPLAY_PREFIX_CHARS else ""
        )
        raise KeyNotFoundError(f"no gateway key matches {shown!r}; see `tokenledger keys list`")
    if len(rows) > 1:
        ids = ", ".join(row.id for row in rows)
        raise AmbiguousKeyError(f"{ident!r} matches keys {ids}: give the key id instead")
    return rows[0]


def _ensure_user(connection: Connection, name: str) -> int:
    # ON CONFLICT DO NOTHING: two processes creating the first key of the same user at
    # once must both succeed (PostgreSQL does not serialize them as SQLite does).
    dialect_insert = (
        postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    )
    connection.execute(
        dialect_insert(users_table)
        .values(name=name, created_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["name"])
    )
    user_id = connection.execute(
        select(users_table.c.id).where(users_table.c.name == name)
    ).scalar_one()
    return int(user_id)
