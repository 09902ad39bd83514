"""C2SP tlog-tiles: path encoding, strict parsing, hash tiles and entry bundles checked by an
independent client (its own RFC 9162 code, not veil.ledger.merkle), and the static export."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.ledger.ledger_helpers import make_event
from veil.ledger import Ledger
from veil.ledger.tiles import (
    ENTRIES,
    TilePath,
    TilePathError,
    encode_index,
    export_tiles,
    parse_tile_path,
    tiles_for_size,
)
from veil.service.protocols import build_log_router

Fetch = Callable[[str], bytes]


def _h(prefix: bytes, *parts: bytes) -> bytes:
    return hashlib.sha256(prefix + b"".join(parts)).digest()


class TileClient:
    """A verifier that knows only the tlog-tiles format and RFC 9162."""

    def __init__(self, fetch: Fetch, size: int) -> None:
        self.fetch, self.size, self.cache = fetch, size, dict[str, bytes]()

    def _tile(self, level: int, n: int) -> bytes:
        count = self.size >> (8 * level)
        width = min(256, count - n * 256)
        path = f"tile/{level}/{self._enc(n)}" + ("" if width == 256 else f".p/{width}")
        if path not in self.cache:
            data = self.fetch(path)
            assert len(data) == 32 * width
            self.cache[path] = data
        return self.cache[path]

    @staticmethod
    def _enc(n: int) -> str:
        s = f"{n % 1000:03d}"
        while n >= 1000:
            n //= 1000
            s = f"x{n % 1000:03d}/" + s
        return s

    def node(self, height: int, index: int) -> bytes:
        """The hash of the complete subtree of 2**height leaves starting at index * 2**height."""
        if height % 8 == 0:
            t = self._tile(height // 8, index // 256)
            return t[32 * (index % 256) : 32 * (index % 256 + 1)]
        return _h(b"\x01", self.node(height - 1, 2 * index), self.node(height - 1, 2 * index + 1))

    def mth(self, start: int, end: int) -> bytes:
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self.node(n.bit_length() - 1, start // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return _h(b"\x01", self.mth(start, start + k), self.mth(start + k, end))

    def inclusion(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = 1 << ((n - 1).bit_length() - 1)
        if m < k:
            return [*self.inclusion(m, start, start + k), self.mth(start + k, end)]
        return [*self.inclusion(m - k, start + k, end), self.mth(start, start + k)]

    def consistency(self, m: int, start: int, end: int, whole: bool = True) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [self.mth(start, end)]
        k = 1 << ((n - 1).bit_length() - 1)
        if m <= k:
            return [*self.consistency(m, start, start + k, whole), self.mth(start + k, end)]
        return [*self.consistency(m - k, start + k, end, False), self.mth(start, start + k)]


def test_index_encoding_matches_the_spec_examples() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(1000) == "x001/000"
    assert TilePath(0, 1234067, 8).path() == "tile/0/x001/x234/067.p/8"
    assert TilePath(ENTRIES, 5).path() == "tile/entries/005"
    assert parse_tile_path("tile/2/x001/x234/067.p/8") == TilePath(2, 1234067, 8)
    assert parse_tile_path("tile/entries/x001/000") == TilePath(ENTRIES, 1000)


@pytest.mark.parametrize(
    "bad",
    [
        "tile/0/001/234",  # group without x
        "tile/0/x000/234",  # non-canonical leading group
        "tile/0/x1/234",
        "tile/00/000",
        "tile/0/1",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/08",
        "tile/64/000",
        "tile/0/../000",
        "tile/0/x999/x999/x999/x999/x999/x999/x999/999",  # beyond 2**63
        "tile/0/x009/x223/x372/x036/x854/x775/808",  # 2**63, one past the largest index
        "tile/0/000/",
        "tile/-1/000",
        "tile/0/\u0661\u0662\u0663",
    ],
)
def test_non_canonical_paths_are_rejected(bad: str) -> None:
    with pytest.raises(TilePathError):
        parse_tile_path(bad)


def _filled(ledger: Ledger, n: int) -> Ledger:
    ledger.append_many(make_event(i, subject=ledger.pseudonym(f"p{i % 7}")) for i in range(n))
    ledger.checkpoint()
    return ledger


def _client(ledger: Ledger, entries: bool = True) -> TestClient:
    app = FastAPI()
    app.include_router(build_log_router(lambda: ledger, lambda request: entries))
    return TestClient(app, raise_server_exceptions=False)


def test_tiles_over_http_give_the_checkpoint_root_and_veil_proofs(ledger: Ledger) -> None:
    _filled(ledger, 600)
    client = _client(ledger)
    note = client.get("/log/checkpoint")
    assert note.status_code == 200 and note.headers["content-type"].startswith("text/plain")
    lines = note.text.split("\n")
    size, root = int(lines[1]), __import__("base64").b64decode(lines[2])

    def fetch(path: str) -> bytes:
        r = client.get("/log/" + path)
        assert r.status_code == 200, (path, r.text)
        assert r.headers["content-type"] == "application/octet-stream"
        full = ".p/" not in path
        assert ("immutable" in r.headers["cache-control"]) == full
        return r.content

    tc = TileClient(fetch, size)
    assert size == 600 and tc.mth(0, size) == root
    assert len(fetch("tile/0/000")) == 8192
    for m in (0, 255, 256, 511, 599):
        assert tc.inclusion(m, 0, size) == ledger.log.inclusion_proof(m, size)
    for old in (1, 255, 256, 300, 512, 599):
        assert tc.consistency(old, 0, size) == ledger.log.consistency_proof(old, size)
    # the entry bundle holds the exact leaf bytes the level-0 hashes are computed over
    bundle, at, leaves = fetch("tile/entries/002.p/88"), 0, []
    while at < len(bundle):
        n = int.from_bytes(bundle[at : at + 2], "big")
        leaves.append(bundle[at + 2 : at + 2 + n])
        at += 2 + n
    assert len(leaves) == 88
    assert [_h(b"\x00", d) for d in leaves] == [tc.node(0, 512 + i) for i in range(88)]
    # a smaller partial is a prefix of the larger one; wider than the tree is 404
    assert fetch("tile/0/002.p/8") == fetch("tile/0/002.p/88")[: 8 * 32]
    assert client.get("/log/tile/0/002.p/89").status_code == 404
    assert client.get("/log/tile/0/002").status_code == 404
    assert client.get("/log/tile/1/000.p/3").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/log/tile/0/%2e%2e/000",
        "/log/tile/0/x001",
        "/log/tile/0/001/000",
        "/log/tile/99999999999999999999999/000",
        "/log/tile/0/" + "x999/" * 30 + "999",
        "/log/tile/entries/..%2f..%2fcheckpoint",
        "/log/tile/0/000.p/abc",
        "/log/tile/entries",
    ],
)
def test_path_escapes_are_4xx_never_500(ledger: Ledger, path: str) -> None:
    _filled(ledger, 3)
    r = _client(ledger).get(path)
    assert r.status_code in (400, 404), (path, r.status_code)


def test_anonymous_clients_get_no_entry_bundle(ledger: Ledger) -> None:
    _filled(ledger, 3)
    client = _client(ledger, entries=False)
    r = client.get("/log/tile/entries/000.p/3")
    assert r.status_code == 401 and b"entrance" not in r.content
    assert (
        client.get("/log/tile/entries/000.p/3", headers={"Authorization": "x"}).status_code == 403
    )
    assert client.get("/log/tile/0/000.p/3").status_code == 200  # hash tiles stay public


def test_export_writes_the_same_tree_atomically(ledger: Ledger, tmp_path: Path) -> None:
    _filled(ledger, 300)
    out = tmp_path / "www"
    done = export_tiles(ledger, out)
    client = _client(ledger)
    assert (out / "checkpoint").read_text() == client.get("/log/checkpoint").text
    for tile in tiles_for_size(300):
        assert (out / tile.path()).read_bytes() == client.get("/log/" + tile.path()).content
    assert {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} == {
        "checkpoint",
        *(t.path() for t in tiles_for_size(300)),
    }
    assert (done.size, done.tiles, done.entry_bundles) == (300, 3, 2)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    with pytest.raises(Exception, match="refusing"):
        export_tiles(ledger, tmp_path / "other")
    assert (tmp_path / "other" / "keep.txt").read_text() == "mine"
