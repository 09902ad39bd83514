"""An independent tlog-tiles client for the tests: written from c2sp.org/tlog-tiles,
c2sp.org/signed-note and RFC 9162 alone, using nothing of ``veil.ledger``.

It reads the checkpoint and tiles over HTTP, checks the checkpoint's Ed25519 signature against a
vkey, computes any subtree hash from the hash tiles, builds RFC 9162 inclusion and consistency
proofs from them and checks them against the signed roots.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Get = Callable[[str], bytes]  # fetches a path under /log/ (raises on a non-200)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes


def verify_checkpoint(note: str, vkey: str) -> Checkpoint:
    """Parse a signed checkpoint note and check the log's signature by ``vkey``."""
    name, key_id_hex, key_b64 = vkey.split("+", 2)
    raw = base64.b64decode(key_b64)
    assert raw[0] == 1, "an Ed25519 vkey"
    want_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    assert want_id.hex() == key_id_hex
    text, _, sigs = note.partition("\n\n")
    text += "\n"
    for line in sigs.splitlines():
        dash, sig_name, sig_b64 = line.split(" ")
        assert dash == "\u2014"
        sig = base64.b64decode(sig_b64)
        if sig_name == name and sig[:4] == want_id:
            Ed25519PublicKey.from_public_bytes(raw[1:]).verify(sig[4:], text.encode())
            break
    else:
        raise AssertionError("no signature by the log's key")
    origin, size, root = text.splitlines()[:3]
    return Checkpoint(origin, int(size), base64.b64decode(root))


def tile_path(level: int | str, index: int, width: int) -> str:
    """``tile/<L>/<N>[.p/<W>]`` with N in 3-digit groups, all but the last prefixed ``x``."""
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    n = "/".join(["x" + g for g in reversed(groups[1:])] + [groups[0]])
    return f"tile/{level}/{n}" + (f".p/{width}" if width < 256 else "")


def _node(a: bytes, b: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + a + b).digest()


class TiledTree:
    """The tree of one checkpoint, read tile by tile (cached)."""

    def __init__(self, get: Get, size: int) -> None:
        self.get, self.size = get, size
        self._tiles: dict[tuple[int, int], bytes] = {}

    def _stored(self, tlevel: int, index: int) -> bytes:
        """Hash ``index`` of tree level ``8*tlevel`` from the hash tile holding it."""
        count = self.size >> (8 * tlevel)  # complete nodes at that level
        assert index < count
        t = index // 256
        width = min(256, count - t * 256)
        key = (tlevel, t)
        if key not in self._tiles:
            data = self.get(tile_path(tlevel, t, width))
            assert len(data) == 32 * width, (tile_path(tlevel, t, width), len(data))
            self._tiles[key] = data
        off = (index % 256) * 32
        return self._tiles[key][off : off + 32]

    def subtree(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree of 2**level leaves starting at leaf index*2**level."""
        tlevel, rest = divmod(level, 8)
        hashes = [self._stored(tlevel, (index << rest) + i) for i in range(1 << rest)]
        while len(hashes) > 1:
            hashes = [_node(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    def mth(self, lo: int, hi: int) -> bytes:
        """MTH of leaves lo..hi-1 (RFC 9162 2.1.1), from complete subtrees."""
        n = hi - lo
        assert n > 0
        if n & (n - 1) == 0 and lo % n == 0:
            return self.subtree(n.bit_length() - 1, lo // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return _node(self.mth(lo, lo + k), self.mth(lo + k, hi))

    def inclusion(self, m: int, lo: int = 0, hi: int | None = None) -> list[bytes]:
        """PATH(m, D[lo:hi]) (RFC 9162 2.1.3.1)."""
        hi = self.size if hi is None else hi
        n = hi - lo
        if n <= 1:
            return []
        k = 1 << ((n - 1).bit_length() - 1)
        if m < k:
            return [*self.inclusion(m, lo, lo + k), self.mth(lo + k, hi)]
        return [*self.inclusion(m - k, lo + k, hi), self.mth(lo, lo + k)]

    def consistency(
        self, m: int, lo: int = 0, hi: int | None = None, b: bool = True
    ) -> list[bytes]:
        """SUBPROOF(m, D[lo:hi], b) (RFC 9162 2.1.4.1)."""
        hi = self.size if hi is None else hi
        n = hi - lo
        if m == n:
            return [] if b else [self.mth(lo, hi)]
        k = 1 << ((n - 1).bit_length() - 1)
        if m <= k:
            return [*self.consistency(m, lo, lo + k, b), self.mth(lo + k, hi)]
        return [*self.consistency(m - k, lo + k, hi, False), self.mth(lo, lo + k)]


def check_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: list[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def check_consistency(m: int, n: int, old: bytes, new: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 2.1.4.2 (0 < m <= n)."""
    if m == n:
        return not proof and old == new
    if m & (m - 1) == 0:
        proof = [old, *proof]
    if not proof:
        return False
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = _node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old and sr == new


def entry_bundle(data: bytes) -> list[bytes]:
    """The leaves of an entry bundle: each a big-endian uint16 length and the leaf bytes."""
    out, i = [], 0
    while i < len(data):
        n = int.from_bytes(data[i : i + 2], "big")
        out.append(data[i + 2 : i + 2 + n])
        i += 2 + n
    assert i == len(data)
    return out
