"""The tlog-tiles reads from memory: a cache of the log's immutable bytes, and a pure-ASGI fast
path that answers cached public reads before FastAPI's routing and middleware stack.

A tile's bytes never change: ``tile/L/N`` (full) and ``tile/L/N.p/W`` (partial, width ``W``) name
the same hashes in every tree that has them, and the tree only grows. So :class:`LogReads` keeps
every tile it has served (hash tiles and entry bundles, up to ``max_bytes``) and answers it again
without the database. The checkpoint changes when a checkpoint is published or cosigned, by this
process or another one on the same database: its cached note is served for ``checkpoint_ttl_s``
after it was read (the response itself says ``max-age=5``), then read again.

:class:`LogFastPath` serves, from that cache only, ``GET /log/checkpoint`` and ``GET /log/tile/...``
hash tiles, with the same headers as the routes (the security headers included). Everything else
goes on to the app: a miss, an entry bundle (auditors only: the route checks the caller, then takes
its bytes from this cache), a request with a body, ``HEAD``. The routes of
:func:`veil.service.protocols.build_log_router` always read the database and fill the cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from veil.service.middleware import security_headers

if TYPE_CHECKING:
    from veil.ledger import Ledger

CHECKPOINT_TTL_S = 1.0
MAX_CACHE_BYTES = 64 * 1024 * 1024
TEXT = "text/plain; charset=utf-8"
OCTETS = "application/octet-stream"
CHECKPOINT_CACHE = "public, max-age=5"
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=60"
ENTRIES_CACHE = "private, no-store"
ENTRIES_PREFIX = "tile/entries/"


@dataclass(frozen=True)
class Cached:
    """A cached answer: the body and its own headers (content type, length, caching)."""

    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]

    @classmethod
    def of(cls, body: bytes, media_type: str, cache_control: str) -> Cached:
        """The answer ``body`` with its content type, length and ``Cache-Control``."""
        return cls(
            body,
            (
                (b"content-type", media_type.encode("latin-1")),
                (b"content-length", str(len(body)).encode("latin-1")),
                (b"cache-control", cache_control.encode("latin-1")),
            ),
        )


def tile_cache_control(path: str) -> str:
    """The ``Cache-Control`` of a tile path: entry bundles are private, full tiles immutable."""
    if path.startswith(ENTRIES_PREFIX):
        return ENTRIES_CACHE
    return PARTIAL_TILE_CACHE if ".p/" in path else FULL_TILE_CACHE


class LogReads:
    """The cache of one app's log reads (thread-safe; the fast path only reads it)."""

    def __init__(
        self,
        open_ledger: Callable[[], Ledger],
        *,
        checkpoint_ttl_s: float = CHECKPOINT_TTL_S,
        max_bytes: int = MAX_CACHE_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.open_ledger = open_ledger
        self.checkpoint_ttl_s = checkpoint_ttl_s
        self.max_bytes = max_bytes
        self._clock = clock
        self._tiles: dict[str, Cached] = {}
        self._bytes = 0
        self._note: tuple[float, Cached] | None = None
        self._lock = threading.Lock()

    # -- the database side (the routes, in worker threads) ---------------------------------------

    def checkpoint(self) -> Cached | None:
        """The latest checkpoint note with its cosignatures, read now (None: no checkpoint yet);
        the fast path serves it for ``checkpoint_ttl_s``."""
        ledger = self.open_ledger()
        cp = ledger.latest_checkpoint()
        if cp is None:
            self._note = None
            return None
        answer = Cached.of(ledger.note_with_cosignatures(cp).encode(), TEXT, CHECKPOINT_CACHE)
        self._note = (self._clock(), answer)
        return answer

    def published_size(self) -> int:
        """The tree size of the latest checkpoint (0 when there is none), read now."""
        cp = self.open_ledger().latest_checkpoint()
        return cp.size if cp is not None else 0

    def tile(self, path: str, read: Callable[[], bytes]) -> Cached:
        """The tile at ``path`` (``tile/...``, already checked to be in the published tree), from
        the cache or from ``read()``, which is then cached."""
        hit = self._tiles.get(path)
        if hit is not None:
            return hit
        answer = Cached.of(read(), OCTETS, tile_cache_control(path))
        with self._lock:
            if path not in self._tiles:
                while self._tiles and self._bytes + len(answer.body) > self.max_bytes:
                    oldest = next(iter(self._tiles))  # first in, first out
                    self._bytes -= len(self._tiles.pop(oldest).body)
                if len(answer.body) <= self.max_bytes:
                    self._tiles[path] = answer
                    self._bytes += len(answer.body)
        return answer

    # -- the memory side (the fast path, on the event loop) --------------------------------------

    def cached(self, path: str) -> Cached | None:
        """A public answer for ``path`` (under ``/log/``) that needs no database: a fresh
        checkpoint or a cached hash tile; None otherwise (entry bundles are never answered)."""
        if path == "checkpoint":
            note = self._note
            if note is not None and self._clock() - note[0] < self.checkpoint_ttl_s:
                return note[1]
            return None
        if path.startswith(ENTRIES_PREFIX):
            return None
        return self._tiles.get(path)

    @property
    def cached_bytes(self) -> int:
        """How many tile bytes the cache holds."""
        return self._bytes


def bundle_leaves(bundle: bytes) -> list[bytes]:
    """The leaves of an entry bundle (each a big-endian uint16 length and the leaf bytes)."""
    out, at = [], 0
    while at + 2 <= len(bundle):
        n = int.from_bytes(bundle[at : at + 2], "big")
        out.append(bundle[at + 2 : at + 2 + n])
        at += 2 + n
    return out


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length" and value != b"0":
            return True
        if name == b"transfer-encoding":
            return True
    return False


class LogFastPath:
    """Pure ASGI: answer ``GET /log/checkpoint`` and cached hash tiles from :class:`LogReads`
    with the routes' headers and the security headers; pass every other request on."""

    def __init__(self, app: ASGIApp, reads: LogReads) -> None:
        self.app = app
        self.reads = reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path.startswith("/log/"):
                answer = self.reads.cached(path[5:])
                if answer is not None and not _has_body(scope):
                    headers = [*answer.headers, *security_headers(scope)]
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    await send({"type": "http.response.body", "body": answer.body})
                    return
        await self.app(scope, receive, send)
