"""Validated API keys kept in memory by their secret's hash, so a request need not look its key up.

A revocation empties every cache: in this process at once (`forget_all_keys()`), in every other one through
PostgreSQL's LISTEN/NOTIFY, read without blocking before each lookup. The cache only answers while its
listening connection is up, and an entry lives at most `api_key_cache_s` seconds (0 turns the cache off).
A key's own expiry needs no notification: it is compared with the clock on every use, cached or not.
"""

from __future__ import annotations

import hmac
import logging
import math
import time
from typing import Any

from psycopg import pq

from toolkit.db import libpq_timeout
from toolkit.deadline import BoundedConnection
from toolkit.entities import ApiKey

log = logging.getLogger("toolkit.keycache")

CHANNEL = "queaccount_api_keys"
_revocations = [0]  # bumped by every revocation in this process; each cache compares it with its own


def wall_clock() -> float:
    """Seconds since the epoch: what a key's expiry is compared with."""
    return time.time()


def expiry_of(key: ApiKey) -> float:
    """When `key` stops being accepted, in `wall_clock()` seconds (infinity for a key that never expires)."""
    return math.inf if key.expires_at is None else key.expires_at.timestamp()


def has_expired(key: ApiKey) -> bool:
    """Whether `key` is past its expiry now."""
    return expiry_of(key) <= wall_clock()


def forget_all_keys() -> None:
    """Empty every key cache of this process (called when a key is revoked here)."""
    _revocations[0] += 1


class ApiKeyCache:
    retry_listen_s = 1.0

    def __init__(self, conninfo: str, ttl_s: float, pepper: str, connect_timeout_s: float = 2.0) -> None:
        self.conninfo, self.ttl_s, self.pepper = conninfo, ttl_s, pepper.encode()
        self.connect_timeout = libpq_timeout(connect_timeout_s)
        self.entries: dict[str, tuple[ApiKey, float, float]] = {}  # key, cached until, expires at
        self.epoch = 0  # moves on every revocation seen; an entry looked up under an older epoch is dropped
        self.seen = _revocations[0]
        self.listener: Any = None
        self.next_attempt = 0.0

    def digest(self, secret: str) -> str:
        """The stored form of a secret: HMAC-SHA256 keyed with the configured pepper."""
        return hmac.digest(self.pepper, secret.encode(), "sha256").hex()  # one-shot: no HMAC object

    def known(self, secret: str) -> ApiKey | None:
        """The cached key this secret belongs to, or None (then ask ApiKeyService.authenticate)."""
        return self.get(self.digest(secret))

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def get(self, digest: str) -> ApiKey | None:
        """The cached key for `digest`, or None (not cached, cached too long, past the key's own expiry, or
        not listening for revocations)."""
        if not self._fresh():
            return None
        found = self.entries.get(digest)
        if found is None:
            return None
        if found[1] < time.monotonic() or found[2] <= wall_clock():
            del self.entries[digest]
            return None
        return found[0]

    def put(self, digest: str, key: ApiKey, epoch: int) -> None:
        """Remember a key looked up from the database while the cache was at `epoch`."""
        if self._fresh() and epoch == self.epoch:
            self.entries[digest] = (key, time.monotonic() + self.ttl_s, expiry_of(key))

    async def listen(self) -> None:
        """Open the listening connection when it is not open (one attempt at a time, at most one a second)."""
        if not self.enabled or self.listener is not None or time.monotonic() < self.next_attempt:
            return
        import psycopg

        self.next_attempt = float("inf")  # concurrent requests meanwhile look their keys up without it
        listener = None
        try:
            listener = await BoundedConnection.connect(
                self.conninfo, autocommit=True, connect_timeout=self.connect_timeout
            )
            await listener.execute(f"listen {CHANNEL}")
        except BaseException as error:
            self.next_attempt = time.monotonic() + self.retry_listen_s
            if listener is not None:
                await listener.close()
            if not isinstance(error, psycopg.Error | OSError):
                raise
            log.warning("API keys are looked up on every request: cannot listen for revocations: %s", error)
            return
        self.listener, self.next_attempt = listener, 0.0
        self._forget()

    async def close(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            await listener.close()

    def _fresh(self) -> bool:
        """Apply every revocation announced so far; False when revocations cannot be heard."""
        if self.seen != _revocations[0]:
            self.seen = _revocations[0]
            self._forget()
        if self.listener is None:
            return False
        pgconn = self.listener.pgconn
        try:
            pgconn.consume_input()
            heard = False
            while pgconn.notifies() is not None:
                heard = True
            if pgconn.status != pq.ConnStatus.OK:
                raise ConnectionError("the connection is closed")
        except Exception as error:  # a lost connection: no cache until it is back
            log.warning("lost the connection that listens for API key revocations: %s", error)
            self.listener = None
            pgconn.finish()
            self._forget()
            return False
        if heard:
            self._forget()
        return True

    def _forget(self) -> None:
        self.entries.clear()
        self.epoch += 1
